from typing import Any

from django import forms
from django.utils.datastructures import MultiValueDict

from mesoclinic.imports import appointments, csvfile


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, at most 2 MB and 5,000 patients.",
        error_messages={"required": "Choose the CSV file to check."},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args: Any, kind: str = "patients", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["file"].help_text = f"UTF-8, at most 2 MB and 5,000 {kind}."

    @classmethod
    def refused(cls, message: str, kind: str = "patients") -> "UploadForm":
        """The form as shown when the upload was refused before it was read."""
        form = cls({}, MultiValueDict(), kind=kind)
        form.is_valid()
        form.errors["file"] = form.error_class([message])
        return form

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            text = csvfile.decode(upload.read())
            if self.kind == "appointments":
                self.appointment_rows = appointments.read(text)
                empty = not self.appointment_rows[0]
            else:
                self.sheet = csvfile.read(text)
                empty = not self.sheet.rows
        except csvfile.FileRefused as refused:
            raise forms.ValidationError(str(refused)) from None
        if empty:
            raise forms.ValidationError(f"The file has a header row but no {self.kind}.")
        self.text = text
        return upload


class ConfirmForm(forms.Form):
    token = forms.CharField(max_length=64)
