from typing import Any

from django import forms
from django.utils.datastructures import MultiValueDict

from mesoclinic.imports import csvfile


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, at most 2 MB and 5,000 patients.",
        error_messages={"required": "Choose the CSV file to check."},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    @classmethod
    def refused(cls, message: str) -> "UploadForm":
        """The form as shown when the upload was refused before it was read."""
        form = cls({}, MultiValueDict())
        form.is_valid()
        form.errors["file"] = form.error_class([message])
        return form

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            text = csvfile.decode(upload.read())
            self.sheet = csvfile.read(text)
        except csvfile.FileRefused as refused:
            raise forms.ValidationError(str(refused)) from None
        if not self.sheet.rows:
            raise forms.ValidationError("The file has a header row but no patients.")
        self.text = text
        return upload


class ConfirmForm(forms.Form):
    token = forms.CharField(max_length=64)
