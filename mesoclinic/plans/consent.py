"""Informed consent generated from an approved plan version.

The document is plain text with numbered sections; the stored text is what the
patient signed, its SHA-256 is kept beside it, and the page and the PDF are both
rendered from that stored text, so they cannot differ.
"""

import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.models import Organization, User
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.models import Patient
from mesoclinic.patients.services import chart_for
from mesoclinic.plans import services as plans
from mesoclinic.plans import states
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


# Marketing claims the seeds make (clinical-reference §1): never stated as fact in
# consent or patient material. Whole phrases, any case; "NN% success" for any number.
MARKETING_CLAIMS = re.compile(
    r"\b(?:safe and effective|guaranteed|no downtime|painless|permanent"
    r"|\d+(?:[.,]\d+)?\s?%\s+success)\b",
    re.IGNORECASE,
)


def marketing_claims(text: str) -> list[str]:
    """The marketing claims a text states, as written, in order, once each."""
    return list(dict.fromkeys(m.group(0) for m in MARKETING_CLAIMS.finditer(text)))


def _statements() -> list[dict]:
    fixed = fixed_text()
    out = [*fixed["evidence"], *fixed["common_side_effects"], *fixed["potential_risks"]]
    out += [fixed["bleeding"], fixed["off_label"], *fixed["specific"], *fixed["all_injections"]]
    return out


@cache
def _sources() -> dict[str, str]:
    ref = rules.load_reference()
    return {s["text"]: ref.sources[s["source"]].cites for s in _statements()}


def source_of(line: str) -> str:
    """Where a consent statement comes from ("" for the plan's own facts), for the page."""
    found = _sources().get(line)
    if found is None:
        source = rules.aftercare_source(line)
        found = source.cites if source else ""
    return found


def template_for() -> ConsentTemplate:
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
def save_template(user: User, data: dict[str, Any]) -> ConsentTemplate:
    top = ConsentTemplate.objects.aggregate(top=Max("version"))["top"] or 0
    template = ConsentTemplate.objects.create(version=top + 1, created_by=user, **data)
    record(
        user,
        Action.CREATE,
        template,
        object_type="consenttemplate",
        object_id=str(template.version),
        fields=sorted(data),
    )
    return template


def _ingredients(result: dict, ref: rules.Reference) -> list[str]:
    slugs: dict[str, None] = {}
    for area in result["areas"]:
        for slug in area.get("formula_mg_per_ml", {}):
            slugs[slug] = None
    lines = []
    for slug in slugs:
        ingredient = ref.ingredients[slug]
        lines.append(f"{ingredient.patient_name}: {ingredient.purpose}")
    return lines


def _needles(area: dict) -> bool:
    return bool(area.get("points"))


def _specific_risks(result: dict, bleeding: bool) -> list[str]:
    """Each ingredient's risks where it is used, then those of every injection."""
    fixed = fixed_text()
    risks: dict[str, None] = {}
    if bleeding and any(_needles(area) for area in result["areas"]):
        risks[fixed["bleeding"]["text"]] = None
    for statement in fixed["specific"]:
        for area in result["areas"]:
            if (
                set(statement["ingredients"]) & set(area.get("formula_mg_per_ml", {}))
                and (not statement.get("areas") or area["area"] in statement["areas"])
                and (not statement.get("injection") or _needles(area))
            ):
                risks[statement["text"]] = None
    if any(_needles(area) for area in result["areas"]):
        for statement in fixed["all_injections"]:
            risks[statement["text"]] = None
    return list(risks)


def _off_label(result: dict, ref: rules.Reference) -> list[str]:
    """The off-label or compounded-use statement, naming the areas it concerns."""
    names: dict[str, None] = {}
    for area in result["areas"]:
        if not rules.labelled_use(area.get("products", []), area["area"]):
            names[ref.areas[area["area"]].name] = None
    if not names:
        return []
    return [fixed_text()["off_label"]["text"], f"This applies to: {', '.join(names)}."]


def _bleeding_risk(result: dict, patient: Patient) -> bool:
    """A bleeding-risk medicine or a bleeding disorder, in the plan's findings or on the
    chart today (a medicine started since the plan was approved counts)."""
    codes = {f["code"] for f in result.get("warnings", []) + result.get("overridden", [])}
    if codes & {"ANTICOAGULANT", "BLEEDING_DISORDER"}:
        return True
    chart = chart_for(patient)
    return any(rules.classify_medication(m.name) for m in chart.medications) or any(
        c.condition == "bleeding-disorder" for c in chart.conditions
    )


def _areas(result: dict, ref: rules.Reference) -> list[str]:
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


def document_text(
    version: PlanVersion, patient: Patient, template: ConsentTemplate, organization: Organization
) -> str:
    """The exact text the patient reads and signs: numbered sections under a header."""
    head = [
        "CONSENT TO MESOTHERAPY",
        f"Clinic: {organization.name}",
        f"Patient: {patient.full_name}, born {patient.date_of_birth.isoformat()}",
        f"Plan: {version.plan.public_id}, version {version.number} ({version.content_hash[:16]})",
        f"Consent wording: version {template.version}",
    ]
    body = []
    sections = [(title, lines) for title, lines in _sections(version, patient, template) if lines]
    for number, (title, lines) in enumerate(sections, start=1):
        body.append(f"\n{number}. {title}")
        body.extend(f"- {line}" for line in lines)
    return "\n".join(head + body)


def _sections(
    version: PlanVersion, patient: Patient, template: ConsentTemplate
) -> list[tuple[str, list[str]]]:
    ref = rules.load_reference()
    result = version.result
    fixed = fixed_text()
    quote = result["quote"]
    schedule = result["schedule"]
    texts = {name: [s["text"] for s in fixed[name]] for name in ("evidence", "potential_risks")}
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
        ("Licensed and unlicensed use", _off_label(result, ref)),
        (
            "Price",
            [
                f"{quote['currency']} {quote['low']:,.2f} to {quote['high']:,.2f} for the course, "
                "before any tax. Cosmetic mesotherapy is usually not covered by insurance.",
            ],
        ),
        ("What the evidence says", texts["evidence"]),
        ("Common side effects", [s["text"] for s in fixed["common_side_effects"]]),
        ("Potential risks", texts["potential_risks"]),
        (
            "Risks specific to your treatment",
            _specific_risks(result, _bleeding_risk(result, patient))
            or ["None beyond those above."],
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
    return sections


def parse(text: str) -> list[dict]:
    """Split a stored consent into header lines and sections, for the page and the PDF.

    Each section line is {"text", "source"}: the source of a fixed statement, "" for the
    plan's own facts and for wording this version no longer writes.
    """
    blocks: list[dict] = [{"title": None, "lines": []}]
    for line in text.splitlines():
        match = re.match(r"^(\d+)\. (.+)$", line)
        if match:
            blocks.append({"title": line, "lines": []})
        elif line.strip():
            line = line[2:] if line.startswith("- ") else line
            source = source_of(line) if blocks[-1]["title"] else ""
            blocks[-1]["lines"].append({"text": line, "source": source})
    return blocks


def cited(blocks: list[dict]) -> list[str]:
    """The distinct sources of a parsed consent, in order: the printed page's list."""
    return list(
        dict.fromkeys(line["source"] for b in blocks for line in b["lines"] if line["source"])
    )


def valid_consent(plan: Plan) -> Consent | None:
    return (
        Consent.objects.filter(plan=plan, voided_at__isnull=True, countersigned_at__isnull=False)
        .order_by("-patient_signed_at")
        .first()
    )


def signed_consent(version: PlanVersion) -> Consent | None:
    """The version's unrevoked consent, countersigned or not: there is at most one."""
    return Consent.objects.filter(plan_version=version, voided_at__isnull=True).first()


class ConsentRefused(Exception):
    """The plan cannot be consented now; the message says why, for a person."""


def version_to_sign(plan: Plan) -> PlanVersion:
    """The version the patient consents to: the approved plan's latest."""
    version = plans.latest_version(plan)
    if plan.status != PlanStatus.APPROVED or version is None:
        raise ConsentRefused("Only an approved plan can be consented.")
    return version


@transaction.atomic
def sign(
    user: User,
    plan: Plan,
    version: PlanVersion,
    text: str,
    template: ConsentTemplate,
    typed_name: str,
    signature: str,
    *,
    shown_hash: str | None = None,
    detail: str = "",
) -> Consent:
    """The patient's signature on this version; if it is already signed (a double tap, a
    second tablet), the consent already made is returned and nothing is written.

    `user` is whoever holds the pen's account: the staff member whose tablet it is, or
    the patient in the portal (the consent's `created_by`, so `signed_at_home`).
    `shown_hash` is the hash of the text the patient read; a different one means the
    document changed while it was read, and nothing is signed. `detail` says where it
    was signed, for the audit log.
    """
    if shown_hash is not None and shown_hash != Consent.hash_text(text):
        raise ConsentRefused("The document changed while it was being read; please read it again.")
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
                changed_by=user,
            )
    except IntegrityError as error:
        # Signed meanwhile by a concurrent request, which committed first.
        if not second_consent_violation(error):
            raise
        return Consent.objects.get(plan_version=version, voided_at__isnull=True)
    record(
        user,
        Action.CREATE,
        consent,
        fields=["patient_signature", "patient_typed_name"],
        detail=detail,
    )
    return consent


def sign_as_read(
    user: User,
    plan: Plan,
    typed_name: str,
    signature: str,
    *,
    shown_hash: str,
    detail: str = "",
) -> Consent:
    """`sign` the approved plan's latest version in its document as it reads now, which
    must hash to `shown_hash`, the hash of the text the patient was shown: every place a
    patient signs (the clinic's tablet, the kiosk, the portal, the API) signs this way."""
    version = version_to_sign(plan)
    template = template_for()
    text = document_text(version, plan.patient, template, plan.patient.organization)
    return sign(
        user,
        plan,
        version,
        text,
        template,
        typed_name,
        signature,
        shown_hash=shown_hash,
        detail=detail,
    )


def _change_state(consent: Consent, target: str) -> bool:
    """Whether `consent` moves to `target`: False if it is there already (a double tap),
    TransitionRefused if the table does not allow it."""
    current = states.consent_state(consent)
    if current == target and target == states.ConsentState.COUNTERSIGNED:
        return False
    states.CONSENT.check(current, target)
    return True


@transaction.atomic
def countersign(user: User, consent: Consent) -> None:
    """A practitioner countersigns; a countersigned consent makes an approved plan consented."""
    if not roles.can(user, roles.SIGN_CLINICAL):
        raise PermissionDenied("Only a practitioner countersigns a consent.")
    locked = Consent.objects.select_for_update().get(pk=consent.pk)
    if not _change_state(locked, states.ConsentState.COUNTERSIGNED):
        return
    locked.countersigned_by = user
    locked.countersigned_at = timezone.now()
    locked.changed_by = user
    locked.save(update_fields=["countersigned_by", "countersigned_at"])
    plans.consent_given(locked.plan_id)
    record(user, Action.CHANGE, locked, fields=["countersigned_by", "countersigned_at"])
    consent.countersigned_by, consent.countersigned_at = (
        locked.countersigned_by,
        locked.countersigned_at,
    )


@transaction.atomic
def revoke(user: User, consent: Consent, reason: str) -> None:
    if not roles.can(user, roles.EDIT_CLINICAL):
        raise PermissionDenied("Only clinical staff revoke a consent.")
    locked = Consent.objects.select_for_update().get(pk=consent.pk)
    _change_state(locked, states.ConsentState.REVOKED)
    consent.voided_at = timezone.now()
    consent.voided_by = user
    consent.void_reason = reason
    consent.changed_by = user
    consent.save(update_fields=["voided_at", "voided_by", "void_reason"])
    plans.consent_withdrawn(consent.plan_id)
    record(user, Action.VOID, consent, fields=["voided_at", "void_reason"], detail=reason)
