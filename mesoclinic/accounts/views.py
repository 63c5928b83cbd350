from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from mesoclinic.accounts import forms, roles, services
from mesoclinic.accounts.access import get_staff_member, require
from mesoclinic.accounts.models import Invitation, User


class LoginView(auth_views.LoginView):
    form_class = forms.LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"

    def form_valid(self, form):
        messages.success(self.request, "Your password was changed.")
        return super().form_valid(form)

    def get_success_url(self):
        return "/"


@require(roles.MANAGE_STAFF)
def staff_list(request):
    org_id = request.user.organization_id
    staff = User.objects.filter(organization_id=org_id).order_by("-is_active", "full_name")
    pending = Invitation.objects.filter(
        organization_id=org_id, accepted_at__isnull=True, revoked_at__isnull=True
    ).order_by("-created_at")
    return render(
        request,
        "accounts/staff.html",
        {"staff": staff, "pending": pending, "form": forms.InviteForm()},
    )


@require_http_methods(["GET", "POST"])
@require(roles.MANAGE_STAFF)
def staff_invite(request):
    form = forms.InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.invite(request, form.cleaned_data["email"], form.cleaned_data["role"])
        messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
        return redirect("staff_list")
    return render(
        request, "accounts/invite.html", {"form": form}, status=400 if form.errors else 200
    )


@require_POST
@require(roles.MANAGE_STAFF)
def staff_set_active(request, public_id):
    member = get_staff_member(request, public_id)
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
def clinic_settings(request):
    form = forms.ClinicSettingsForm(request.POST or None, instance=request.user.organization)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Clinic settings saved.")
        return redirect("clinic_settings")
    status = 400 if form.errors else 200
    return render(request, "accounts/clinic_settings.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def accept_invitation(request, token):
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
