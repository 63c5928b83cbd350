"""Consent away from the practitioner's hands (issue 16).

- The patient's side: read and sign the approved plan's consent at home, ask the clinic
  about it and read the answer (`patient_view`: their own plans only, else 404).
- The clinic's side: the open questions on the plan's consent pages (an HTMX partial,
  the plans app cannot import the portal) and their answers; and kiosk mode, the
  clinic's tablet handed to the patient showing only their consent to sign, given back
  with the staff member's password (`kiosk.KioskMiddleware` keeps it there meanwhile).
"""

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.plans import consent as c
from mesoclinic.plans import services as plans
from mesoclinic.plans.access import get_plan
from mesoclinic.plans.consent_forms import SignForm
from mesoclinic.plans.models import Consent, Plan
from mesoclinic.portal import consents, kiosk
from mesoclinic.portal.access import patient_view
from mesoclinic.portal.models import PortalAccount

SIGNED_IN_KIOSK = "signed on the clinic's tablet, handed to the patient"


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Your question",
        max_length=consents.MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


class AnswerForm(MessageForm):
    body = forms.CharField(
        label="Answer", max_length=consents.MESSAGE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class PasswordForm(forms.Form):
    password = forms.CharField(
        label="Staff password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


# --- The patient at home ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@patient_view
def consent_page(
    request: AuthedRequest, account: PortalAccount, plan_id: uuid.UUID
) -> HttpResponse:
    plan = consents.plan_of(account, plan_id)
    doc = consents.document(account, plan)
    form = SignForm(request.POST or None, patient=account.patient)
    if request.method == "POST":
        if doc.consent is not None:  # sent twice, or signed at the clinic meanwhile
            return redirect("portal_consent", plan_id=plan.public_id)
        if form.is_valid():
            return _sign_at_home(request, account, plan, form)
    else:
        record(request.user, Action.VIEW, plan, detail="consent (portal)")
    return _page(request, account, doc, sign_form=form)


def _sign_at_home(
    request: AuthedRequest, account: PortalAccount, plan: Plan, form: SignForm
) -> HttpResponse:
    try:
        consents.sign(
            request.user,
            account,
            plan,
            form.cleaned_data["typed_name"],
            form.cleaned_data["signature"],
            shown_hash=request.POST.get("text_hash", ""),
        )
    except c.ConsentRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            "Thank you: your consent is signed. Your practitioner countersigns it at "
            "your visit, before the first treatment.",
        )
    return redirect("portal_consent", plan_id=plan.public_id)


@require_POST
@patient_view
def consent_ask(request: AuthedRequest, account: PortalAccount, plan_id: uuid.UUID) -> HttpResponse:
    plan = consents.plan_of(account, plan_id)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            consents.ask(
                request.user,
                account,
                plan,
                form.cleaned_data["body"],
                submission_key=form.cleaned_data["submission_key"],
            )
        except consents.Refused as refusal:
            form.add_error("body", refusal.message)
        else:
            messages.success(request, "Your question is with the clinic; the answer shows here.")
            return redirect("portal_consent", plan_id=plan.public_id)
    doc = consents.document(account, plan)
    return _page(request, account, doc, sign_form=SignForm(patient=account.patient), ask=form)


def _page(
    request: AuthedRequest,
    account: PortalAccount,
    doc: consents.Document,
    *,
    sign_form: SignForm,
    ask: MessageForm | None = None,
) -> HttpResponse:
    ask = ask or MessageForm()
    context = {
        "patient": account.patient,
        "plan": doc.plan,
        "consent": doc.consent,
        "blocks": c.parse(doc.text),
        "text_hash": doc.text_hash,
        "form": sign_form,
        "ask": ask,
        "thread": consents.thread(doc.plan),
        "portal": True,
    }
    status = 400 if (sign_form.errors or ask.errors) else 200
    return render(request, "portal/consent.html", context, status=status)


# --- The clinic: questions on the plan's consent page -----------------------------------


@require_GET
@require(roles.VIEW_CLINICAL)
def questions(request: AuthedRequest, plan_id: uuid.UUID) -> HttpResponse:
    return _questions(request, get_plan(plan_id))


@require_POST
@require(roles.EDIT_CLINICAL)
def answer(request: AuthedRequest, question_id: uuid.UUID) -> HttpResponse:
    question = consents.question_of(question_id)
    form = AnswerForm(request.POST)
    refusal = ""
    if form.is_valid():
        try:
            consents.answer(
                request.user,
                question,
                form.cleaned_data["body"],
                submission_key=form.cleaned_data["submission_key"],
            )
        except consents.Refused as refused:
            refusal = refused.message
    else:
        refusal = "Write the answer first (up to 2000 characters)."
    if not request.htmx:  # without JavaScript: back to the consent page, told how
        (messages.error if refusal else messages.success)(request, refusal or "Answer sent.")
        return redirect(_staff_consent_page(question.plan))
    return _questions(request, question.plan, refusal=refusal)


def _questions(request: AuthedRequest, plan: Plan, *, refusal: str = "") -> HttpResponse:
    context = {
        "plan": plan,
        "thread": consents.thread(plan),
        # Each answer form its own key: one answer per question, however often it is sent.
        "open": [(q, uuid.uuid4()) for q in consents.open_questions(plan)],
        "can_answer": roles.can(request.user, roles.EDIT_CLINICAL),
        "refusal": refusal,
    }
    return render(
        request, "portal/_consent_questions.html", context, status=400 if refusal else 200
    )


def _staff_consent_page(plan: Plan) -> str:
    version = plans.latest_version(plan)
    consent = (c.signed_consent(version) if version else None) or c.valid_consent(plan)
    if consent is not None:
        return reverse("consent_detail", args=[consent.public_id])
    return reverse("consent_new", args=[plan.public_id])


# --- The clinic: kiosk mode --------------------------------------------------------------


@require_POST
@require(roles.EDIT_CLINICAL)
def kiosk_start(request: AuthedRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = get_plan(plan_id)
    try:
        c.version_to_sign(plan)
    except c.ConsentRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("plan_editor", public_id=plan.public_id)
    kiosk.enter(request, plan)
    record(request.user, Action.VIEW, plan, detail="consent handed to the patient (kiosk)")
    return redirect("consent_kiosk")


@require_http_methods(["GET", "POST"])
@require(roles.EDIT_CLINICAL)
def kiosk_page(request: AuthedRequest) -> HttpResponse:
    plan = kiosk.plan_of(request)
    if plan is None:
        return redirect("home")
    try:
        version = c.version_to_sign(plan)
    except c.ConsentRefused:  # consented meanwhile, or reopened: nothing left to sign
        version = None
    consent = c.signed_consent(version) if version else None
    form = SignForm(request.POST or None, patient=plan.patient)
    if version is not None and consent is None:
        if request.method == "POST" and form.is_valid():
            try:
                c.sign_as_read(
                    request.user,
                    plan,
                    form.cleaned_data["typed_name"],
                    form.cleaned_data["signature"],
                    shown_hash=request.POST.get("text_hash", ""),
                    detail=SIGNED_IN_KIOSK,
                )
            except c.ConsentRefused as refusal:
                messages.error(request, str(refusal))
            return redirect("consent_kiosk")
        template = c.template_for()
        text = c.document_text(version, plan.patient, template, request.user.organization)
    else:
        text = consent.text if consent else ""
    return _kiosk(request, plan, consent, text, form)


def _kiosk(
    request: AuthedRequest,
    plan: Plan,
    consent: Consent | None,
    text: str,
    form: SignForm,
    leave: PasswordForm | None = None,
) -> HttpResponse:
    context = {
        "plan": plan,
        "patient": plan.patient,
        "consent": consent,
        "blocks": c.parse(text),
        "text_hash": Consent.hash_text(text),
        "form": form,
        "leave": leave or PasswordForm(),
        "sign_action": "",
    }
    status = 400 if (form.errors or (leave and leave.errors)) else 200
    return render(request, "portal/kiosk.html", context, status=status)


@require_POST
@login_required
def kiosk_leave(request: AuthedRequest) -> HttpResponse:
    plan = kiosk.plan_of(request)
    if plan is None:
        return redirect("home")
    form = PasswordForm(request.POST)
    if not (form.is_valid() and request.user.check_password(form.cleaned_data["password"])):
        # Someone at the tablet guessing the staff member's password leaves a trace.
        record(request.user, Action.LOGIN_FAILED, plan, detail="kiosk: wrong staff password")
        messages.error(
            request,
            f"That is not the password of {request.user.full_name}: the tablet stays "
            "with the patient's consent.",
        )
        return redirect("consent_kiosk")
    kiosk.leave(request)
    record(request.user, Action.VIEW, plan, detail="tablet given back from the kiosk")
    return redirect(_staff_consent_page(plan))
