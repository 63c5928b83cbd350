"""Scope of practice: who may start a session, chart prescription medicines, and sign off.

The rule is clinical-reference §7 (source `scope-of-practice`): prescription
ingredients are charted only by a practitioner, or under a practitioner named at
session start as supervising; sign-off is by a licensed practitioner.
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from mesoclinic.accounts import licences
from mesoclinic.accounts.models import LicenceType
from mesoclinic.accounts.roles import Role
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import scope
from mesoclinic.treatments.models import TreatmentSession
from mesoclinic.treatments.scope import ScopeRefused
from tests.factories import give_licence, make_user

TODAY = date(2026, 12, 2)
DEOXY_NOTE = (
    "Deoxycholic acid is a prescription medicine: only a licensed practitioner charts it, "
    "or name a supervising practitioner when the session starts."
)


@pytest.fixture(autouse=True)
def _in_clinic(org):
    with acting_for(org):
        yield


@pytest.fixture
def licensed(practitioner):
    """The conftest practitioner's licence runs a year from the real today; pin it."""
    licence = practitioner.licences.get()
    licence.expires_on = TODAY + timedelta(days=200)
    licence.save(update_fields=["expires_on"])
    return practitioner


def session_of(patient, site, performed_by, supervised_by=None) -> TreatmentSession:
    return TreatmentSession.objects.create(
        patient=patient,
        site=site,
        adhoc_reason="Touch-up",
        started_at=timezone.now(),
        performed_by=performed_by,
        supervised_by=supervised_by,
    )


def refusal(call, *args) -> str:
    with pytest.raises(ScopeRefused) as caught:
        call(*args)
    assert caught.value.source.id == "scope-of-practice"
    return caught.value.message


# valid_licence


def test_a_prescribing_licence_is_valid_up_to_and_including_its_expiry_day(practitioner):
    licence = give_licence(practitioner, expires_on=TODAY, number="GMC-2")
    practitioner.licences.exclude(pk=licence.pk).delete()
    assert scope.valid_licence(practitioner, TODAY) == licence
    assert scope.valid_licence(practitioner, TODAY + timedelta(days=1)) is None


def test_the_longest_lasting_of_several_licences_is_the_valid_one(licensed):
    later = give_licence(licensed, LicenceType.NURSE_PRESCRIBER, TODAY + timedelta(days=900))
    assert scope.valid_licence(licensed, TODAY) == later


def test_a_nurse_or_aesthetician_licence_does_not_allow_prescribing(esthetician):
    give_licence(esthetician, LicenceType.NURSE, TODAY + timedelta(days=90))
    give_licence(esthetician, LicenceType.AESTHETICIAN, TODAY + timedelta(days=90))
    assert scope.valid_licence(esthetician, TODAY) is None


def test_a_voided_licence_is_not_valid(licensed, owner):
    licences.void(owner, licensed.licences.get(), "Wrong colleague")
    assert scope.valid_licence(licensed, TODAY) is None


def test_a_deactivated_colleague_has_no_valid_licence(licensed):
    licensed.is_active = False
    assert scope.valid_licence(licensed, TODAY) is None


def test_another_clinics_licence_is_not_seen_from_this_clinic(other_org, licensed):
    outsider_doc = make_user(other_org, Role.PRACTITIONER, "doc@other.clinic", "Dr Otto Other")
    give_licence(outsider_doc, expires_on=TODAY + timedelta(days=30))
    assert scope.valid_licence(outsider_doc, TODAY) is None


# check_can_start


def test_an_owner_without_a_licence_cannot_start_a_session(owner):
    assert refusal(scope.check_can_start, owner, None, TODAY) == (
        "Olga Owner has no valid clinical licence on record: "
        "treatment is performed by a licensed practitioner."
    )


def test_an_owner_with_a_licence_in_force_may_start_a_session(owner):
    give_licence(owner, expires_on=TODAY + timedelta(days=10))
    assert scope.check_can_start(owner, None, TODAY) is None


def test_a_practitioner_with_a_licence_in_force_may_start_a_session(licensed):
    assert scope.check_can_start(licensed, None, TODAY) is None


def test_an_expired_licence_is_refused_naming_its_expiry_date(practitioner):
    practitioner.licences.update(expires_on=date(2026, 11, 30))
    message = refusal(scope.check_can_start, practitioner, None, TODAY)
    assert message == (
        "Dr Pia Prax's clinical licence (Physician GMC-7001234 (Medical Council)) expired on "
        "30 Nov 2026: treatment is performed by a licensed practitioner."
    )


def test_reception_never_starts_a_session(reception, licensed):
    assert "does not treat patients" in refusal(scope.check_can_start, reception, licensed, TODAY)


def test_an_esthetician_starts_a_session_with_or_without_a_supervisor(esthetician, licensed):
    assert scope.check_can_start(esthetician, None, TODAY) is None
    assert scope.check_can_start(esthetician, licensed, TODAY) is None


def test_a_supervisor_must_hold_a_licence_in_force(esthetician, practitioner):
    practitioner.licences.update(expires_on=date(2026, 6, 1))
    message = refusal(scope.check_can_start, esthetician, practitioner, TODAY)
    assert "expired on 01 Jun 2026" in message
    assert "a supervising practitioner is a physician or nurse prescriber" in message


def test_a_supervisor_must_be_a_practitioner_not_another_esthetician(org, esthetician):
    nurse = make_user(org, Role.ESTHETICIAN, "nurse@test.clinic", "Nina Nurse")
    give_licence(nurse, LicenceType.NURSE_PRESCRIBER, TODAY + timedelta(days=90))
    message = refusal(scope.check_can_start, esthetician, nurse, TODAY)
    assert message.startswith("Nina Nurse (Esthetician / nurse) cannot supervise")


def test_an_unlicensed_owner_cannot_supervise(esthetician, owner):
    message = refusal(scope.check_can_start, esthetician, owner, TODAY)
    assert message.startswith("Olga Owner has no valid clinical licence on record")


def test_a_supervisor_from_another_clinic_is_refused(other_org, esthetician):
    stranger = make_user(other_org, Role.PRACTITIONER, "doc@other.clinic", "Dr Otto Other")
    with acting_for(other_org):
        give_licence(stranger, expires_on=TODAY + timedelta(days=30))
    message = refusal(scope.check_can_start, esthetician, stranger, TODAY)
    assert "is not on this clinic's active staff" in message


def test_a_deactivated_supervisor_is_refused(esthetician, licensed):
    licensed.is_active = False
    licensed.save(update_fields=["is_active"])
    message = refusal(scope.check_can_start, esthetician, licensed, TODAY)
    assert "is not on this clinic's active staff" in message


# check_can_chart


def test_prescription_ingredients_are_refused_to_an_unsupervised_esthetician(
    patient, site, esthetician
):
    session = session_of(patient, site, esthetician)
    message = refusal(scope.check_can_chart, esthetician, session, ["deoxycholic-acid"], TODAY)
    assert message == DEOXY_NOTE


def test_an_esthetician_charts_what_needs_no_prescription(patient, site, esthetician):
    session = session_of(patient, site, esthetician)
    assert scope.check_can_chart(esthetician, session, ["hyaluronic-acid"], TODAY) is None
    assert scope.check_can_chart(esthetician, session, [], TODAY) is None


def test_an_esthetician_charts_prescription_ingredients_under_a_named_supervisor(
    patient, site, esthetician, licensed
):
    session = session_of(patient, site, esthetician, supervised_by=licensed)
    slugs = scope.ingredients_of(["pcdc-5ml", "lidocaine-1pct-5ml"])
    assert slugs == ["phosphatidylcholine", "deoxycholic-acid", "lidocaine"]
    assert scope.check_can_chart(esthetician, session, slugs, TODAY) is None


def test_a_supervisor_whose_licence_lapsed_since_the_start_no_longer_covers_charting(
    patient, site, esthetician, licensed
):
    session = session_of(patient, site, esthetician, supervised_by=licensed)
    lapsed = licensed.licences.get().expires_on + timedelta(days=1)
    message = refusal(scope.check_can_chart, esthetician, session, ["deoxycholic-acid"], lapsed)
    assert message.startswith(DEOXY_NOTE)
    assert "they cannot supervise prescription medicines today" in message


def test_a_licensed_practitioner_charts_prescription_ingredients(patient, site, licensed):
    session = session_of(patient, site, licensed)
    slugs = ["deoxycholic-acid", "lidocaine", "minoxidil"]
    assert scope.check_can_chart(licensed, session, slugs, TODAY) is None


def test_an_unlicensed_owner_does_not_chart_prescription_ingredients(
    patient, site, owner, licensed
):
    session = session_of(patient, site, licensed)
    message = refusal(
        scope.check_can_chart, owner, session, ["lidocaine", "deoxycholic-acid"], TODAY
    )
    assert message.startswith(
        "Lidocaine and deoxycholic acid are prescription medicines: "
        "only a licensed practitioner charts them"
    )


def test_a_mixture_counts_as_the_prescription_medicine_it_contains(patient, site, esthetician):
    session = session_of(patient, site, esthetician)
    message = refusal(scope.check_can_chart, esthetician, session, ["lidocaine-epinephrine"], TODAY)
    assert message.startswith("Lidocaine with epinephrine is a prescription medicine")


def test_a_mixture_of_a_prescription_medicine_is_flagged_as_one_itself():
    from mesoclinic import rules

    ingredients = rules.load_reference().ingredients
    for slug, ingredient in ingredients.items():
        if any(ingredients[part].prescription for part in ingredient.contains):
            assert ingredient.prescription, f"{slug} contains a prescription medicine"


def test_every_prescription_flag_in_the_reference_is_enforced(patient, site, esthetician):
    from mesoclinic import rules

    session = session_of(patient, site, esthetician)
    for slug, ingredient in rules.load_reference().ingredients.items():
        if ingredient.prescription:
            with pytest.raises(ScopeRefused):
                scope.check_can_chart(esthetician, session, [slug], TODAY)


# check_can_sign


def test_a_licensed_practitioner_signs_off(licensed):
    assert scope.check_can_sign(licensed, TODAY) is None


def test_an_esthetician_never_signs_off(esthetician):
    message = refusal(scope.check_can_sign, esthetician, TODAY)
    assert message == (
        "Erin Esth (Esthetician / nurse) cannot sign off: sign-off is by a licensed practitioner."
    )


def test_an_owner_without_a_licence_cannot_sign_off(owner):
    assert refusal(scope.check_can_sign, owner, TODAY) == (
        "Olga Owner has no valid clinical licence on record: "
        "sign-off is by a licensed practitioner."
    )


def test_a_practitioner_whose_licence_expired_cannot_sign_off(practitioner):
    practitioner.licences.update(expires_on=TODAY - timedelta(days=1))
    assert "expired on 01 Dec 2026" in refusal(scope.check_can_sign, practitioner, TODAY)
