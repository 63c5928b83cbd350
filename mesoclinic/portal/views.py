"""The portal's pages: the patient's home, documents, and who opened their record.

Every view is a `patient_view` (the patient's own account, else 403 or sign-in) and
writes one audit event with the patient as the actor.
"""

import uuid

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.billing import acceptance
from mesoclinic.plans import consent_document
from mesoclinic.plans import services as plan_services
from mesoclinic.plans.quote import itemized_quote
from mesoclinic.portal import appointment_actions, consents, forms, pages, services
from mesoclinic.portal.access import patient_view
from mesoclinic.portal.models import PortalAccount
from mesoclinic.treatments import aftercare_document

BACKEND = "mesoclinic.accounts.backends.OrganizationBackend"


@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation link: the patient chooses a password and is signed in."""
    invitation = services.find_invitation(token)
    if invitation is None:
        return render(request, "portal/invitation_invalid.html", status=404)
    form = forms.SetPasswordForm(
        request.POST or None, email=invitation.email, full_name=invitation.patient.full_name
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept(invitation, form.cleaned_data["password1"])
        except services.PortalRefused:
            return render(request, "portal/invitation_invalid.html", status=404)
        login(request, user, backend=BACKEND)
        return redirect("portal_home")
    context = {"form": form, "invitation": invitation, "clinic": invitation.organization}
    return render(request, "portal/accept.html", context, status=400 if form.errors else 200)


@require_GET
@patient_view
def home(request: AuthedRequest, account: PortalAccount) -> HttpResponse:
    record(request.user, Action.VIEW, account.patient, detail="portal home")
    context = {
        "account": account,
        "patient": account.patient,
        "site": pages.clinic_site(account),
        "upcoming": pages.upcoming(account, limit=3),
        "sessions": pages.signed_sessions(account)[:3],
        "to_sign": consents.to_sign(account),
    }
    return render(request, "portal/home.html", context)


@require_GET
@patient_view
def documents(request: AuthedRequest, account: PortalAccount) -> HttpResponse:
    record(request.user, Action.VIEW, account.patient, detail="portal documents")
    context = {
        "patient": account.patient,
        "consents": pages.consents(account),
        "sessions": pages.signed_sessions(account),
        "quoted": pages.quoted_plans(account),
    }
    return render(request, "portal/documents.html", context)


@require_GET
@patient_view
def consent_pdf(
    request: AuthedRequest, account: PortalAccount, public_id: uuid.UUID
) -> HttpResponse:
    consent = pages.consent(account, public_id)
    pdf = consent_document.pdf(consent, account.patient.organization)
    record(request.user, Action.EXPORT, consent, detail="consent PDF (portal)")
    return _attachment(pdf, f"consent-{consent.patient_signed_at:%Y-%m-%d}.pdf")


@require_GET
@patient_view
def aftercare(request: AuthedRequest, account: PortalAccount, public_id: uuid.UUID) -> HttpResponse:
    session = pages.signed_session(account, public_id)
    record(request.user, Action.VIEW, session, detail="aftercare (portal)")
    context = aftercare_document.context(session) | {"portal": True}
    return render(request, "portal/aftercare.html", context)


@require_GET
@patient_view
def aftercare_pdf(
    request: AuthedRequest, account: PortalAccount, public_id: uuid.UUID
) -> HttpResponse:
    session = pages.signed_session(account, public_id)
    record(request.user, Action.EXPORT, session, detail="aftercare PDF (portal)")
    return _attachment(
        aftercare_document.pdf(session), f"aftercare-{session.signed_at:%Y-%m-%d}.pdf"
    )


@require_GET
@patient_view
def access_log(request: AuthedRequest, account: PortalAccount) -> HttpResponse:
    record(request.user, Action.VIEW, account.patient, detail="portal: who opened my record")
    context = {"patient": account.patient, "openings": pages.openings(account)}
    return render(request, "portal/access.html", context)


@require_GET
@patient_view
def appointments(request: AuthedRequest, account: PortalAccount) -> HttpResponse:
    record(request.user, Action.VIEW, account.patient, detail="portal appointments")
    context = {
        "patient": account.patient,
        "upcoming": pages.upcoming(account),
        "past": pages.past(account),
        "site": pages.clinic_site(account),
        **appointment_actions.row_context(account),
    }
    return render(request, "portal/appointments.html", context)


def _attachment(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@patient_view
def quote(request: AuthedRequest, account: PortalAccount, public_id: uuid.UUID) -> HttpResponse:
    """The quote of one of the patient's approved plans, as the clinic gave it."""
    plan = pages.quoted_plan(account, public_id)
    version = plan_services.latest_version(plan)
    assert version is not None  # quoted plans have an approved version
    record(request.user, Action.VIEW, plan, detail="quote (portal)")
    organization = account.patient.organization
    context = {
        "plan": plan,
        "version": version,
        "quote": itemized_quote(version.result, organization) if version.result else None,
        "organization": organization,
        "patient": account.patient,
        "accepted": acceptance.latest(plan),
    }
    return render(request, "portal/quote.html", context)


@require_POST
@patient_view
def quote_accept(
    request: AuthedRequest, account: PortalAccount, public_id: uuid.UUID
) -> HttpResponse:
    """The patient accepts the quote as shown (billing keeps its amounts and versions)."""
    plan = pages.quoted_plan(account, public_id)
    try:
        acceptance.accept(request.user, plan)
    except acceptance.AcceptanceRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, "Thank you: the clinic has your acceptance of this quote.")
    return redirect("portal_quote", public_id=plan.public_id)
