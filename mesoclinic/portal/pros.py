"""Patient-reported outcomes in the portal: the ratings the patient gives themselves
(patient GAIS, PR-SMFRS, pain, satisfaction) at the times their protocol sets, as the
clinic's outcome tasks say they are due; the scores feed the evidence page like any
other. A late baseline is left to the clinic, which must say why it is late."""

from __future__ import annotations

import uuid
from typing import Any

from mesoclinic.accounts.models import User
from mesoclinic.outcomes import courses, services
from mesoclinic.outcomes.models import Assessment, Rater
from mesoclinic.portal.models import PortalAccount


def due(account: PortalAccount) -> list[courses.Due]:
    return [
        d
        for d in courses.due_for(courses.courses_for(account.patient))
        if d.instrument.rater == Rater.PATIENT and not d.late
    ]


def find(account: PortalAccount, instrument: str, timepoint: str, plan: str) -> courses.Due | None:
    return next(
        (
            d
            for d in due(account)
            if d.instrument.slug == instrument
            and d.timepoint == timepoint
            and str(d.course.plan.public_id) == plan
        ),
        None,
    )


def send(
    user: User,
    account: PortalAccount,
    task: courses.Due,
    answers: dict[str, Any],
    submission_key: uuid.UUID,
) -> Assessment:
    if account.user_id != user.pk:
        raise services.AssessmentRefused("Only the patient rates through their own portal.")
    entry = services.Entry(
        instrument=task.instrument.slug,
        timepoint=task.timepoint,
        plan=task.course.plan,
        protocol=task.course.protocol,
    )
    return services.record_patient_reported(user, account.patient, entry, answers, submission_key)
