"""The demo's two patient logins: patients in the middle of a course (consent signed,
sessions signed, an appointment coming up), so the portal shows real content."""

import datetime as dt

from django.db.models import Exists, OuterRef, Subquery

from mesoclinic.accounts.models import Organization, User
from mesoclinic.accounts.roles import Role
from mesoclinic.patients.models import Patient
from mesoclinic.plans.models import Consent
from mesoclinic.portal.models import PortalAccount
from mesoclinic.scheduling.models import Appointment, Status
from mesoclinic.treatments.models import SessionStatus, TreatmentSession

LOGINS = ("patient@demo.clinic", "patient2@demo.clinic")


def create_logins(org: Organization, password: str, now: dt.datetime) -> list[str]:
    """Portal accounts for two of the demo's patients (call inside `acting_for(org)`);
    the emails that have one, to print beside the staff logins (none without a past to
    be in the middle of). Run again, it changes nothing."""
    taken = set(PortalAccount.objects.values_list("user__email", flat=True))
    wanted = [email for email in LOGINS if email not in taken]
    if not wanted:
        return list(LOGINS)
    made = [email for email in LOGINS if email in taken]
    candidates = (
        Patient.objects.filter(portal_account__isnull=True)
        .filter(Exists(Consent.objects.filter(patient=OuterRef("pk"), voided_at__isnull=True)))
        .filter(
            Exists(
                TreatmentSession.objects.filter(patient=OuterRef("pk"), status=SessionStatus.SIGNED)
            )
        )
        .filter(
            Exists(
                # One still to confirm and far enough ahead to move online, whatever
                # the day the demo is loaded: the portal's appointments page has all
                # its actions to show.
                Appointment.objects.filter(
                    patient=OuterRef("pk"),
                    starts_at__gte=now + dt.timedelta(hours=org.cancel_notice_hours + 24),
                    status=Status.BOOKED,
                )
            )
        )
        .annotate(
            last_treated=Subquery(
                TreatmentSession.objects.filter(patient=OuterRef("pk"), status=SessionStatus.SIGNED)
                .order_by("-signed_at")
                .values("signed_at")[:1]
            )
        )
        # In the middle of a course: the most recently treated first.
        .order_by("-last_treated", "id")
    )
    for email, patient in zip(wanted, candidates, strict=False):
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email=email,
            password=password,
            full_name=patient.full_name,
            organization=org,
            role=Role.PATIENT,
        )
        PortalAccount.objects.create(user=user, patient=patient)
        Patient.objects.filter(pk=patient.pk).update(email=email, email_lower=email)
        made.append(email)
    return sorted(made)
