"""The standard views of a treatment session, taken or missing: an HTMX partial the
session page loads (treatments cannot import photos, so the page asks for it by URL)."""

import uuid

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.photos import capture
from mesoclinic.treatments.access import get_session


@require_GET
@require(roles.VIEW_CLINICAL)
@never_cache
def session_photo_views(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    session = get_session(public_id)
    shots = capture.session_views(request.user, session)
    taken = sum(1 for shot in shots if shot.photo is not None)
    context = {"session": session, "patient": session.patient, "shots": shots, "taken": taken}
    return render(request, "photos/_session_views.html", context)
