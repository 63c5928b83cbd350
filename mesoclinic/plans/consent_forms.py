"""The signature form, one for every place a patient signs: the clinic's tablet, the
tablet handed over in kiosk mode, and the patient's portal at home."""

from typing import Any

from django import forms

from mesoclinic.patients.models import Patient
from mesoclinic.plans import consent as c


class SignForm(forms.Form):
    typed_name = forms.CharField(max_length=200, label="Your full name")
    signature = forms.CharField(widget=forms.HiddenInput, required=False)
    understood = forms.BooleanField(label="I have read and understood this document")

    def __init__(self, *args: Any, patient: Patient | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient

    def clean_typed_name(self) -> str:
        name = " ".join(self.cleaned_data["typed_name"].split())
        if self.patient and name.casefold() != self.patient.full_name.casefold():
            raise forms.ValidationError(
                f"Type your full name as recorded: {self.patient.full_name}."
            )
        return name

    def clean_signature(self) -> str:
        value = self.cleaned_data.get("signature", "").strip()
        if not c.SIGNATURE_RE.match(value):
            raise forms.ValidationError("Please sign in the box with your finger or a stylus.")
        return value


class RevokeForm(forms.Form):
    reason = forms.CharField(max_length=500, min_length=3)
