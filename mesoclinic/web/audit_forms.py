from django import forms

from mesoclinic.audit.models import Action


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(choices=[("", "Any action"), *Action.choices], required=False)
    actor = forms.UUIDField(required=False)
    object_type = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Any object"),
            ("patient", "Patient"),
            ("allergy", "Allergy"),
            ("noknownallergies", "No known allergies"),
            ("medication", "Medication"),
            ("condition", "Condition"),
            ("pregnancystatus", "Pregnancy status"),
            ("skininfection", "Skin infection"),
            ("lifestylefactor", "Lifestyle factor"),
            ("concern", "Concern"),
            ("user", "User"),
        ],
    )
    object_id = forms.CharField(required=False, max_length=64, label="Object id")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
