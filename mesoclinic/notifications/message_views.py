"""The log of every email and text message sent to patients, clinic-wide or for one."""

import uuid

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.notifications.models import Channel, Message, MessageStatus
from mesoclinic.patients.access import get_patient
from mesoclinic.patients.models import Patient

PAGE_SIZE = 50


def _filtered(request: AuthedRequest, rows: QuerySet[Message]) -> tuple[QuerySet[Message], dict]:
    status = request.GET.get("status", "")
    status = status if status in MessageStatus.values else ""
    channel = request.GET.get("channel", "")
    channel = channel if channel in Channel.values else ""
    if status:
        rows = rows.filter(status=status)
    if channel:
        rows = rows.filter(channel=channel)
    return rows, {"status": status, "channel": channel}


def _page(request: AuthedRequest, patient: Patient | None) -> HttpResponse:
    rows = Message.objects.select_related("patient").order_by("-created_at", "-pk")
    if patient is not None:
        rows = rows.filter(patient=patient)
    rows, chosen = _filtered(request, rows)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "patient": patient,
        "statuses": MessageStatus.choices,
        "channels": Channel.choices,
        **chosen,
    }
    template = "notifications/_message_rows.html" if request.htmx else "notifications/messages.html"
    return render(request, template, context)


@require_GET
@require(roles.VIEW_DEMOGRAPHICS)
def message_list(request: AuthedRequest) -> HttpResponse:
    response = _page(request, None)
    record(request.user, Action.SEARCH, object_type="message", detail="messages sent")
    return response


@require_GET
@require(roles.VIEW_DEMOGRAPHICS)
def patient_messages(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    patient = get_patient(public_id)
    response = _page(request, patient)
    record(request.user, Action.VIEW, patient, fields=["messages"], detail="messages sent")
    return response
