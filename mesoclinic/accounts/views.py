import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from mesoclinic.accounts import forms, letterhead, licences, roles, services
from mesoclinic.accounts.access import get_licence, get_staff_member, require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.accounts.models import PEOPLE, Invitation, User


class LoginView(auth_views.LoginView):
    form_class = forms.LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        # A patient signs in to the portal: a `next` outside it would only answer 404.
        url = super().get_success_url()
        if getattr(self.request.user, "role", "") == roles.Role.PATIENT and not url.startswith(
            "/portal/"
        ):
            return reverse("portal_home")
        return url


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, "Your password was changed.")
        return super().form_valid(form)

    def get_success_url(self) -> str:
        return "/"


@require(roles.MANAGE_STAFF)
def staff_list(request: AuthedRequest) -> HttpResponse:
    org_id = request.user.organization_id
    # Integration accounts are not colleagues: their tokens are on the API tokens page.
    people = User.in_org.filter(PEOPLE, role__in=roles.STAFF_ROLES)
    staff = list(people.order_by("-is_active", "full_name"))
    pending = Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True).order_by(
        "-created_at"
    )
    held = licences.licences_by_user(org_id)
    today = timezone.localdate()
    for member in staff:
        member.licence_rows = held.get(member.pk, [])
        member.can_practise = any(
            lic.is_prescribing and lic.is_valid_on(today) for lic in member.licence_rows
        )
    context = {"staff": staff, "pending": pending, "today": today}
    return render(request, "accounts/staff.html", context)


@require_http_methods(["GET", "POST"])
@require(roles.MANAGE_STAFF)
def staff_invite(request: AuthedRequest) -> HttpResponse:
    form = forms.InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.invite(
            request.user,
            form.cleaned_data["email"],
            form.cleaned_data["role"],
            absolute_url=request.build_absolute_uri,
        )
        messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
        return redirect("staff_list")
    return render(
        request, "accounts/invite.html", {"form": form}, status=400 if form.errors else 200
    )


@require_POST
@require(roles.MANAGE_STAFF)
def staff_set_active(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    member = get_staff_member(public_id)
    active = request.POST.get("active") == "1"
    if member == request.user and not active:
        messages.error(request, "You cannot deactivate your own account.")
    else:
        services.set_active(member, active)
        messages.success(
            request, f"{member.full_name} {'reactivated' if active else 'deactivated'}."
        )
    return redirect("staff_list")


@require_http_methods(["GET", "POST"])
@require(roles.MANAGE_STAFF)
def licence_new(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    member = get_staff_member(public_id)
    form = forms.LicenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        licence = licences.add(request.user, member, form.cleaned_data)
        messages.success(request, f"{licence} recorded for {member.full_name}.")
        return redirect("staff_list")
    context = {"form": form, "member": member}
    return render(request, "accounts/licence_new.html", context, status=400 if form.errors else 200)


@require_POST
@require(roles.MANAGE_STAFF)
def licence_void(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    licence = get_licence(public_id)
    if licence.voided_at is not None:
        raise Http404
    form = forms.VoidLicenceForm(request.POST)
    if form.is_valid():
        licences.void(request.user, licence, form.cleaned_data["reason"])
        messages.success(request, f"{licence} of {licence.user.full_name} voided.")
    else:
        messages.error(request, "Give a reason of at least 3 characters to void a licence.")
    return redirect("staff_list")


@require_http_methods(["GET", "POST"])
@require(roles.MANAGE_STAFF)
def clinic_settings(request: AuthedRequest) -> HttpResponse:
    organization = request.user.organization
    form = forms.ClinicSettingsForm(
        request.POST or None, request.FILES or None, instance=organization
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        if form.cleaned_data["logo_file"]:
            letterhead.store_logo(organization, form.cleaned_data["logo_file"])
        elif form.cleaned_data["remove_logo"]:
            letterhead.remove_logo(organization)
        messages.success(request, "Clinic settings saved.")
        return redirect("clinic_settings")
    status = 400 if form.errors else 200
    context = {"form": form, "letterhead": letterhead.letterhead(organization)}
    return render(request, "accounts/clinic_settings.html", context, status=status)


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.find_invitation(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = forms.AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            services.accept(
                invitation, form.cleaned_data["full_name"], form.cleaned_data["password1"]
            )
        except ValueError:
            return render(request, "accounts/invitation_invalid.html", status=404)
        messages.success(request, "Your account is ready. Please log in.")
        return redirect("login")
    return render(
        request,
        "accounts/accept.html",
        {"form": form, "invitation": invitation},
        status=400 if form.errors else 200,
    )
