"""One helper per object kind: the object if it belongs to the user's organization, else 404."""

import uuid

from django.shortcuts import get_object_or_404

from mesoclinic.outcomes.models import Assessment


def get_assessment(public_id: uuid.UUID) -> Assessment:
    """The assessment if it belongs to the user's organization, else 404."""
    return get_object_or_404(
        Assessment.objects.select_related("patient", "plan", "created_by", "voided_by", "amends"),
        public_id=public_id,
    )
