"""Consent: generate from the approved version, sign on the tablet, countersign, PDF, revoke."""

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.plans import consent as c
from mesoclinic.plans import consent_document
from mesoclinic.plans.access import get_consent, get_plan
from mesoclinic.plans.consent_forms import RevokeForm, SignForm
from mesoclinic.plans.models import Consent, ConsentTemplate
from mesoclinic.transitions import TransitionRefused


class TemplateForm(forms.ModelForm):
    class Meta:
        model = ConsentTemplate
        fields = ["introduction", "alternatives", "withdrawal", "additional"]
        help_texts = {"alternatives": "One per line.", "additional": "Optional, added at the end."}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean returns cleaned_data
        for name in self.Meta.fields:
            claims = c.marketing_claims(data.get(name) or "")
            if claims:
                quoted = ", ".join(f"“{claim}”" for claim in claims)
                self.add_error(
                    name,
                    f"Consent cannot state marketing claims as fact: remove {quoted}. "
                    "Say what is known and what the risks are; no result can be promised.",
                )
        return data


@require_http_methods(["GET", "POST"])
@require(roles.EDIT_CLINICAL)
def consent_new(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    plan = get_plan(public_id)
    try:
        version = c.version_to_sign(plan)
    except c.ConsentRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("plan_editor", public_id=plan.public_id)
    if (existing := c.signed_consent(version)) is not None:
        messages.info(request, "This plan version is already signed: here is that consent.")
        return redirect("consent_detail", public_id=existing.public_id)
    form = SignForm(request.POST or None, patient=plan.patient)
    if request.method == "POST" and form.is_valid():
        try:
            consent = c.sign_as_read(
                request.user,
                plan,
                form.cleaned_data["typed_name"],
                form.cleaned_data["signature"],
                shown_hash=request.POST.get("text_hash", ""),
            )
        except c.ConsentRefused as refusal:
            messages.error(request, str(refusal))
            return redirect("consent_new", public_id=plan.public_id)
        return redirect("consent_detail", public_id=consent.public_id)
    if request.method == "GET":
        record(request.user, Action.VIEW, plan, detail="consent document")
    template = c.template_for()
    text = c.document_text(version, plan.patient, template, request.user.organization)
    context = {
        "plan": plan,
        "patient": plan.patient,
        "blocks": c.parse(text),
        "form": form,
        "text_hash": Consent.hash_text(text),
    }
    return render(request, "plans/consent_sign.html", context, status=400 if form.errors else 200)


@require_GET
@require(roles.VIEW_CLINICAL)
def consent_detail(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    consent = get_consent(public_id)
    record(request.user, Action.VIEW, consent)
    return render(request, "plans/consent_detail.html", _context(request, consent))


def _context(request: AuthedRequest, consent: Consent) -> dict[str, Any]:
    return {
        "consent": consent,
        "patient": consent.patient,
        "blocks": c.parse(consent.text),
        "organization": request.user.organization,
        "hash_ok": Consent.hash_text(consent.text) == consent.text_hash,
        "can_countersign": roles.can(request.user, roles.SIGN_CLINICAL),
        "revoke_form": RevokeForm(),
    }


@require_POST
@require(roles.SIGN_CLINICAL)
def consent_countersign(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    consent = get_consent(public_id)
    try:
        c.countersign(request.user, consent)
    except TransitionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, "Consent countersigned.")
    return redirect("consent_detail", public_id=consent.public_id)


@require_POST
@require(roles.EDIT_CLINICAL)
def consent_revoke(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    consent = get_consent(public_id)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        context = {**_context(request, consent), "revoke_form": form}
        return render(request, "plans/consent_detail.html", context, status=400)
    try:
        c.revoke(request.user, consent, form.cleaned_data["reason"])
    except TransitionRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("consent_detail", public_id=consent.public_id)
    messages.success(request, "Consent revoked; the plan needs a new consent before treatment.")
    return redirect("consent_detail", public_id=consent.public_id)


@require_GET
@require(roles.VIEW_CLINICAL)
def consent_pdf(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    consent = get_consent(public_id)
    pdf = consent_document.pdf(consent, request.user.organization)
    record(request.user, Action.EXPORT, consent, detail="consent PDF")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="consent-{consent.public_id}.pdf"'
    return response


@require_http_methods(["GET", "POST"])
@require(roles.MANAGE_STAFF)
def consent_template(request: AuthedRequest) -> HttpResponse:
    current = c.template_for()
    form = TemplateForm(
        request.POST or None,
        instance=None,
        initial={
            "introduction": current.introduction,
            "alternatives": current.alternatives,
            "withdrawal": current.withdrawal,
            "additional": current.additional,
        },
    )
    if request.method == "POST" and form.is_valid():
        template = c.save_template(
            request.user, {k: form.cleaned_data[k] for k in TemplateForm.Meta.fields}
        )
        messages.success(request, f"Consent wording saved as version {template.version}.")
        return redirect("consent_template")
    return render(
        request,
        "plans/consent_template.html",
        {"form": form, "current": current, "fixed": c.fixed_text()},
        status=400 if form.errors else 200,
    )
