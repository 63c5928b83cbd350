from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm

from mesoclinic.accounts import letterhead
from mesoclinic.accounts.models import ClinicalLicence, Organization, User
from mesoclinic.accounts.roles import STAFF_ROLES


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].lower()


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=[(r.value, r.label) for r in STAFF_ROLES])

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError("Someone already has an account with this email.")
        return email


class ClinicSettingsForm(forms.ModelForm[Organization]):
    class Meta:
        model = Organization
        fields = [
            "name",
            "currency",
            "tax_rate",
            "reminder_lead_hours",
            "cancel_notice_hours",
            "cooling_off_hours",
            "out_of_hours",
            "jurisdiction",
            "legal_name",
            "postal_address",
            "tax_number",
            "prices_include_tax",
        ]
        labels = {
            "tax_rate": "Tax added to quotes (%)",
            "currency": "Currency (ISO code)",
            "reminder_lead_hours": "Appointment reminder (hours before)",
            "cancel_notice_hours": "Patients cancel or move online until (hours before)",
            "cooling_off_hours": "Cooling-off before the first treatment (hours)",
            "out_of_hours": "Out-of-hours instruction for patients",
            "legal_name": "Legal name (letterhead)",
            "postal_address": "Postal address (letterhead)",
            "tax_number": "Tax number (letterhead)",
            "prices_include_tax": "Prices include tax",
        }
        widgets = {
            "out_of_hours": forms.Textarea(attrs={"rows": 2}),
            "postal_address": forms.Textarea(attrs={"rows": 3}),
        }

    logo_file = forms.FileField(
        label="Logo (PNG or JPEG, up to 512 KB)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    remove_logo = forms.BooleanField(label="Remove the current logo", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Left empty, the clinic keeps its current reminder time, cancel notice and
        # out-of-hours advice: every aftercare sheet needs one.
        self.fields["reminder_lead_hours"].required = False
        self.fields["cancel_notice_hours"].required = False
        self.fields["out_of_hours"].required = False
        self.fields["cooling_off_hours"].required = False

    def clean_logo_file(self) -> bytes | None:
        upload = self.cleaned_data.get("logo_file")
        if not upload:
            return None
        data = upload.read(letterhead.MAX_LOGO_BYTES + 1)
        try:
            letterhead.checked_logo(data)
        except letterhead.LogoRefused as refused:
            raise forms.ValidationError(str(refused)) from None
        return data

    def clean_currency(self) -> str:
        code = self.cleaned_data["currency"].upper()
        if len(code) != 3 or not code.isalpha():
            raise forms.ValidationError("Use a three-letter ISO 4217 code such as USD or EUR.")
        return code

    def clean_tax_rate(self) -> Decimal:
        rate = self.cleaned_data["tax_rate"]
        if rate is None or not 0 <= rate <= 100:
            raise forms.ValidationError("Tax must be between 0 and 100 percent.")
        return rate

    def clean_out_of_hours(self) -> str:
        text = " ".join(self.cleaned_data["out_of_hours"].split())
        return text or self.instance.out_of_hours

    def clean_cooling_off_hours(self) -> int:
        hours = self.cleaned_data["cooling_off_hours"]
        return self.instance.cooling_off_hours if hours is None else hours

    def clean_reminder_lead_hours(self) -> int:
        hours = self.cleaned_data["reminder_lead_hours"]
        return self.instance.reminder_lead_hours if hours is None else hours

    def clean_cancel_notice_hours(self) -> int:
        hours = self.cleaned_data["cancel_notice_hours"]
        return self.instance.cancel_notice_hours if hours is None else hours


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(max_length=200)
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput, strip=False)

    def __init__(self, *args: Any, email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            try:
                password_validation.validate_password(
                    p1, User(email=self.email, full_name=data.get("full_name", ""))
                )
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class LicenceForm(forms.ModelForm[ClinicalLicence]):
    class Meta:
        model = ClinicalLicence
        fields = ["licence_type", "number", "jurisdiction", "expires_on"]
        labels = {"licence_type": "Licence", "number": "Registration number"}
        widgets = {"expires_on": forms.DateInput(attrs={"type": "date"})}

    def clean_number(self) -> str:
        return " ".join(self.cleaned_data["number"].split())


class VoidLicenceForm(forms.Form):
    reason = forms.CharField(
        label="Reason for voiding",
        max_length=500,
        min_length=3,
        help_text="For example: recorded against the wrong colleague.",
    )
