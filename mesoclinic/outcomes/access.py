"""One helper per object kind: the object if it belongs to the user's organization, else 404."""

import uuid

from django.http import Http404
from django.shortcuts import get_object_or_404

from mesoclinic.outcomes.courses import Course, courses_for
from mesoclinic.outcomes.models import Assessment
from mesoclinic.patients.models import Patient


def get_assessment(public_id: uuid.UUID) -> Assessment:
    """The assessment if it belongs to the user's organization, else 404."""
    return get_object_or_404(
        Assessment.objects.select_related("patient", "plan", "created_by", "voided_by", "amends"),
        public_id=public_id,
    )


def get_course(patient: Patient, plan_id: str, protocol: str) -> Course:
    """The patient's course of that plan (by public id) and protocol, else 404."""
    try:
        plan = uuid.UUID(plan_id)
    except ValueError:
        raise Http404 from None
    for found in courses_for(patient):
        if found.plan.public_id == plan and found.protocol == protocol:
            return found
    raise Http404
