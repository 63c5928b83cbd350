from typing import Any

from django import forms
from django.contrib.auth import password_validation

from mesoclinic.accounts.models import User


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text="At least 10 characters; not your name or email address.",
    )
    password2 = forms.CharField(
        label="The same password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def __init__(self, *args: Any, email: str = "", full_name: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email, self.full_name = email, full_name

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            try:
                password_validation.validate_password(
                    p1, User(email=self.email, full_name=self.full_name)
                )
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data
