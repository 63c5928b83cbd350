from django import forms

from mesoclinic.api.models import Scope
from mesoclinic.api.tokens import MAX_DAYS


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What it is for, e.g. 'Accounting export'")
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.READ],
        help_text="Clinical data also needs a clinical role: reception tokens never read it.",
    )
    days = forms.IntegerField(
        min_value=1, max_value=MAX_DAYS, initial=90, label="Expires after (days)"
    )
