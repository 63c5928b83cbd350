from datetime import date
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils import timezone

from mesoclinic.accounts.models import Site
from mesoclinic.treatments import vocab
from mesoclinic.treatments.inventory import normalize_lot_number
from mesoclinic.treatments.models import Lot


class LotForm(forms.ModelForm):
    class Meta:
        model = Lot
        fields = [
            "site",
            "product",
            "lot_number",
            "expires_on",
            "supplier",
            "invoice_number",
            "unit_cost",
            "received_on",
            "vials_received",
        ]
        labels = {
            "vials_received": "Vials received",
            "received_on": "Received on",
            "invoice_number": "Invoice number",
            "unit_cost": "Cost per vial",
        }
        help_texts = {"unit_cost": "What the clinic paid for one vial: it values the stock."}
        widgets = {
            "expires_on": forms.DateInput(attrs={"type": "date"}),
            "received_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The stubs type `fields` as plain Field; these are the model fields' form fields.
        cast(forms.ModelChoiceField, self.fields["site"]).queryset = Site.objects.order_by("name")
        cast(forms.ChoiceField, self.fields["product"]).choices = [
            ("", "—"),
            *vocab.product_choices(),
        ]
        cast(forms.IntegerField, self.fields["vials_received"]).min_value = 1
        self.fields["vials_received"].widget.attrs["min"] = 1
        self.fields["unit_cost"].widget.attrs.update(min=0, step="0.01")

    def clean_lot_number(self) -> str:
        return normalize_lot_number(self.cleaned_data["lot_number"])

    def clean_received_on(self) -> date:
        received = self.cleaned_data["received_on"]
        if received > timezone.localdate():
            raise forms.ValidationError("A lot cannot be received in the future.")
        return received

    def clean_unit_cost(self) -> Decimal | None:
        cost = self.cleaned_data["unit_cost"]
        if cost is not None and cost < 0:
            raise forms.ValidationError("A cost cannot be negative.")
        return cost

    def clean_vials_received(self) -> int:
        vials = self.cleaned_data["vials_received"]
        if vials < 1:
            raise forms.ValidationError("At least one vial.")
        return vials

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # ModelForm.clean returns cleaned_data
        expires, received = data.get("expires_on"), data.get("received_on")
        if expires and expires < timezone.localdate():
            self.add_error("expires_on", "This lot has already expired: do not take it into stock.")
        elif expires and received and expires < received:
            self.add_error("expires_on", "The expiry date is before the date received.")
        return data

    def validate_unique(self) -> None:
        # organization is not a form field, so the model's unique check cannot see it.
        data = self.cleaned_data
        if (
            all(data.get(k) for k in ("site", "product", "lot_number"))
            and Lot.objects.filter(
                site=data["site"], product=data["product"], lot_number=data["lot_number"]
            ).exists()
        ):
            self.add_error(
                "lot_number", "This lot of this product is already in stock at that site."
            )


class StockLevelForm(forms.Form):
    site: "forms.ModelChoiceField[Site]" = forms.ModelChoiceField(
        queryset=None, to_field_name="public_id", label="Site", empty_label="Choose a site"
    )
    product = forms.ChoiceField(label="Product")
    low_at = forms.IntegerField(
        label="Low at (vials)",
        min_value=0,
        max_value=10000,
        help_text="Low when this many vials or fewer are left in lots in date and not recalled.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["site"]).queryset = Site.objects.order_by("name")
        cast(forms.ChoiceField, self.fields["product"]).choices = [
            ("", "—"),
            *vocab.product_choices(),
        ]


class RecallForm(forms.Form):
    reason = forms.CharField(
        label="Reason for the recall",
        min_length=3,
        max_length=500,
        help_text="For example the manufacturer's notice or the infection that raised it.",
    )


class RecallSearchForm(forms.Form):
    lot = forms.CharField(label="Lot number", max_length=60, min_length=1)

    def clean_lot(self) -> str:
        return normalize_lot_number(self.cleaned_data["lot"])


SHOW_CHOICES = [
    ("usable", "Usable"),
    ("all", "All"),
    ("recalled", "Recalled"),
    ("expired", "Expired"),
    ("used-up", "Used up"),
]


class LotFilterForm(forms.Form):
    site: "forms.ModelChoiceField[Site]" = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="public_id", empty_label="All sites"
    )
    show = forms.ChoiceField(choices=SHOW_CHOICES, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["site"]).queryset = Site.objects.order_by("name")


class StockCountForm(forms.Form):
    """One row per usable lot: the vials counted and, when they differ from what the
    records expect, why. The expected number travels with the form, so a lot whose stock
    moved while the count was typed is caught (`stock_count.StockChanged`)."""

    submission_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, lots: list[Lot], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lots = lots
        for lot in lots:
            key = lot.public_id.hex
            self.fields[f"expected_{key}"] = forms.IntegerField(
                widget=forms.HiddenInput, initial=lot.vials_left, min_value=0
            )
            self.fields[f"counted_{key}"] = forms.IntegerField(
                label=f"Vials counted of {lot.lot_number}",
                min_value=0,
                max_value=lot.vials_received,
                error_messages={
                    "required": "Type the vials on the shelf (0 if there are none).",
                    "min_value": "A count cannot be below 0.",
                    "max_value": (
                        f"This lot received {lot.vials_received} vials: receive extra "
                        "vials as a new lot."
                    ),
                    "invalid": "Type a whole number of vials.",
                },
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "count"}),
            )
            self.fields[f"reason_{key}"] = forms.CharField(
                label=f"Why {lot.lot_number} differs",
                required=False,
                max_length=300,
                widget=forms.TextInput(attrs={"placeholder": "Broken, lost, found…"}),
            )

    def rows(self) -> list[tuple[Lot, forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (lot, self[f"expected_{k}"], self[f"counted_{k}"], self[f"reason_{k}"])
            for lot in self.lots
            for k in [lot.public_id.hex]
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean returns cleaned_data
        for lot in self.lots:
            key = lot.public_id.hex
            counted, expected = data.get(f"counted_{key}"), data.get(f"expected_{key}")
            reason = data.get(f"reason_{key}", "").strip()
            if counted is not None and expected is not None and counted != expected and not reason:
                self.add_error(
                    f"reason_{key}",
                    f"Say why {counted} counted differs from the {expected} expected.",
                )
        return data

    def counted(self) -> list[tuple[Lot, int, int, str]]:
        data = self.cleaned_data
        return [
            (
                lot,
                data[f"expected_{lot.public_id.hex}"],
                data[f"counted_{lot.public_id.hex}"],
                data.get(f"reason_{lot.public_id.hex}", ""),
            )
            for lot in self.lots
        ]

    def expect_again(self, lots: list[Lot]) -> "StockCountForm":
        """The same form as typed, with the expected vials read again."""
        data = dict(self.data.items())
        for lot in lots:
            data[f"expected_{lot.public_id.hex}"] = str(lot.vials_left)
        return StockCountForm(data, lots=lots)
