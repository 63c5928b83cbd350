"""The aftercare sheet of a treatment session: written by the rules engine for what was
charted, for the patient as they are today (clinical-reference §7), and the clinic's
contact details that go with it on every sheet, page and email."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.treatments.exposure import session_profile
from mesoclinic.treatments.models import SessionArea, TreatmentSession

SEEK_CARE = "Seek care at once for intense pain or signs of infection."


@dataclass(frozen=True)
class Contact:
    """Whom the patient calls: the site that treated them, and what to do out of hours."""

    clinic: str
    site: str
    address: str
    phone: str
    out_of_hours: str


def contact_for(session: TreatmentSession) -> Contact:
    site = session.site
    return Contact(
        clinic=site.organization.name,
        site=site.name,
        address=site.address,
        phone=site.phone,
        out_of_hours=site.organization.out_of_hours,
    )


def _planned(session: TreatmentSession) -> dict[str, dict[str, Any]]:
    areas = (
        session.plan_version.result.get("areas", [])
        if session.plan_version is not None
        else session.precheck.get("areas", [])
    )
    return {area["area"]: area for area in areas}


def _numbing(ref: rules.Reference, precheck: dict[str, Any]) -> set[str]:
    """Ingredients of the numbing cream recorded at the pre-check: a coded catalogue cream,
    or (sessions from before creams were coded) free text naming a cream by its first word
    ("EMLA") or an ingredient by its name ("lidocaine")."""
    coded = (precheck.get("numbing") or {}).get("product")
    if coded is not None and coded in ref.products:
        return set(ref.products[coded].contents)
    text = precheck.get("numbing_product") or ""
    words = set(re.findall(r"[a-z0-9]+", text.lower()))
    found: set[str] = set()
    for product in ref.products.values():
        if product.form == "topical" and product.name.split()[0].lower() in words:
            found |= set(product.contents)
    for ingredient in ref.ingredients.values():
        if ingredient.name.lower() in words:
            found.add(ingredient.slug)
    return found


def treated(
    session: TreatmentSession, rows: Iterable[SessionArea] | None = None
) -> list[rules.Treated]:
    """What was charted, each area with the concern and protocol the plan gave it."""
    ref = rules.load_reference()
    planned = _planned(session)
    numbing = _numbing(ref, session.precheck)
    if rows is None:
        rows = SessionArea.objects.filter(session=session).select_related("lot").order_by("id")
    out = []
    for row in rows:
        product = ref.products.get(row.lot.product)
        plan_area = planned.get(row.area, {})
        out.append(
            rules.Treated(
                row.area,
                row.technique,
                {*(product.contents if product else ()), *numbing},
                concern=plan_area.get("concern"),
                protocol=plan_area.get("protocol"),
            )
        )
    return out


def sheet_lines(
    session: TreatmentSession,
    profile: rules.PatientProfile | None = None,
    rows: Iterable[SessionArea] | None = None,
) -> list[str]:
    """The aftercare sheet for this session, tailored to the patient today (the profile and
    charted rows may be passed by a caller that already has them)."""
    profile = profile or session_profile(session)
    return rules.aftercare_for(profile, treated(session, rows), today=timezone.localdate())


def email_text(session: TreatmentSession, seek_care: str) -> str:
    assert session.signed_at is not None  # the email goes out at sign-off
    context = {
        "patient": session.patient,
        "day": f"{session.signed_at.astimezone(session.site.zone):%d %B %Y}",
        "lines": session.aftercare,
        "seek_care": seek_care,
        "contact": contact_for(session),
    }
    return render_to_string("treatments/aftercare_email.txt", context)
