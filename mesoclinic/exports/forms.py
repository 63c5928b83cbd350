import uuid

from django import forms

from mesoclinic.exports.services import MIN_PASSPHRASE


class NewExportForm(forms.Form):
    passphrase = forms.CharField(
        label="Passphrase",
        min_length=MIN_PASSPHRASE,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=f"At least {MIN_PASSPHRASE} characters. Keep it somewhere safe: we do not "
        "store it, and without it nobody can open the export.",
    )
    passphrase_again = forms.CharField(
        label="Passphrase again",
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    submission_key = forms.UUIDField(widget=forms.HiddenInput)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        first, again = data.get("passphrase"), data.get("passphrase_again")
        if first and again is not None and first != again:
            self.add_error("passphrase_again", "The two passphrases differ: type the same twice.")
        return data

    @classmethod
    def fresh(cls) -> "NewExportForm":
        return cls(initial={"submission_key": uuid.uuid4()})
