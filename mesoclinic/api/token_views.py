"""The "API tokens" page: a colleague's own tokens, made (shown once) and revoked; for
owners, the organization's integration tokens too."""

import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from mesoclinic.accounts import roles
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.api import forms, tokens
from mesoclinic.api.models import ApiToken

SHOWN_ONCE = "api_token_shown_once"


def _staff(request: AuthedRequest) -> None:
    if request.user.role not in roles.STAFF_ROLES:
        raise Http404


def get_token(request: AuthedRequest, public_id: uuid.UUID) -> ApiToken:
    """One of the user's own tokens, or, for the owner, a colleague's; else 404."""
    mine = ApiToken.objects.filter(user=request.user)
    if roles.can(request.user, roles.MANAGE_STAFF):
        mine = ApiToken.objects.filter(user__organization_id=request.user.organization_id)
    return get_object_or_404(mine.select_related("user"), public_id=public_id)


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: AuthedRequest) -> HttpResponse:
    _staff(request)
    form = forms.TokenForm(request.POST or None)
    # Shown on the page the POST redirects to, once: a reload neither re-posts nor shows it.
    secret = request.session.pop(SHOWN_ONCE, None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _, made = tokens.create(
                request.user, name=data["name"], scopes=data["scopes"], days=data["days"]
            )
        except tokens.TokenRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            request.session[SHOWN_ONCE] = made
            return redirect("api_tokens")
    return _page(request, form=form, secret=secret)


def _page(
    request: AuthedRequest,
    *,
    form: forms.TokenForm | None = None,
    integration_form: forms.IntegrationTokenForm | None = None,
    secret: str | None = None,
) -> HttpResponse:
    form = form or forms.TokenForm()
    integration_form = integration_form or forms.IntegrationTokenForm()
    context = {
        "form": form,
        "integration_form": integration_form,
        "secret": secret,
        "tokens": tokens.mine(request.user),
        "owner": roles.can(request.user, roles.MANAGE_STAFF),
        "integrations": tokens.integrations(request.user),
    }
    status = 400 if form.errors or integration_form.errors else 200
    return render(request, "api/tokens.html", context, status=status)


@login_required
@require_POST
def integration_create(request: AuthedRequest) -> HttpResponse:
    _staff(request)
    if not roles.can(request.user, roles.MANAGE_STAFF):
        raise PermissionDenied
    form = forms.IntegrationTokenForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            _, made = tokens.create_integration(
                request.user,
                name=data["name"],
                scopes=data["scopes"],
                acts_as=data["acts_as"],
                days=data["days"],
            )
        except tokens.TokenRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            request.session[SHOWN_ONCE] = made
            return redirect("api_tokens")
    return _page(request, integration_form=form)


@login_required
@require_POST
def token_revoke(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    _staff(request)
    token = get_token(request, public_id)
    tokens.revoke(request.user, token)
    return _page(request)
