"""Course packages (issue 17): sold to a patient, drawn down one session at a time.

Each session of the package's protocol signed for the patient draws one session from
their oldest package of that protocol with sessions left (`session_signed`, registered
with treatments' sign hooks by `PaymentsConfig.ready`, so every path that signs draws).
A session draws at most once: its draw row is unique. A voided session gives its
session back with no write here: a draw counts only while its session is not voided.
"""

import uuid
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone

from mesoclinic.accounts.models import Site, User
from mesoclinic.audit.log import Action, record
from mesoclinic.billing import invoicing
from mesoclinic.billing.models import Invoice
from mesoclinic.integrity import second_submission
from mesoclinic.patients.models import Patient
from mesoclinic.payments import ledger, policy
from mesoclinic.payments.models import PackageDraw, PackageSale
from mesoclinic.payments.money import cents
from mesoclinic.plans.models import PlanProtocol
from mesoclinic.treatments.models import TreatmentSession


def sell(
    user: User,
    patient: Patient,
    *,
    site: Site,
    name: str,
    protocol: str,
    sessions: int,
    price: Decimal,
    invoice: Invoice | None = None,
    bill: bool = False,
    submission_key: uuid.UUID,
) -> PackageSale:
    """Record a course package sold to `patient`, once per `submission_key`. With `bill`
    and no `invoice` that already charges it, the sale issues the package's invoice."""
    if not policy.takes_payments(user):
        raise PermissionDenied("Only staff who handle billing sell course packages.")
    if (existing := PackageSale.objects.filter(submission_key=submission_key).first()) is not None:
        return existing
    try:
        with transaction.atomic():
            if invoice is None and bill:
                invoice = invoicing.invoice_package(
                    user, patient, site, name=name, sessions=sessions, amount=cents(price)
                )
            package = PackageSale.objects.create(
                patient=patient,
                site=site,
                invoice=invoice,
                name=name,
                protocol=protocol,
                sessions=sessions,
                price=cents(price),
                currency=patient.organization.currency,
                sold_by=user,
                sold_at=timezone.now(),
                submission_key=submission_key,
                changed_by=user,
            )
            record(user, Action.CREATE, package, fields=["sessions", "price"], detail=protocol)
    except IntegrityError as error:
        if not second_submission(error, "payments_packagesale"):
            raise
        return PackageSale.objects.get(submission_key=submission_key)
    return package


def protocols_of(session: TreatmentSession) -> list[str]:
    """The protocols of the plan version the session was started from (none if ad hoc)."""
    if session.plan_version_id is None:
        return []
    rows = PlanProtocol.objects.filter(version_id=session.plan_version_id)
    return sorted(set(rows.values_list("protocol", flat=True)))


def package_for(session: TreatmentSession) -> PackageSale | None:
    """The patient's oldest package of one of the session's protocols with a session left
    (one query: signing a session of a patient without a package costs only this)."""
    if session.plan_version_id is None:
        return None
    protocols = PlanProtocol.objects.filter(version_id=session.plan_version_id).values("protocol")
    return (
        PackageSale.objects.filter(patient_id=session.patient_id, protocol__in=protocols)
        .annotate(used=Count("draws", filter=ledger.live_draws()))
        .filter(used__lt=F("sessions"))
        .order_by("sold_at", "pk")
        .first()
    )


def session_signed(user: User, session: TreatmentSession) -> None:
    """Sign hook: draw one session from the patient's package of its protocol, if any."""
    package = package_for(session)
    if package is None or PackageDraw.objects.filter(session=session).exists():
        return
    # Two sessions signed at once for one patient take turns on the package row.
    PackageSale.objects.select_for_update().filter(pk=package.pk).first()
    if ledger.sessions_left(package) <= 0:
        return
    PackageDraw.objects.create(package=package, session=session, drawn_at=timezone.now())
    record(user, Action.CHANGE, package, fields=["sessions_used"], detail="session drawn")
