from django import forms

from mesoclinic.billing.invoicing import MANUAL_KINDS
from mesoclinic.billing.models import InvoiceKind, InvoiceStatus, LineKind

STATUS_CHOICES = [("", "Any status"), *InvoiceStatus.choices]
KIND_CHOICES = [("", "Invoices and credit notes"), *InvoiceKind.choices]


class LineForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(k.value, LineKind(k).label) for k in MANUAL_KINDS], label="For"
    )
    description = forms.CharField(max_length=200, help_text="As the patient reads it")
    quantity = forms.DecimalField(min_value=0.01, max_digits=9, decimal_places=2, initial=1)
    unit_price = forms.DecimalField(
        min_value=0, max_digits=12, decimal_places=2, label="Price each"
    )
    discount = forms.DecimalField(
        min_value=0, max_digits=12, decimal_places=2, required=False, initial=0
    )
    discount_reason = forms.CharField(max_length=200, required=False, label="Why the discount")


class CreditForm(forms.Form):
    reason = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Why it is corrected"
    )


class ListFilter(forms.Form):
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    kind = forms.ChoiceField(choices=KIND_CHOICES, required=False)
