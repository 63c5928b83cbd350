"""Each role's home page is its day ("Today", issue 17), assembled from the apps' sections.

- A clinician (practitioner, esthetician) sees their own visits today, in each site's
  zone, walk-ins included, each with its chip, the actions it allows (the appointment
  page's own endpoints) and what the patient still needs, each a link to where it is done;
  then their unsigned sessions and their other patients' scores due.
- Reception sees the day of their sites: arrivals with Check in and No-show, who is in
  treatment, and the sections other apps register (payments due); no clinical detail.
- An owner sees one site's day (theirs to pick), with the needs, and the clinic's alerts.

Every app hands over its share (`scheduling.sections`, `outcomes.sections`,
`plans.sections`, `photos.sections`, `treatments.sections`, `portal.reports`) and
`scheduling.today_sections` holds what apps above the diary add; none imports this page.
Each part is a fixed number of queries whatever the count of visits.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils import timezone

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import Site, User
from mesoclinic.accounts.roles import Role
from mesoclinic.outcomes import sections as outcome_sections
from mesoclinic.outcomes.sections import DueGroup
from mesoclinic.photos import sections as photo_sections
from mesoclinic.plans import sections as plan_sections
from mesoclinic.portal import reports
from mesoclinic.scheduling import sections as diary
from mesoclinic.scheduling.sections import Actions, Visit
from mesoclinic.treatments import sections as treatment_sections

CLINICIANS = (Role.PRACTITIONER, Role.ESTHETICIAN)
# Needs are not chased for a visit that will not happen.
GONE = ("cancelled", "no_show")


@dataclass(frozen=True)
class Need:
    """Something a patient on the day still needs, and the page where it is done."""

    label: str
    href: str
    urgent: bool = False


@dataclass
class Row:
    """A line of the board: the visit, what the viewer may do, what the patient needs."""

    visit: Visit
    acts: Actions
    needs: list[Need] = field(default_factory=list)
    due: list[DueGroup] = field(default_factory=list)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def own_sites(user: User) -> list[Site]:
    """The sites a member of staff works at; all the clinic's when none is set."""
    mine = list(Site.objects.filter(staff=user).order_by("name"))
    return mine or list(Site.objects.order_by("name"))


def pick_site(user: User, wanted: str | None) -> tuple[Site | None, list[Site]]:
    """The site asked for if it is one of the user's (anything else is ignored), else the
    first of theirs (None in a clinic with no site yet); and all of theirs, for the picker."""
    sites = own_sites(user)
    chosen = next((s for s in sites if str(s.public_id) == wanted), sites[0] if sites else None)
    return chosen, sites


def _needs(user: User, rows: Sequence[Row], today: dt.date) -> dict[str, Any]:
    """Each row's needs, and the outcome scores due (also for the user's other
    patients): one query per kind of need, whatever the count of rows."""
    live = [r for r in rows if r.visit.state not in GONE]
    patients = list({r.visit.patient.pk: r.visit.patient for r in live}.values())
    outcomes = outcome_sections.day_section(user, patients)
    appts = [r.visit.appointment for r in live if r.visit.appointment is not None]
    consents = plan_sections.consents_wanted(a.plan for a in appts if a.plan is not None)
    firsts = [
        (a.patient, a.plan_version, a.session_id)
        for a in appts
        if a.course_session == 1 and a.plan_version is not None and diary.state_of(a) != "signed"
    ]
    photos = photo_sections.baselines_due(firsts)
    ids = [p.pk for p in patients]
    waiting = reports.waiting_by_patient(ids)
    follow_ups = treatment_sections.follow_ups_due(ids, today)
    countersigns = roles.can(user, roles.SIGN_CLINICAL)
    for row in live:
        patient, appt = row.visit.patient, row.visit.appointment
        row.due = outcomes["due_by_patient"].get(patient.pk, [])
        if appt is not None and appt.plan_id in consents:
            assert appt.plan is not None
            consent = consents[appt.plan_id]
            if consent is None:
                row.needs.append(
                    Need("Consent to sign", reverse("consent_new", args=[appt.plan.public_id]))
                )
            else:
                said = "Consent to countersign" if countersigns else "Consent awaits countersigning"
                row.needs.append(Need(said, reverse("consent_detail", args=[consent.public_id])))
        if missing := photos.get(patient.pk):
            row.needs.append(
                Need(
                    f"Baseline photos: {plural(len(missing), 'view')} to take",
                    reverse("patient_photos", args=[patient.public_id]),
                )
            )
        if patient.pk in waiting:
            count, red = waiting[patient.pk]
            label = f"{plural(count, 'patient report')} to review"
            row.needs.append(Need(label, reverse("report_queue"), urgent=bool(red)))
        if n := follow_ups.get(patient.pk):
            row.needs.append(Need(f"{plural(n, 'follow-up')} due", reverse("followup_list")))
    return outcomes


def _board(user: User, visits: list[Visit], now: dt.datetime) -> list[Row]:
    return [Row(v, diary.actions_for(v, user, now)) for v in visits]


def clinician_day(user: User) -> dict[str, Any]:
    """The clinician's own visits with their needs, unsigned sessions, scores due."""
    now = timezone.now()
    rows = _board(user, diary.day_board(clinician=user, now=now), now)
    outcomes = _needs(user, rows, timezone.localdate())
    return {
        "rows": rows,
        "counts": diary.counts([r.visit for r in rows]),
        "unsigned": treatment_sections.unsigned(performed_by=user),
        "later_due": outcomes["later_due"],
        "later_more": outcomes["later_more"],
    }


def desk_day(user: User) -> dict[str, Any]:
    """Reception: the day of their sites, with no clinical detail at all."""
    now = timezone.now()
    sites = own_sites(user)
    rows = _board(user, diary.day_board(sites=sites, now=now), now)
    return {
        "rows": rows,
        "counts": diary.counts([r.visit for r in rows]),
        "sites": sites,
        # The sections other apps add (scheduling.today_sections): rendered by the view,
        # with the request their forms need.
        "slots_for": (None, timezone.localdate()),
    }


def owner_day(user: User, wanted: str | None) -> dict[str, Any]:
    """The owner: one site's day with the needs, their unsigned sessions, the alerts."""
    now = timezone.now()
    site, sites = pick_site(user, wanted)
    visits = diary.day_board(sites=[site], now=now) if site is not None else []
    rows = _board(user, visits, now)
    today = now.astimezone(site.zone).date() if site is not None else timezone.localdate()
    outcomes = _needs(user, rows, today)
    return {
        "rows": rows,
        "counts": diary.counts([r.visit for r in rows]),
        "site": site,
        "sites": sites,
        "unsigned": treatment_sections.unsigned(performed_by=user),
        "alerts": treatment_sections.clinic_alerts(today),
        "later_due": outcomes["later_due"],
        "later_more": outcomes["later_more"],
        "slots_for": (site, today),
    }


def day_for(user: User, wanted_site: str | None = None) -> dict[str, Any]:
    """The day of the user's role; the page adds the reports waiting and the audit."""
    if user.role == Role.OWNER:
        return {"kind": "site", **owner_day(user, wanted_site)}
    if user.role in CLINICIANS:
        return {"kind": "own", **clinician_day(user)}
    return {"kind": "desk", **desk_day(user)}
