"""What the patient is told: consent risks specific to each ingredient, sourced; the
bleeding and off-label statements; no marketing claim from the seeds, anywhere."""

import io
import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.urls import reverse
from pypdf import PdfReader

from mesoclinic import rules
from mesoclinic.accounts.models import zone_named
from mesoclinic.patients import models as pm
from mesoclinic.plans import consent as c
from mesoclinic.plans.models import Consent, ConsentTemplate
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import aftercare
from tests.factories import SIGNATURE, client_for

BLEEDING = "You take a medicine that affects bleeding, or have a bleeding disorder"
OFF_LABEL = "Some of what is planned is not a licensed medicine used as its label describes"
# The seeds' claims (clinical-reference §1): never in consent or patient material.
SEED_CLAIMS = ("melt away", "little to no downtime", "miracle", "80%", "safe and effective")
CODES = re.compile(r"\b[A-Z]{2,}_[A-Z_]+\b|seed \d{3}|§|clinical-reference")


def _result(spec, products=None, formula=None, **profile):
    concern, area, protocol = spec.split(":")
    request = rules.TreatmentRequest(
        concern, area, protocol=protocol, products=products, formula=formula
    )
    profile.setdefault("weight_kg", 70)
    return rules.build_plan(rules.PatientProfile(**profile), [request]).to_dict()


def _consent(org, patient, result) -> str:
    version = SimpleNamespace(
        result=result, plan=SimpleNamespace(public_id="plan"), number=1, content_hash="0" * 64
    )
    template = SimpleNamespace(
        introduction=c.DEFAULT_TEMPLATE["introduction"],
        alternatives="",
        withdrawal=c.DEFAULT_TEMPLATE["withdrawal"],
        additional="",
        version=1,
    )
    with acting_for(org):
        return c.document_text(version, patient, template, org)


def _section(text: str, title: str) -> list[str]:
    for block in c.parse(text):
        if block["title"] and block["title"].endswith(title):
            return [line["text"] for line in block["lines"]]
    return []


def _risks(text: str) -> list[str]:
    return _section(text, "Risks specific to your treatment")


def _cited(line: str) -> str:
    return c.source_of(line)


# --- risks specific to each ingredient ----------------------------------------------


@pytest.mark.parametrize(
    "spec,phrases,source",
    [
        (
            "pain:knees:pain-point-by-point",
            ["lidocaine toxicity", "metallic taste", "ringing in the ears", "irregular heartbeat"],
            "xylocaine-label",
        ),
        (
            "hair-loss:scalp:hair-minoxidil",
            ["low blood pressure", "a fast heartbeat", "unwanted hair growth"],
            "minoxidil",
        ),
        (
            "hair-loss:scalp:hair-dutasteride",
            ["is or may become pregnant", "handle it"],
            "pregnancy",
        ),
        ("hair-loss:scalp:hair-dutasteride", ["Do not give blood"], "dutasteride"),
        (
            "skin-rejuvenation:cheeks:skin-booster-ha",
            ["vascular occlusion", "blindness", "stroke", "an emergency"],
            "filler-vascular",
        ),
        ("localized-fat:submental:submental-deoxycholic", ["beard area"], "kybella-adverse-events"),
        (
            "localized-fat:submental:submental-deoxycholic",
            ["Nerve injury in the jaw (4% in the label's trials)", "smile uneven"],
            "kybella-adverse-events",
        ),
        (
            "localized-fat:submental:submental-deoxycholic",
            ["Difficulty swallowing (2% in the label's trials)"],
            "kybella-adverse-events",
        ),
    ],
)
def test_each_ingredient_brings_its_own_sourced_risks(org, patient, spec, phrases, source):
    risks = _risks(_consent(org, patient, _result(spec)))
    [line] = [r for r in risks if all(p in r for p in phrases)]
    assert _cited(line) == rules.load_reference().sources[source].cites


def test_every_number_in_a_consent_statement_is_in_its_source():
    ref = rules.load_reference()
    for statement in c._statements():
        cites = ref.sources[statement["source"]].cites
        for number in re.findall(r"\d+", statement["text"]):
            assert re.search(rf"(?<!\d){number}(?!\d)", cites), (number, statement["text"])


def test_the_labels_chin_frequencies_are_not_given_for_other_areas(org, patient):
    risks = " ".join(
        _risks(_consent(org, patient, _result("localized-fat:abdomen:body-lipolysis-pcdc")))
    )
    assert "87%" not in risks and "beard" not in risks and "smile" not in risks
    assert "panniculitis" in risks and "ulceration or necrosis" in risks


def test_no_vascular_occlusion_warning_without_needles(org, patient):
    spec = "skin-rejuvenation:cheeks:electroporation-needle-free"
    text = _consent(org, patient, _result(spec))
    assert "vascular occlusion" not in text and "mycobacterial" not in text


# --- bleeding risk ------------------------------------------------------------------


def test_a_blood_thinner_in_the_plan_brings_the_bleeding_paragraph(org, patient):
    result = _result("localized-fat:submental:submental-deoxycholic", medications=["Plavix"])
    [line] = [r for r in _risks(_consent(org, patient, result)) if r.startswith(BLEEDING)]
    assert _cited(line) == rules.load_reference().sources["bleeding"].cites


def test_a_blood_thinner_recorded_after_the_plan_counts_too(org, patient, practitioner):
    result = _result("localized-fat:submental:submental-deoxycholic")
    assert BLEEDING not in _consent(org, patient, result)
    with acting_for(org):
        pm.Medication.objects.create(
            patient=patient,
            recorded_on=datetime.now(UTC).date(),
            created_by=practitioner,
            name="Eliquis 5 mg",
        )
    assert BLEEDING in _consent(org, patient, result)


def test_a_bleeding_disorder_brings_the_paragraph(org, patient):
    spec = "localized-fat:submental:submental-deoxycholic"
    result = _result(spec, conditions=["bleeding-disorder"])
    assert BLEEDING in _consent(org, patient, result)


def test_a_bleeding_disorder_recorded_after_the_plan_counts_too(org, patient, practitioner):
    result = _result("localized-fat:submental:submental-deoxycholic")
    with acting_for(org):
        pm.Condition.objects.create(
            patient=patient,
            recorded_on=datetime.now(UTC).date(),
            created_by=practitioner,
            condition="bleeding-disorder",
        )
    assert BLEEDING in _consent(org, patient, result)


def test_no_bleeding_paragraph_without_needles(org, patient, practitioner):
    with acting_for(org):
        pm.Medication.objects.create(
            patient=patient,
            recorded_on=datetime.now(UTC).date(),
            created_by=practitioner,
            name="warfarin",
        )
    spec = "skin-rejuvenation:cheeks:electroporation-needle-free"
    assert BLEEDING not in _consent(org, patient, _result(spec, medications=["warfarin"]))


# --- off-label and compounded use ---------------------------------------------------


def test_a_labelled_product_used_where_its_label_allows_needs_no_off_label_statement(org, patient):
    text = _consent(org, patient, _result("localized-fat:submental:submental-deoxycholic"))
    assert OFF_LABEL not in text


@pytest.mark.parametrize(
    "spec,kw,area",
    [
        ("localized-fat:abdomen:body-lipolysis-pcdc", {}, "Abdomen"),  # grade B mixture
        ("skin-rejuvenation:cheeks:skin-booster-ha", {}, "Cheeks"),  # grade C device
        (  # the labelled product outside its labelled area
            "localized-fat:jawline:body-lipolysis-gpc",
            {"products": ["deoxycholic-10mg-2ml"]},
            "Jawline",
        ),
        (  # two labelled products mixed in one syringe
            "localized-fat:submental:submental-deoxycholic",
            {"products": ["deoxycholic-10mg-2ml", "lidocaine-1pct-5ml"]},
            "Submental (under the chin)",
        ),
        (  # a formula without products
            "localized-fat:submental:submental-deoxycholic",
            {"formula": {"deoxycholic-acid": 10}},
            "Submental (under the chin)",
        ),
    ],
)
def test_off_label_or_compounded_use_is_stated_with_its_areas(org, patient, spec, kw, area):
    lines = _section(_consent(org, patient, _result(spec, **kw)), "Licensed and unlicensed use")
    assert lines[0].startswith(OFF_LABEL) and _cited(lines[0])
    assert lines[1] == f"This applies to: {area}."


def test_labelled_use_is_one_grade_a_product_in_its_labelled_area():
    assert rules.labelled_use(["deoxycholic-10mg-2ml"], "submental")
    assert rules.labelled_use(["lidocaine-1pct-5ml"], "knees")
    assert not rules.labelled_use(["deoxycholic-10mg-2ml"], "abdomen")
    assert not rules.labelled_use(["pcdc-5ml"], "abdomen")
    assert not rules.labelled_use([], "submental")
    assert not rules.labelled_use(["deoxycholic-10mg-2ml", "lidocaine-1pct-5ml"], "submental")
    with pytest.raises(rules.RulesInputError):
        rules.labelled_use(["snake-oil"], "submental")


# --- no marketing claims and no codes, for every protocol ---------------------------


def _email(result, org) -> str:
    site = SimpleNamespace(
        name="Main site",
        address="1 High St",
        phone="+1 555",
        zone=zone_named("UTC"),
        organization=SimpleNamespace(name=org.name, out_of_hours=org.out_of_hours),
    )
    session = SimpleNamespace(
        patient=SimpleNamespace(first_name="Anna"),
        signed_at=datetime(2026, 3, 2, 10, tzinfo=UTC),
        site=site,
        aftercare=result["aftercare"],
    )
    return aftercare.email_text(
        session, "Seek care at once for intense pain or signs of infection."
    )


def test_no_protocol_states_a_marketing_claim_or_shows_a_code(org, patient):
    ref = rules.load_reference()
    slugs = {s for s in (*ref.protocols, *ref.areas, *ref.ingredients, *ref.products) if "-" in s}
    profiles = [{}, {"medications": ["warfarin"], "conditions": ["heart-failure"]}]
    checked = 0
    for proto in ref.protocols.values():
        for area in proto.areas:
            for profile in profiles:
                result = _result(f"{proto.concerns[0]}:{area}:{proto.slug}", **profile)
                treated = [
                    rules.Treated(a["area"], a["technique"], a["formula_mg_per_ml"])
                    for a in result["areas"]
                ]
                day = rules.aftercare_for(rules.PatientProfile(**profile), treated)
                for text in (
                    _consent(org, patient, result),
                    "\n".join(day),
                    _email(result, org),
                ):
                    assert c.marketing_claims(text) == [], (proto.slug, area)
                    for claim in SEED_CLAIMS:
                        assert claim not in text.lower(), (claim, proto.slug)
                    assert not CODES.search(text), (proto.slug, CODES.search(text))
                    assert not [s for s in slugs if s in text], (proto.slug, area)
                checked += 1
    assert checked > 50


@pytest.mark.parametrize(
    "text,claims",
    [
        ("Mesotherapy is safe and effective.", ["safe and effective"]),
        ("SAFE AND EFFECTIVE results", ["SAFE AND EFFECTIVE"]),
        ("Results guaranteed!", ["guaranteed"]),
        ("It achieves 80% success for cellulite.", ["80% success"]),
        ("a 95 % success rate", ["95 % success"]),
        ("No downtime, painless and permanent.", ["No downtime", "painless", "permanent"]),
        ("Nobody can promise a result; it can be painful.", []),
        ("permanently", []),  # whole phrases only
    ],
)
def test_marketing_claims_are_found_as_whole_phrases_in_any_case(text, claims):
    assert c.marketing_claims(text) == claims


# --- the clinic's consent wording --------------------------------------------------

WORDING = {
    "introduction": "Our own introduction.",
    "alternatives": "Doing nothing",
    "withdrawal": "Stop whenever you like.",
    "additional": "",
}


@pytest.mark.parametrize("field", ["introduction", "alternatives", "withdrawal", "additional"])
@pytest.mark.parametrize(
    "claim",
    ["Safe and effective", "guaranteed", "80% success", "no downtime", "Painless", "permanent"],
)
def test_the_clinics_wording_is_refused_next_to_the_field_when_it_states_a_claim(
    org, owner, field, claim
):
    response = client_for(owner).post(
        reverse("consent_template"), {**WORDING, field: f"Our treatment: {claim}."}
    )
    assert response.status_code == 400
    body = response.content.decode()
    start = body.index(f'id="id_{field}_error"')
    error = body[start : body.index("</p>", start)]
    assert "cannot state marketing claims as fact" in error and claim in error
    assert f"Our treatment: {claim}." in body  # what was typed is kept
    with acting_for(org):
        assert not ConsentTemplate.objects.filter(created_by=owner).exists()


def test_honest_wording_is_saved(org, owner):
    text = {**WORDING, "additional": "Some people find it uncomfortable; results vary."}
    assert client_for(owner).post(reverse("consent_template"), text).status_code == 302
    with acting_for(org):
        assert ConsentTemplate.objects.get(created_by=owner).additional == text["additional"]


@pytest.mark.parametrize(
    "role,expected",
    [("owner", 200), ("practitioner", 403), ("esthetician", 403), ("reception", 403)],
)
def test_only_the_owner_edits_the_consent_wording(personas, role, expected):
    url = reverse("consent_template")
    client = client_for(personas[role])
    assert client.get(url).status_code == expected
    posted = client.post(url, {**WORDING, "introduction": "Changed by someone."})
    assert posted.status_code == (302 if expected == 200 else expected)


def test_another_clinics_owner_never_sees_or_changes_our_wording(org, owner, outsider):
    client_for(owner).post(reverse("consent_template"), WORDING)
    page = client_for(outsider).get(reverse("consent_template")).content.decode()
    assert "Our own introduction." not in page
    client_for(outsider).post(reverse("consent_template"), {**WORDING, "introduction": "Theirs"})
    with acting_for(org):
        assert ConsentTemplate.objects.order_by("-version").first().introduction == (
            "Our own introduction."
        )


# --- sources one tap away on the page, listed on the PDF ----------------------------


def test_the_consent_page_puts_each_statements_source_one_tap_away(practitioner, approved_plan):
    page = (
        client_for(practitioner)
        .get(reverse("consent_new", args=[approved_plan.public_id]))
        .content.decode()
    )
    assert '<details class="source-note"><summary>Source</summary>' in page
    assert "Kybella label frequencies: oedema 87%" in page  # behind the tap
    outside = re.sub(r"<details.*?</details>", "", page, flags=re.S)
    assert not CODES.search(outside)


def test_the_consent_pdf_lists_the_sources(org, practitioner, approved_plan):
    client = client_for(practitioner)
    page = client.get(reverse("consent_new", args=[approved_plan.public_id]))
    client.post(
        reverse("consent_new", args=[approved_plan.public_id]),
        {
            "typed_name": "Anna García",
            "signature": SIGNATURE,
            "understood": "on",
            "text_hash": page.context["text_hash"],
        },
    )
    with acting_for(org):
        consent = Consent.objects.get()
    response = client.get(reverse("consent_pdf", args=[consent.public_id]))
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    flat = " ".join(text.split())
    assert "Where these statements come from" in flat
    assert "Kybella label frequencies" in flat
