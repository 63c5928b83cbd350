"""Stock that looks after itself: reorder levels per product and site, expiry warnings,
and the value of what is on the shelf.

A product is counted at a site across its usable lots only (in date, not recalled):
an expired or recalled vial cannot be given, so it does not keep the shelf "full".
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.models import Site, User
from mesoclinic.audit.log import Action, record
from mesoclinic.treatments.inventory import filter_lots, label
from mesoclinic.treatments.models import Lot, StockLevel

# Two warnings before a lot expires: time to use it first, then time to act.
EXPIRY_SOON_DAYS = 30
EXPIRY_AHEAD_DAYS = 60
ALERT_LIMIT = 100

Key = tuple[int, str]  # (site id, product slug)


def _counted(lots: QuerySet[Lot], today: date) -> QuerySet[Lot]:
    return lots.filter(recalled_at__isnull=True, expires_on__gte=today)


def vials_left(today: date, keys: Iterable[Key] | None = None) -> dict[Key, int]:
    """Vials left per (site, product) across the usable lots: one grouped query."""
    lots = _counted(Lot.objects.all(), today)
    if keys is not None:
        keys = list(keys)
        lots = lots.filter(site_id__in={s for s, _ in keys}, product__in={p for _, p in keys})
    rows = lots.values("site_id", "product").annotate(
        left=Sum(F("vials_received") - F("vials_used"))
    )
    return {(r["site_id"], r["product"]): r["left"] or 0 for r in rows}


@dataclass
class LowStock:
    site: Site
    product: str
    product_name: str
    left: int
    low_at: int


def low_stock(today: date) -> list[LowStock]:
    """Every (site, product) with a level whose usable vials are at or below it."""
    levels = list(StockLevel.objects.select_related("site").order_by("site__name", "product"))
    left = vials_left(today, [(lv.site_id, lv.product) for lv in levels])
    names = _names()
    return [
        LowStock(lv.site, lv.product, names.get(lv.product, lv.product), n, lv.low_at)
        for lv in levels
        if (n := left.get((lv.site_id, lv.product), 0)) <= lv.low_at
    ][:ALERT_LIMIT]


def low_keys(today: date, keys: Iterable[Key]) -> dict[Key, LowStock]:
    """Of these (site, product) pairs, those that are low: two queries, whatever the count."""
    keys = set(keys)
    if not keys:
        return {}
    levels = StockLevel.objects.filter(
        site_id__in={s for s, _ in keys}, product__in={p for _, p in keys}
    ).select_related("site")
    wanted = [lv for lv in levels if (lv.site_id, lv.product) in keys]
    left = vials_left(today, keys)
    names = _names()
    out = {}
    for lv in wanted:
        n = left.get((lv.site_id, lv.product), 0)
        if n <= lv.low_at:
            out[(lv.site_id, lv.product)] = LowStock(
                lv.site, lv.product, names.get(lv.product, lv.product), n, lv.low_at
            )
    return out


def expiry_warning(lot: Lot, today: date) -> int | None:
    """30 or 60 when a usable lot expires within that many days, else None."""
    if lot.recalled_at is not None or lot.expires_on < today or lot.vials_left <= 0:
        return None
    days = (lot.expires_on - today).days
    if days <= EXPIRY_SOON_DAYS:
        return EXPIRY_SOON_DAYS
    if days <= EXPIRY_AHEAD_DAYS:
        return EXPIRY_AHEAD_DAYS
    return None


def expiring(today: date, within: int, after: int = -1) -> list[Lot]:
    """Usable lots expiring more than `after` and at most `within` days from today."""
    lots = filter_lots(Lot.objects.select_related("site"), "usable", today).filter(
        expires_on__gt=today + timedelta(days=after),
        expires_on__lte=today + timedelta(days=within),
    )
    return label(list(lots.order_by("expires_on", "lot_number")[:ALERT_LIMIT]))


@dataclass
class StockAlerts:
    expiring_soon: list[Lot]
    expiring_ahead: list[Lot]
    low: list[LowStock]

    def __bool__(self) -> bool:
        return bool(self.expiring_soon or self.expiring_ahead or self.low)


def alerts(today: date) -> StockAlerts:
    """What an owner acts on: low stock, and lots expiring within 30 and within 60 days."""
    return StockAlerts(
        expiring_soon=expiring(today, EXPIRY_SOON_DAYS),
        expiring_ahead=expiring(today, EXPIRY_AHEAD_DAYS, after=EXPIRY_SOON_DAYS),
        low=low_stock(today),
    )


@dataclass
class SiteValue:
    site: Site
    vials: int
    value: Decimal
    uncosted_vials: int


def value_per_site(today: date) -> list[SiteValue]:
    """What the usable stock at each site cost, from each lot's unit cost; vials whose
    cost was not recorded are counted apart rather than valued at nothing."""
    left = F("vials_received") - F("vials_used")
    money = DecimalField(max_digits=14, decimal_places=2)
    rows = (
        filter_lots(Lot.objects.all(), "usable", today)
        .values("site_id")
        .annotate(
            vials=Sum(left),
            value=Sum(ExpressionWrapper(left * F("unit_cost"), output_field=money)),
            uncosted=Sum(left, filter=Q(unit_cost__isnull=True)),
        )
    )
    by_site = {r["site_id"]: r for r in rows}
    sites = Site.objects.filter(pk__in=by_site).order_by("name")
    return [
        SiteValue(
            site=s,
            vials=by_site[s.pk]["vials"] or 0,
            value=Decimal(by_site[s.pk]["value"] or 0).quantize(Decimal("0.01")),
            uncosted_vials=by_site[s.pk]["uncosted"] or 0,
        )
        for s in sites
    ]


def currency() -> str:
    return rules.load_reference().pricing.currency


def level_for(site: Site, product: str) -> StockLevel | None:
    return StockLevel.objects.filter(site=site, product=product).first()


def levels() -> list[StockLevel]:
    rows = list(StockLevel.objects.select_related("site", "changed_by").order_by("site__name"))
    names = _names()
    for row in rows:
        row.product_name = names.get(row.product, row.product)
    return sorted(rows, key=lambda r: (r.site.name, r.product_name))


@transaction.atomic
def set_level(user: User, site: Site, product: str, low_at: int) -> StockLevel:
    """The owner's level for the product at the site, created or changed, and audited."""
    roles.check(user, roles.MANAGE_STAFF, "Only an owner sets stock levels.")
    now = timezone.now()
    level, created = StockLevel.objects.select_for_update().get_or_create(
        site=site,
        product=product,
        defaults={"low_at": low_at, "changed_at": now, "changed_by": user},
    )
    if not created:
        before = level.low_at
        level.low_at, level.changed_at, level.changed_by = low_at, now, user
        level.save(update_fields=["low_at", "changed_at", "changed_by"])
    detail = f"low at {low_at} vials" if created else f"low at {before} -> {low_at} vials"
    record(
        user, Action.CREATE if created else Action.CHANGE, level, fields=["low_at"], detail=detail
    )
    return level


def _names() -> dict[str, str]:
    return {slug: p.name for slug, p in rules.load_reference().products.items()}
