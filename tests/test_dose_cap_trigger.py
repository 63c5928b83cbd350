"""PostgreSQL refuses to sign a session charted past its grade-A dose caps, whatever code
path signs it (migration 0093); the product contents it sums come from the catalogue.

These tests run on both backends and are never skipped: on SQLite, which has no such
trigger, they assert that the same raw UPDATE goes through, because there the service's
check is the only guard (and a test of it belongs to the session tests).
"""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.db.models.signals import post_migrate
from django.utils import timezone

from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import contents
from mesoclinic.treatments.models import (
    Lot,
    ProductContent,
    SessionStatus,
    TreatmentSession,
    dose_cap_violation,
)

DEOXY = "deoxycholic-10mg-2ml"
CAP = [{"ingredient": "deoxycholic-acid", "products": [DEOXY], "mg": 100}]
ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture
def lots(org, site, practitioner):
    with acting_for(org):
        return {
            product: Lot.objects.create(
                site=site,
                product=product,
                lot_number=f"L-{product}",
                expires_on=date.today() + timedelta(days=200),
                received_on=date.today(),
                vials_received=50,
                received_by=practitioner,
            )
            for product in (DEOXY, "pcdc-5ml")
        }


def _session(org, site, practitioner, patient, dose_caps=CAP) -> TreatmentSession:
    with acting_for(org):
        return TreatmentSession.objects.create(
            patient=patient,
            site=site,
            adhoc_reason="Submental touch-up",
            started_at=timezone.now(),
            performed_by=practitioner,
            dose_caps=dose_caps,
        )


def _chart_raw(session, lot, volume_ml, rows=1) -> None:
    """Charted areas written around every service, as a script or a bug would."""
    with connection.cursor() as cursor:
        for _ in range(rows):
            cursor.execute(
                "INSERT INTO treatments_sessionarea (organization_id, public_id, session_id, "
                "area, side, technique, lot_id, volume_ml, injections, points) "
                "VALUES (%s, %s, %s, 'submental', '', 'hypodermic', %s, %s, 50, '[]')",
                [session.organization_id, uuid.uuid4().hex, session.pk, lot.pk, volume_ml],
            )


def _sign_raw(session) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE treatments_treatmentsession SET status = 'signed', "
            "signed_at = CURRENT_TIMESTAMP WHERE id = %s",
            [session.pk],
        )


def _status(org, session) -> str:
    with acting_for(org):
        return TreatmentSession.objects.values_list("status", flat=True).get(pk=session.pk)


def test_signing_past_a_grade_a_cap_is_refused_by_postgresql(
    org, site, practitioner, patient, lots
):
    session = _session(org, site, practitioner, patient)
    _chart_raw(session, lots[DEOXY], "10", rows=5)  # 5 x 10 mL x 10 mg/mL = 500 mg
    if not ON_POSTGRESQL:
        _sign_raw(session)  # SQLite: no trigger, the service's check is the guard
        assert _status(org, session) == SessionStatus.SIGNED
        return
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        _sign_raw(session)
    assert "grade-A limit: deoxycholic acid 500 mg charted against a cap of 100 mg" in str(
        refused.value
    )
    assert dose_cap_violation(refused.value)
    assert _status(org, session) == SessionStatus.IN_PROGRESS


def test_exactly_at_the_cap_the_session_signs(org, site, practitioner, patient, lots):
    session = _session(org, site, practitioner, patient)
    _chart_raw(session, lots[DEOXY], "10")  # 100 mg
    _sign_raw(session)
    assert _status(org, session) == SessionStatus.SIGNED


def test_signing_through_the_orm_is_refused_too(org, site, practitioner, patient, lots):
    session = _session(org, site, practitioner, patient)
    _chart_raw(session, lots[DEOXY], "10.01")
    session.status, session.signed_at = SessionStatus.SIGNED, timezone.now()
    if not ON_POSTGRESQL:
        with acting_for(org):
            session.save()
        return
    refused = pytest.raises(DatabaseError, match=r"100\.1 mg charted")
    with refused, transaction.atomic(), acting_for(org):
        session.save(update_fields=["status", "signed_at"])


def test_only_the_caps_products_count_against_it(org, site, practitioner, patient, lots):
    """PC/DC's deoxycholic acid follows the PC/DC rules (§7), not this label cap."""
    session = _session(org, site, practitioner, patient)
    _chart_raw(session, lots[DEOXY], "10")
    _chart_raw(session, lots["pcdc-5ml"], "20")  # 500 mg of deoxycholic acid, not counted
    _sign_raw(session)
    assert _status(org, session) == SessionStatus.SIGNED


def test_a_cap_naming_no_products_counts_every_product_with_the_ingredient(
    org, site, practitioner, patient, lots
):
    caps = [{"ingredient": "deoxycholic-acid", "mg": 150}]
    session = _session(org, site, practitioner, patient, dose_caps=caps)
    _chart_raw(session, lots[DEOXY], "10")  # 100 mg
    _chart_raw(session, lots["pcdc-5ml"], "4")  # 100 mg more
    if not ON_POSTGRESQL:
        return
    refused = pytest.raises(DatabaseError, match="200 mg charted against a cap of 150 mg")
    with refused, transaction.atomic():
        _sign_raw(session)


def test_a_session_without_caps_signs_whatever_was_charted(org, site, practitioner, patient, lots):
    session = _session(org, site, practitioner, patient, dose_caps=[])
    _chart_raw(session, lots[DEOXY], "50")
    _sign_raw(session)
    assert _status(org, session) == SessionStatus.SIGNED


def test_voiding_a_session_over_its_cap_is_not_refused(org, site, practitioner, patient, lots):
    session = _session(org, site, practitioner, patient)
    _chart_raw(session, lots[DEOXY], "10", rows=5)
    with acting_for(org):
        TreatmentSession.objects.filter(pk=session.pk).update(
            status=SessionStatus.VOIDED, voided_at=timezone.now(), void_reason="Wrong patient"
        )
    assert _status(org, session) == SessionStatus.VOIDED


def test_a_signed_sessions_caps_are_immutable_like_its_other_clinical_columns(
    org, site, practitioner, patient, lots
):
    session = _session(org, site, practitioner, patient)
    _chart_raw(session, lots[DEOXY], "5")
    _sign_raw(session)
    refused = pytest.raises(DatabaseError, match="signed sessions are immutable")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE treatments_treatmentsession SET dose_caps = '[]' WHERE id = %s", [session.pk]
        )
    # The triggers of 0003 survived the table rebuild that adding dose_caps needs on SQLite.
    with pytest.raises(DatabaseError, match="signed sessions are immutable"):
        _chart_raw(session, lots[DEOXY], "1")


def test_the_trigger_is_a_deferrable_constraint_trigger(db):
    if not ON_POSTGRESQL:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            names = {row[0] for row in cursor.fetchall()}
        assert "session_signed_no_update" in names and "sessionarea_signed_no_insert" in names
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgdeferrable, tginitdeferred, tgconstraint <> 0 FROM pg_trigger "
            "WHERE tgname = 'treatments_session_dose_caps'"
        )
        assert cursor.fetchone() == (True, False, True)


# The product contents the trigger sums


def _table() -> dict:
    return {(r.product, r.ingredient): r.mg_per_ml for r in ProductContent.objects.all()}


def test_product_contents_equal_the_catalogue_after_migrate(db):
    assert _table() == contents.wanted()
    assert _table()[(DEOXY, "deoxycholic-acid")] == Decimal("10")
    assert _table()[("pcdc-5ml", "deoxycholic-acid")] == Decimal("25")


def test_a_changed_or_stale_row_is_put_right_after_the_next_migrate(db):
    ProductContent.objects.filter(product=DEOXY).update(mg_per_ml=99)
    ProductContent.objects.create(product="withdrawn-product", ingredient="x", mg_per_ml=1)
    ProductContent.objects.filter(product="pcdc-5ml", ingredient="phosphatidylcholine").delete()
    config = apps.get_app_config("treatments")
    post_migrate.send(sender=config, app_config=config, using="default", apps=apps)
    assert _table() == contents.wanted()
    assert contents.sync(ProductContent) == 0
