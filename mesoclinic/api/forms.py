from django import forms

from mesoclinic.accounts.roles import STAFF_ROLES, Role
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


class IntegrationTokenForm(TokenForm):
    prefix = "org"  # beside the personal form on one page: its own field names and ids
    acts_as = forms.ChoiceField(
        label="Acts as",
        choices=[(r.value, r.label) for r in Role if r in STAFF_ROLES],
        initial=Role.RECEPTION,
        help_text="The integration may do what a colleague of this role may do, no more.",
    )
