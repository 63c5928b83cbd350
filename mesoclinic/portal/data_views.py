"""The patient's own data: the page that explains the download, the download itself,
and asking the clinic to close the account; and the clinic's list of those requests."""

import uuid

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.portal import closure, data_export
from mesoclinic.portal.access import patient_view
from mesoclinic.portal.models import ClosureRequest, PortalAccount


class ClosureForm(forms.Form):
    reason = forms.CharField(
        label="Why are you closing your account? (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@require_GET
@patient_view
def my_data(request: AuthedRequest, account: PortalAccount) -> HttpResponse:
    record(request.user, Action.VIEW, account.patient, detail="portal: my data")
    context = {"patient": account.patient, "photos_note": data_export.PHOTOS_NOTE}
    return render(request, "portal/my_data.html", context)


@require_GET
@patient_view
def my_data_download(request: AuthedRequest, account: PortalAccount) -> HttpResponse:
    content, filename = data_export.export(request.user, account)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_http_methods(["GET", "POST"])
@patient_view
def close_account(request: AuthedRequest, account: PortalAccount) -> HttpResponse:
    form = ClosureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        closure.ask(request.user, account, form.cleaned_data["reason"])
        return redirect("portal_close_account")
    if request.method == "GET":
        record(request.user, Action.VIEW, account.patient, detail="portal: close my account")
    context = {"form": form, "patient": account.patient, "pending": closure.pending_for(account)}
    return render(request, "portal/close_account.html", context, status=400 if form.errors else 200)


# --- the clinic's side ---


@require_GET
@require(roles.MANAGE_STAFF)
def closure_requests(request: AuthedRequest) -> HttpResponse:
    waiting = list(closure.pending())
    record(
        request.user,
        Action.VIEW,
        object_type="portal closure requests",
        object_id=str(request.user.organization.public_id),
        detail=f"{len(waiting)} requests waiting",
    )
    context = {"waiting": waiting, "closed": closure.recently_closed()}
    return render(request, "portal/closure_requests.html", context)


@require_POST
@require(roles.MANAGE_STAFF)
def closure_close(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    asked = get_object_or_404(
        ClosureRequest.objects.select_related("account__patient"), public_id=public_id
    )
    name = asked.account.patient.full_name
    if closure.close(request.user, asked):
        messages.success(request, f"{name}'s portal account is closed.")
    else:
        messages.info(request, f"{name}'s portal account was closed already.")
    return redirect("portal_closure_requests")
