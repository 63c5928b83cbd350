"""Keep `ProductContent` equal to the catalogue's contents (`rules/data/products.toml`).

The sign-off trigger on PostgreSQL sums charted volume times mg/mL from that table, so
it must say what the rules engine says. The migration that creates it fills it, and a
`post_migrate` handler rewrites it after every migrate, when the data files may have
changed with a release.
"""

from decimal import Decimal
from typing import Any

from django.apps import AppConfig
from django.apps.registry import Apps

from mesoclinic import rules
from mesoclinic.treatments.models import ProductContent


def wanted() -> dict[tuple[str, str], Decimal]:
    return {
        (product.slug, ingredient): Decimal(str(mg_per_ml))
        for product in rules.load_reference().products.values()
        for ingredient, mg_per_ml in product.contents.items()
    }


def sync(model: type[ProductContent], using: str = "default") -> int:
    """Insert, update and delete rows of `model` (the real or a migration's historical
    ProductContent) until they match the catalogue; returns how many rows changed."""
    target = wanted()
    rows = {(r.product, r.ingredient): r for r in model.objects.using(using).all()}
    stale = [r.pk for key, r in rows.items() if key not in target]
    model.objects.using(using).filter(pk__in=stale).delete()
    changed = [r for key, r in rows.items() if key in target and r.mg_per_ml != target[key]]
    for row in changed:
        row.mg_per_ml = target[(row.product, row.ingredient)]
    model.objects.using(using).bulk_update(changed, ["mg_per_ml"])
    missing = [
        model(product=p, ingredient=i, mg_per_ml=mg)
        for (p, i), mg in target.items()
        if (p, i) not in rows
    ]
    model.objects.using(using).bulk_create(missing)
    return len(stale) + len(changed) + len(missing)


def sync_after_migrate(
    sender: AppConfig,
    app_config: AppConfig | None = None,
    using: str = "default",
    apps: Apps | None = None,
    **kwargs: Any,
) -> None:
    from django.apps import apps as installed

    try:
        # The migrated state's model when `migrate` sends this; `flush` sends no state.
        model = (apps or installed).get_model("treatments", "ProductContent")
    except LookupError:  # migrated back to before the table existed
        return
    sync(model, using)
