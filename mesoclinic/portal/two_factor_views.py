"""The second sign-in step: turning it on or off, and the code page after the password."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.portal import two_factor
from mesoclinic.portal.access import STAFF_REFUSAL, patient_view
from mesoclinic.portal.models import PortalAccount
from mesoclinic.portal.services import account_of


class CodeForm(forms.Form):
    code = forms.CharField(
        label="The 6-digit code from your authenticator app",
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class PasswordForm(forms.Form):
    password = forms.CharField(label="Your password", widget=forms.PasswordInput, strip=False)


def _confirm(request: AuthedRequest, forms_: dict[str, forms.Form]) -> bool:
    form = forms_["code"] = CodeForm(request.POST)
    if not form.is_valid():
        return False
    try:
        two_factor.confirm(request, request.user, form.cleaned_data["code"])
    except two_factor.CodeRefused as refused:
        form.add_error("code", str(refused))
        return False
    messages.success(request, "The second sign-in step is on.")
    return True


def _turn_off(request: AuthedRequest, forms_: dict[str, forms.Form]) -> bool:
    form = forms_["password"] = PasswordForm(request.POST)
    if not form.is_valid():
        return False
    try:
        two_factor.turn_off(request.user, form.cleaned_data["password"])
    except two_factor.CodeRefused as refused:
        form.add_error("password", str(refused))
        return False
    messages.success(request, "The second sign-in step is off.")
    return True


@require_http_methods(["GET", "POST"])
@patient_view
def settings_page(request: AuthedRequest, account: PortalAccount) -> HttpResponse:
    user = request.user
    forms_: dict[str, forms.Form] = {"code": CodeForm(), "password": PasswordForm()}
    action = request.POST.get("action", "")
    if action == "start":
        two_factor.start(user)
    elif action in ("confirm", "off") and {"confirm": _confirm, "off": _turn_off}[action](
        request, forms_
    ):
        return redirect("portal_two_factor")
    if request.method == "GET":
        record(user, Action.VIEW, user, detail="portal sign-in settings")
    device, waiting = two_factor.device_of(user), two_factor.pending(user)
    context = {
        "device": device,
        "waiting": waiting if device is None else None,
        "qr": two_factor.qr_svg(waiting) if waiting is not None and device is None else "",
        "code_form": forms_["code"],
        "password_form": forms_["password"],
        "patient": account.patient,
    }
    errors = forms_["code"].errors or forms_["password"].errors
    return render(request, "portal/two_factor.html", context, status=400 if errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
def verify(request: AuthedRequest) -> HttpResponse:
    account = account_of(request.user)
    if account is None:
        raise PermissionDenied(STAFF_REFUSAL)
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}) or not target.startswith(
        "/portal/"
    ):
        target = "/portal/"
    if not two_factor.needs_code(request, account):
        return redirect(target)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_factor.verify(request, request.user, form.cleaned_data["code"])
        except two_factor.CodeRefused as refused:
            form.add_error("code", str(refused))
        else:
            return redirect(target)
    return render(request, "portal/verify.html", {"form": form}, status=400 if form.errors else 200)
