"""One helper per object kind: the object if it belongs to the user's organization, else 404.

The organization scoping itself is `tenancy.OrgManager`'s; these add the 404.
"""

import uuid

from django.http import Http404
from django.shortcuts import get_object_or_404

from mesoclinic.patients import models as m
from mesoclinic.patients import services


def get_patient(public_id: uuid.UUID | str) -> m.Patient:
    """The patient if they belong to the user's organization, else 404."""
    return get_object_or_404(m.Patient.objects.select_related("home_site"), public_id=public_id)


def get_entry(patient: m.Patient, kind: str, public_id: uuid.UUID) -> m.HistoryEntry:
    model = services.ENTRY_MODELS.get(kind)
    if model is None:
        raise Http404
    return get_object_or_404(model.active, patient=patient, public_id=public_id)
