"""Follow-up visits: the outcome scores a protocol takes 3 and 6 months after its course.

An ended course whose protocol takes follow-ups gets, for each one not yet recorded and
with no visit holding a slot, a proposed appointment on the free slot nearest the day it
falls on (`courses.FOLLOW_UPS` days after the last signed session), at most
``SEARCH_DAYS`` either side and never before tomorrow. Reception confirms or discards
them with the course's other proposals on the course booking page. The visit is the
plan's: one visit takes the scores of every protocol of the plan.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import Site, User
from mesoclinic.outcomes.courses import FOLLOW_UPS, VISIT_FOR, Course
from mesoclinic.outcomes.models import Assessment, Timepoint
from mesoclinic.plans.models import Plan
from mesoclinic.scheduling import access, course, services
from mesoclinic.scheduling.models import HOLDS_SLOT, Appointment, Status
from mesoclinic.treatments.models import SessionStatus, TreatmentSession

SEARCH_DAYS = 7  # booking convenience, not a clinical number
# A booking convenience too: the visit is for scores and photographs, not a treatment, and
# no treatment type marks a follow-up visit, so none lends its duration.
MINUTES = 20


@dataclass(frozen=True)
class Visit:
    """One follow-up of a course as the outcomes page shows it."""

    timepoint: str
    label: str
    due_on: dt.date
    appointment: Appointment | None
    recorded: bool

    @property
    def open(self) -> bool:
        return self.appointment is None and not self.recorded


@dataclass(frozen=True)
class Missed:
    """A follow-up that found no slot, with the days searched (none: its time had passed)."""

    label: str
    due_on: dt.date
    searched: tuple[dt.date, dt.date] | None


@dataclass
class Proposed:
    made: list[Appointment] = field(default_factory=list)
    missed: list[Missed] = field(default_factory=list)


def visits(found: Course) -> list[Visit]:
    """The course's follow-ups, once it has ended, if its protocol takes any."""
    if not found.ended or found.measures is None:
        return []
    out = []
    for timepoint in FOLLOW_UPS:
        on = found.follow_up_on(timepoint)
        if on is None or timepoint not in found.measures.timepoints:
            continue
        recorded = any(a.timepoint == timepoint for a in found.recorded)
        label = Timepoint(timepoint).label
        out.append(Visit(timepoint, label, on, found.visits.get(timepoint), recorded))
    return out


def last_session(found: Course) -> TreatmentSession | None:
    """The course's last signed session, whose site and practitioner a visit goes to."""
    return (
        TreatmentSession.objects.filter(plan=found.plan, status=SessionStatus.SIGNED)
        .select_related("site", "performed_by")
        .order_by("-signed_at")
        .first()
    )


def default_practitioner(session: TreatmentSession) -> User | None:
    """Who gave the last session, if they still treat patients here."""
    who = session.performed_by
    return who if who.is_active and who.role in access.TREATING_ROLES else None


def usual_time(session: TreatmentSession) -> dt.time:
    """When the last session started, in its site's time: the patient could come then."""
    return session.started_at.astimezone(session.site.zone).time()


@transaction.atomic
def propose_follow_ups(
    user: User,
    found: Course,
    *,
    site: Site,
    practitioner: User,
    duration: dt.timedelta = dt.timedelta(minutes=MINUTES),
    prefer: dt.time | None = None,
    today: dt.date | None = None,
) -> Proposed:
    """Proposed visits for the course's open follow-ups; running it twice makes one set."""
    roles.check(user, access.BOOK, "Only staff who book appointments may propose visits.")
    # One proposer at a time per plan, then what is recorded and held read under the lock.
    list(Plan.objects.select_for_update().filter(pk=found.plan.pk).values_list("pk"))
    recorded = set(
        Assessment.objects.filter(
            plan=found.plan, protocol=found.protocol, timepoint__in=list(FOLLOW_UPS)
        )
        .filter(voided_at__isnull=True)
        .values_list("timepoint", flat=True)
    )
    held = set(
        Appointment.objects.filter(plan=found.plan, status__in=HOLDS_SLOT)
        .exclude(follow_up="")
        .values_list("follow_up", flat=True)
    )
    tomorrow = (today or timezone.now().astimezone(site.zone).date()) + dt.timedelta(days=1)
    done = Proposed()
    for visit in visits(found):
        if visit.timepoint in recorded or VISIT_FOR[visit.timepoint] in held:
            continue
        reach = dt.timedelta(days=SEARCH_DAYS)
        low, high = max(visit.due_on - reach, tomorrow), visit.due_on + reach
        if high < low:
            done.missed.append(Missed(visit.label, visit.due_on, None))
            continue
        slot = course.nearest_free_slot(
            site,
            practitioner,
            found.plan.patient,
            target=max(visit.due_on, low),
            low=low,
            high=high,
            duration=duration,
            prefer=prefer,
        )
        if slot is None:
            done.missed.append(Missed(visit.label, visit.due_on, (low, high)))
            continue
        done.made.append(
            services.book(
                user,
                status=Status.PROPOSED,
                site=site,
                room=slot.room,
                practitioner=practitioner,
                patient=found.plan.patient,
                plan=found.plan,
                follow_up=VISIT_FOR[visit.timepoint],
                ideal_date=visit.due_on,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
            )
        )
    return done
