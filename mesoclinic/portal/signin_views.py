"""Signing in with an emailed link: ask for one (anyone, the same answer for every
address), then open it to sign in, once."""

from django import forms
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from mesoclinic.portal import signin_links

BACKEND = "mesoclinic.accounts.backends.OrganizationBackend"
SENT = "If this address has a portal account, a link is on its way. It works once, for 15 minutes."


class LinkForm(forms.Form):
    email = forms.EmailField(
        label="Your email address",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )


@require_http_methods(["GET", "POST"])
def ask_link(request: HttpRequest) -> HttpResponse:
    form = LinkForm(request.POST or None)
    sent = False
    if request.method == "POST" and form.is_valid():
        signin_links.send(form.cleaned_data["email"], absolute_url=request.build_absolute_uri)
        sent = True
    context = {"form": form, "sent": sent, "message": SENT}
    status = 400 if form.errors else 200
    return render(request, "portal/signin_link.html", context, status=status)


@require_http_methods(["GET", "POST"])
def use_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST signs in: a mail scanner that opens every link in an email
    does not spend the patient's link."""
    if signin_links.find(token) is None:
        return render(request, "portal/signin_link_invalid.html", status=404)
    if request.method == "POST":
        user = signin_links.use(token)
        if user is None:
            return render(request, "portal/signin_link_invalid.html", status=404)
        login(request, user, backend=BACKEND)
        return redirect("portal_home")
    return render(request, "portal/signin_link_open.html")
