"""The grade-A mg caps of one session, as the database guards them at sign-off."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from .limits import DIGITS, applies, family_of
from .loader import load_reference
from .models import PatientProfile
from .profile import validate_profile
from .reference import Limit, Reference


def grade_a_caps(
    profile: PatientProfile,
    *,
    products: Collection[str] | None = None,
    reference: Reference | None = None,
    today: dt.date | None = None,
) -> list[dict[str, object]]:
    """The grade-A mg caps for one session of this patient, as the database guards them.

    One entry per ingredient and cap: the lowest grade-A mg cap and the catalogue
    products whose content counts against it (a recognised mixture does not count
    against a limit it is exempt from; a family cap counts every member's products).
    """
    ref = reference or load_reference()
    facts = validate_profile(profile, ref, today or dt.date.today())
    catalogue = ref.products if products is None else {p: ref.products[p] for p in products}
    out: list[dict[str, object]] = []
    for slug, ing in sorted(ref.ingredients.items()):
        caps: list[tuple[float, Limit]] = []
        for lim in ing.limits:
            if lim.grade != "A" or lim.value is None:
                continue
            if lim.kind == "max_mg":
                caps.append((lim.value, lim))
            elif lim.kind == "max_mg_per_kg" and facts.weight_kg is not None:
                caps.append((round(lim.value * facts.weight_kg, DIGITS), lim))
        for family_wide in (False, True):
            mine = [(v, lim) for v, lim in caps if lim.counts_family == family_wide]
            if not mine:
                continue
            value, lim = min(mine, key=lambda c: c[0])
            members = sorted(family_of(ref, slug)) if family_wide else [slug]
            counted = sorted(
                p.slug
                for p in catalogue.values()
                if any(m in p.contents for m in members) and applies(lim, slug, p.contents)
            )
            out.append(
                {"ingredient": slug, "ingredients": members, "products": counted, "mg": value}
            )
    return out
