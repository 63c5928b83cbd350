"""The price list: the version in force, what a thing costs by it, and saving a new one.

Saving never edits a version: it writes version N + 1 with all its prices (old versions
stay, and database triggers refuse UPDATE and DELETE of them), so a quote or an invoice
that names a version always shows what it was priced at. A price left empty is no row;
`PriceBook` answers None for it and callers say "no price yet", never invent one.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Max

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import Organization, User
from mesoclinic.audit.log import record
from mesoclinic.audit.models import Action
from mesoclinic.billing.models import Price, PriceKind, PriceList


@dataclass(frozen=True)
class Package:
    name: str
    protocol: str
    sessions: int
    amount: Decimal


@dataclass
class PriceBook:
    """A price list version read once: lookups cost no query."""

    price_list: PriceList
    areas: dict[tuple[str, int | None], Decimal] = field(default_factory=dict)
    products: dict[str, Decimal] = field(default_factory=dict)
    packages: list[Package] = field(default_factory=list)

    @property
    def currency(self) -> str:
        return self.price_list.currency

    def area(self, slug: str, treatment_type_id: int | None = None) -> Decimal | None:
        """The per-session price of an area for that treatment type, else for any."""
        if treatment_type_id is not None and (slug, treatment_type_id) in self.areas:
            return self.areas[(slug, treatment_type_id)]
        return self.areas.get((slug, None))

    def product(self, slug: str) -> Decimal | None:
        return self.products.get(slug)


def book_of(price_list: PriceList) -> PriceBook:
    book = PriceBook(price_list)
    for price in price_list.prices.all():
        if price.kind == PriceKind.AREA:
            book.areas[(price.area, price.treatment_type_id)] = price.amount
        elif price.kind == PriceKind.PRODUCT:
            book.products[price.product] = price.amount
        else:
            book.packages.append(
                Package(price.name, price.protocol, price.sessions or 0, price.amount)
            )
    return book


def current() -> PriceBook | None:
    """The organization's newest price list (two queries), or None before the first."""
    price_list = PriceList.objects.select_related("created_by").order_by("-version").first()
    return None if price_list is None else book_of(price_list)


@dataclass(frozen=True)
class NewPrices:
    currency: str
    consultation: Decimal | None
    numbing: Decimal | None
    areas: dict[tuple[str, int | None], Decimal]
    products: dict[str, Decimal]
    packages: list[Package]


def save_version(user: User, prices: NewPrices) -> PriceList:
    """Write the owner's prices as the next version; audited; cached quotes refresh."""
    roles.check(user, roles.MANAGE_PRICES, "Only an owner sets the price list.")
    with transaction.atomic():
        last = PriceList.objects.aggregate(last=Max("version"))["last"] or 0
        price_list = PriceList.objects.create(
            version=last + 1,
            currency=prices.currency,
            consultation=prices.consultation,
            numbing=prices.numbing,
            created_by=user,
        )
        rows = [
            Price(price_list=price_list, kind=PriceKind.AREA, area=area,
                  treatment_type_id=type_id, amount=amount)
            for (area, type_id), amount in prices.areas.items()
        ] + [
            Price(price_list=price_list, kind=PriceKind.PRODUCT, product=slug, amount=amount)
            for slug, amount in prices.products.items()
        ] + [
            Price(price_list=price_list, kind=PriceKind.PACKAGE, name=p.name,
                  protocol=p.protocol, sessions=p.sessions, amount=p.amount)
            for p in prices.packages
        ]  # fmt: skip
        for row in rows:
            row.organization_id = user.organization_id
        Price.objects.bulk_create(rows)
        # The plan editor's cached result panel shows the quote: its key carries the epoch.
        Organization.objects.filter(pk=user.organization_id).update(
            chart_epoch=F("chart_epoch") + 1
        )
        record(user, Action.CREATE, price_list, detail=f"price list version {price_list.version}")
    return price_list
