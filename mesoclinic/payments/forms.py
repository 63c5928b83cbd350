"""The desk's forms: take a payment, give money back, sell a course package.

Each carries a hidden `submission_key`, made when the form is first shown and sent back
with every retry, so the services record one row however often it is posted. The
services own the rules; a refusal comes back to the field it names.
"""

import uuid
from decimal import Decimal
from typing import Any

from django import forms

from mesoclinic.accounts.models import Site
from mesoclinic.billing.models import Invoice
from mesoclinic.billing.prices import Package, PriceBook
from mesoclinic.patients.models import Patient
from mesoclinic.payments import invoices
from mesoclinic.payments.models import Method, PackageSale
from mesoclinic.payments.money import format_amount

REFERENCE_HELP = (
    "Card: the terminal's reference from the receipt (never the card number). "
    "Bank transfer: the bank's reference. Gift voucher: the voucher code."
)


class PackageChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: PackageSale) -> str:
        return f"{obj.name} ({format_amount(obj.price, obj.currency)})"


class SiteChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Site) -> str:
        return obj.name


class MoneyForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount", min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    method = forms.ChoiceField(label="Method", choices=Method.choices)
    reference = forms.CharField(
        label="Reference", max_length=60, required=False, help_text=REFERENCE_HELP
    )
    site = SiteChoice(
        label="Site",
        queryset=None,  # the clinic's sites, in __init__ (a scoped query needs the clinic)
        to_field_name="public_id",
        empty_label=None,
    )
    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args: Any, site: Site | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["site"]
        field.queryset = Site.objects.order_by("name")
        if site is not None:
            self.fields["site"].initial = site.public_id
        self.fields["amount"].widget.attrs.update({"inputmode": "decimal", "step": "0.01"})


class InvoiceChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Invoice) -> str:
        return f"{obj.description} ({format_amount(obj.total_gross, obj.currency)})"


class PaymentForm(MoneyForm):
    invoice = InvoiceChoice(
        label="Invoice",
        queryset=None,  # the patient's issued invoices, in __init__
        to_field_name="public_id",
        required=False,
        empty_label="Not against one invoice",
        help_text="The issued invoice this pays, in part or whole.",
    )
    package = PackageChoice(
        label="Package",
        queryset=None,  # the patient's, in __init__
        to_field_name="public_id",
        required=False,
        empty_label="No package",
        help_text="For a package credit payment: the package it is paid from.",
    )

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice: Any = self.fields["invoice"]
        choice.queryset = invoices.payable(patient)
        field: Any = self.fields["package"]
        field.queryset = PackageSale.objects.filter(patient=patient).order_by("sold_at")
        if not field.queryset.exists():
            del self.fields["package"]


class RefundForm(MoneyForm):
    reason = forms.CharField(
        label="Reason",
        max_length=300,
        help_text="For example: treatment cancelled, charged twice.",
    )
    field_order = ["amount", "method", "reference", "reason", "site"]


class SellPackageForm(forms.Form):
    """A course package from the price list in force; the choice names its version, so a
    price list changed since the form was shown is noticed, not silently applied."""

    package = forms.ChoiceField(label="Package")
    invoice = InvoiceChoice(
        label="Invoice",
        queryset=None,  # the patient's issued invoices, in __init__
        to_field_name="public_id",
        required=False,
        empty_label="Issue a new invoice for the package",
        help_text="Or the issued invoice that already charges the package.",
    )
    site = SiteChoice(label="Site", queryset=None, to_field_name="public_id", empty_label=None)
    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(
        self, *args: Any, patient: Patient, book: PriceBook | None, site: Site | None, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.book = book
        choices = [] if book is None else book.packages
        version = 0 if book is None else book.price_list.version
        package: Any = self.fields["package"]
        package.choices = [
            (
                f"{version}-{i}",
                f"{p.name}: {p.sessions} sessions, {format_amount(p.amount, book.currency)}",
            )
            for i, p in enumerate(choices)
            if book is not None
        ]
        invoice: Any = self.fields["invoice"]
        invoice.queryset = invoices.payable(patient)
        sites: Any = self.fields["site"]
        sites.queryset = Site.objects.order_by("name")
        if site is not None:
            sites.initial = site.public_id

    def clean_package(self) -> Package:
        version, _, index = self.cleaned_data["package"].partition("-")
        if self.book is None or version != str(self.book.price_list.version):
            raise forms.ValidationError("The price list has changed: choose the package again.")
        return self.book.packages[int(index)]
