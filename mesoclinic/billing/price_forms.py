"""The owner's price page as one form: currency, consultation, numbing, a grid of area
prices (any treatment, then each active treatment type), product prices per unit used,
and course packages. Empty means "no price"; every price is 0 or more, to the cent."""

from decimal import Decimal
from typing import Any

from django import forms

from mesoclinic import rules
from mesoclinic.billing.prices import NewPrices, Package, PriceBook
from mesoclinic.scheduling.models import TreatmentType

SPARE_PACKAGES = 2


def _money(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        required=False,
        min_value=Decimal(0),
        max_digits=12,
        decimal_places=2,
        label=label,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "aria-label": label}),
        error_messages={"max_decimal_places": "Give the price to the cent (two decimals)."},
    )


class PriceListForm(forms.Form):
    currency = forms.CharField(max_length=3, label="Currency (ISO code)")

    def __init__(
        self,
        data: Any = None,
        *,
        book: PriceBook | None,
        types: list[TreatmentType],
        default_currency: str,
        package_slots: int = 0,
    ) -> None:
        ref = rules.load_reference()
        self.ref, self.types = ref, types
        self.columns: list[tuple[str, int | None]] = [("Any treatment", None)] + [
            (t.name, t.pk) for t in types
        ]
        packages = book.packages if book else []
        self.package_count = max(len(packages) + SPARE_PACKAGES, package_slots)
        super().__init__(data, initial=self._initial(book, default_currency, packages))
        self.fields["consultation"] = _money("Consultation, per visit")
        self.fields["numbing"] = _money("Numbing, per session that used it")
        for slug, area in ref.areas.items():
            for name, type_id in self.columns:
                self.fields[self._area_key(slug, type_id)] = _money(f"{area.name}, {name}")
        for slug, product in ref.products.items():
            self.fields[f"product__{slug}"] = _money(f"{product.name}, per unit")
        protocols = [("", "Choose a protocol")] + [(s, p.name) for s, p in ref.protocols.items()]
        for i in range(self.package_count):
            self.fields[f"package_{i}_name"] = forms.CharField(
                required=False, max_length=120, label="Package name"
            )
            self.fields[f"package_{i}_protocol"] = forms.ChoiceField(
                required=False, choices=protocols, label="Protocol"
            )
            self.fields[f"package_{i}_sessions"] = forms.IntegerField(
                required=False, min_value=1, max_value=50, label="Sessions"
            )
            self.fields[f"package_{i}_amount"] = _money("Package price")

    @staticmethod
    def _area_key(slug: str, type_id: int | None) -> str:
        return f"area__{slug}__{type_id or 'any'}"

    def _initial(
        self, book: PriceBook | None, currency: str, packages: list[Package]
    ) -> dict[str, Any]:
        if book is None:
            return {"currency": currency}
        initial: dict[str, Any] = {
            "currency": book.currency,
            "consultation": book.price_list.consultation,
            "numbing": book.price_list.numbing,
        }
        for (slug, type_id), amount in book.areas.items():
            initial[self._area_key(slug, type_id)] = amount
        for slug, amount in book.products.items():
            initial[f"product__{slug}"] = amount
        for i, p in enumerate(packages):
            initial |= {
                f"package_{i}_name": p.name,
                f"package_{i}_protocol": p.protocol,
                f"package_{i}_sessions": p.sessions,
                f"package_{i}_amount": p.amount,
            }
        return initial

    # --- what the template lays out ---------------------------------------------------

    def area_rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (area.name, [self[self._area_key(slug, type_id)] for _, type_id in self.columns])
            for slug, area in self.ref.areas.items()
        ]

    def product_fields(self) -> list[forms.BoundField]:
        return [self[f"product__{slug}"] for slug in self.ref.products]

    def package_rows(self) -> list[list[forms.BoundField]]:
        parts = ("name", "protocol", "sessions", "amount")
        return [[self[f"package_{i}_{p}"] for p in parts] for i in range(self.package_count)]

    # --- checks -----------------------------------------------------------------------

    def clean_currency(self) -> str:
        code = self.cleaned_data["currency"].upper()
        if len(code) != 3 or not code.isalpha():
            raise forms.ValidationError("Use a three-letter ISO 4217 code such as USD or EUR.")
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None
        for i in range(self.package_count):
            keys = [f"package_{i}_{p}" for p in ("name", "protocol", "sessions", "amount")]
            given = [data.get(k) not in (None, "") for k in keys]
            if any(given) and not all(given):
                for key, ok in zip(keys, given, strict=True):
                    if not ok and key not in self.errors:
                        self.add_error(key, "A package needs a name, protocol, sessions and price.")
        return data

    def prices(self) -> NewPrices:
        data = self.cleaned_data
        areas = {
            (slug, type_id): data[self._area_key(slug, type_id)]
            for slug in self.ref.areas
            for _, type_id in self.columns
            if data.get(self._area_key(slug, type_id)) is not None
        }
        products = {
            slug: data[f"product__{slug}"]
            for slug in self.ref.products
            if data.get(f"product__{slug}") is not None
        }
        packages = [
            Package(
                name=" ".join(data[f"package_{i}_name"].split()),
                protocol=data[f"package_{i}_protocol"],
                sessions=data[f"package_{i}_sessions"],
                amount=data[f"package_{i}_amount"],
            )
            for i in range(self.package_count)
            if data.get(f"package_{i}_name")
        ]
        return NewPrices(
            currency=data["currency"],
            consultation=data.get("consultation"),
            numbing=data.get("numbing"),
            areas=areas,
            products=products,
            packages=packages,
        )
