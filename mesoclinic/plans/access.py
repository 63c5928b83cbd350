"""One helper per object kind: the object if it belongs to the user's organization, else 404.

The organization scoping itself is `tenancy.OrgManager`'s; these add the 404 and the
related rows every caller needs.
"""

import uuid

from django.shortcuts import get_object_or_404

from mesoclinic.plans.models import Consent, Plan


def get_plan(public_id: uuid.UUID) -> Plan:
    """The plan if it belongs to the user's organization, else 404."""
    return get_object_or_404(
        Plan.objects.select_related("patient__organization", "created_by"), public_id=public_id
    )


def get_consent(public_id: uuid.UUID) -> Consent:
    """The consent if it belongs to the user's organization, else 404."""
    return get_object_or_404(
        Consent.objects.select_related(
            "patient", "plan", "plan_version", "countersigned_by", "template", "created_by"
        ),
        public_id=public_id,
    )
