"""Informed consent generated from an approved plan version.

The document is plain text with numbered sections; the stored text is what the
patient signed, its SHA-256 is kept beside it, and the page and the PDF are both
rendered from that stored text, so they cannot differ.
"""

import re
import tomllib
from functools import cache
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.audit.log import Action, record
from mesoclinic.plans.models import (
    Consent,
    ConsentTemplate,
    Plan,
    PlanStatus,
    PlanVersion,
    second_consent_violation,
)

DEFAULT_TEMPLATE = {
    "introduction": (
        "Mesotherapy is a series of small injections into the skin, 1 to 10 mm deep, of a "
        "mixture chosen for your concern. It is usually given in several sessions a few weeks "
        "apart. Your practitioner has explained the plan below and answered your questions."
    ),
    "alternatives": "",
    "withdrawal": (
        "You may stop the course at any time, before or during any session, without giving a "
        "reason. Stopping does not affect the care you receive from the clinic. Sessions not "
        "given are not charged."
    ),
    "additional": "",
}
# Signature strokes as SVG path data: moves, lines and numbers only.
SIGNATURE_RE = re.compile(r"^[ML0-9., \-]{10,60000}$")


@cache
def fixed_text() -> dict:
    with (Path(__file__).parent / "consent.toml").open("rb") as handle:
        return tomllib.load(handle)


def template_for(organization_id: int) -> ConsentTemplate:
    latest = ConsentTemplate.objects.order_by("-version").first()
    if latest is None:
        latest = ConsentTemplate.objects.create(
            version=1,
            introduction=DEFAULT_TEMPLATE["introduction"],
            alternatives="\n".join(fixed_text()["alternatives"]),
            withdrawal=DEFAULT_TEMPLATE["withdrawal"],
        )
    return latest


@transaction.atomic
def save_template(request, data: dict) -> ConsentTemplate:
    top = ConsentTemplate.objects.aggregate(top=Max("version"))["top"] or 0
    template = ConsentTemplate.objects.create(version=top + 1, created_by=request.user, **data)
    record(
        request,
        Action.CREATE,
        template,
        object_type="consenttemplate",
        object_id=str(template.version),
        fields=sorted(data),
    )
    return template


def _ingredients(result: dict, ref) -> list[str]:
    slugs: dict[str, None] = {}
    for area in result["areas"]:
        for slug in area.get("formula_mg_per_ml", {}):
            slugs[slug] = None
    lines = []
    for slug in slugs:
        ingredient = ref.ingredients[slug]
        lines.append(f"{ingredient.patient_name}: {ingredient.purpose}")
    return lines


def _specific_risks(result: dict) -> list[str]:
    fixed = fixed_text()
    slugs = {slug for area in result["areas"] for slug in area.get("formula_mg_per_ml", {})}
    risks: dict[str, None] = {}
    for slug in sorted(slugs):
        for risk in fixed.get("specific", {}).get(slug, {}).get("risks", []):
            risks[risk] = None
    if any(area.get("points") for area in result["areas"]):
        for risk in fixed["all_injections"]["risks"]:
            risks[risk] = None
    return list(risks)


def _areas(result: dict, ref) -> list[str]:
    lines = []
    for area in result["areas"]:
        name = ref.areas[area["area"]].name + (
            f" ({area['side']} side)" if area.get("side") else ""
        )
        technique = ref.techniques[area["technique"]].name
        if area.get("depth_mm"):
            lines.append(
                f"{name}: {technique}, {area['depth_mm']:g} mm deep, {len(area['points'])} "
                f"injection points, {area['total_volume_ml']:g} mL in all per session"
            )
        else:
            lines.append(f"{name}: {technique}, without needles")
    return lines


def document_text(version: PlanVersion, patient, template: ConsentTemplate, organization) -> str:
    ref = rules.load_reference()
    result = version.result
    fixed = fixed_text()
    quote = result["quote"]
    schedule = result["schedule"]
    sections = [
        ("What mesotherapy is", [template.introduction]),
        ("What will be injected", _ingredients(result, ref)),
        (
            "Where, how deep and how often",
            _areas(result, ref)
            + [
                f"{len(schedule)} sessions, from {schedule[0]['date']} to {schedule[-1]['date']}"
                if schedule
                else "Sessions to be scheduled",
            ],
        ),
        (
            "Price",
            [
                f"{quote['currency']} {quote['low']:,.2f} to {quote['high']:,.2f} for the course, "
                "before any tax. Cosmetic mesotherapy is usually not covered by insurance.",
            ],
        ),
        ("What the evidence says", fixed["evidence"]),
        ("Common side effects", fixed["common_side_effects"]),
        ("Potential risks", fixed["potential_risks"]),
        (
            "Risks specific to your treatment",
            _specific_risks(result) or ["None beyond those above."],
        ),
        (
            "Alternatives",
            [line for line in template.alternatives.splitlines() if line.strip()]
            or fixed["alternatives"],
        ),
        ("Aftercare you agree to follow", result["aftercare"]),
        ("Your right to withdraw", [template.withdrawal]),
    ]
    if template.additional.strip():
        sections.append(("From the clinic", [template.additional]))
    sections.append(
        (
            "Your consent",
            [
                "By signing I confirm that I have read this document, that my questions were "
                "answered, and that I consent to the treatment described.",
            ],
        )
    )
    head = [
        "CONSENT TO MESOTHERAPY",
        f"Clinic: {organization.name}",
        f"Patient: {patient.full_name}, born {patient.date_of_birth.isoformat()}",
        f"Plan: {version.plan.public_id}, version {version.number} ({version.content_hash[:16]})",
        f"Consent wording: version {template.version}",
    ]
    body = []
    for number, (title, lines) in enumerate(sections, start=1):
        body.append(f"\n{number}. {title}")
        body.extend(f"- {line}" for line in lines)
    return "\n".join(head + body)


def parse(text: str) -> list[dict]:
    """Split a stored consent into header lines and sections, for the page and the PDF."""
    blocks: list[dict] = [{"title": None, "lines": []}]
    for line in text.splitlines():
        match = re.match(r"^(\d+)\. (.+)$", line)
        if match:
            blocks.append({"title": line, "lines": []})
        elif line.strip():
            blocks[-1]["lines"].append(line[2:] if line.startswith("- ") else line)
    return blocks


def valid_consent(plan: Plan) -> Consent | None:
    return (
        Consent.objects.filter(plan=plan, revoked_at__isnull=True, countersigned_at__isnull=False)
        .order_by("-patient_signed_at")
        .first()
    )


def signed_consent(version: PlanVersion) -> Consent | None:
    """The version's unrevoked consent, countersigned or not: there is at most one."""
    return Consent.objects.filter(plan_version=version, revoked_at__isnull=True).first()


@transaction.atomic
def sign(
    request, plan: Plan, version: PlanVersion, text: str, template, typed_name: str, signature: str
) -> Consent:
    """The patient's signature on this version; if it is already signed (a double tap, a
    second tablet), the consent already made is returned and nothing is written."""
    existing = signed_consent(version)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            consent = Consent.objects.create(
                plan=plan,
                plan_version=version,
                patient=plan.patient,
                template=template,
                text=text,
                text_hash=Consent.hash_text(text),
                patient_typed_name=typed_name,
                patient_signature=signature,
                patient_signed_at=timezone.now(),
            )
    except IntegrityError as error:
        # Signed meanwhile by a concurrent request, which committed first.
        if not second_consent_violation(error):
            raise
        return Consent.objects.get(plan_version=version, revoked_at__isnull=True)
    record(request, Action.CREATE, consent, fields=["patient_signature", "patient_typed_name"])
    return consent


@transaction.atomic
def countersign(request, consent: Consent) -> None:
    locked = Consent.objects.select_for_update().get(pk=consent.pk)
    if locked.countersigned_at is not None or locked.revoked_at is not None:
        return
    locked.countersigned_by = request.user
    locked.countersigned_at = timezone.now()
    locked.save(update_fields=["countersigned_by", "countersigned_at"])
    Plan.objects.filter(pk=locked.plan_id, status=PlanStatus.APPROVED).update(
        status=PlanStatus.CONSENTED
    )
    record(request, Action.CHANGE, locked, fields=["countersigned_by", "countersigned_at"])
    consent.countersigned_by, consent.countersigned_at = (
        locked.countersigned_by,
        locked.countersigned_at,
    )


@transaction.atomic
def revoke(request, consent: Consent, reason: str) -> None:
    consent.revoked_at = timezone.now()
    consent.revoked_by = request.user
    consent.revoke_reason = reason
    consent.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    Plan.objects.filter(pk=consent.plan_id, status=PlanStatus.CONSENTED).update(
        status=PlanStatus.APPROVED
    )
    record(request, Action.VOID, consent, fields=["revoked_at", "revoke_reason"])
