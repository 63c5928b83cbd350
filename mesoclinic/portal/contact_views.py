"""The patient chooses how the clinic messages them: email, text, both or none."""

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.patients import contact
from mesoclinic.patients import services as patients
from mesoclinic.portal.access import patient_view
from mesoclinic.portal.models import PortalAccount


class ContactForm(forms.Form):
    contact_by = forms.ChoiceField(
        label="Send me reminders and notices by",
        choices=contact.ContactBy.choices,
    )
    phone = forms.CharField(
        label="Mobile number",
        required=False,
        max_length=40,
        help_text="In international form, such as +44 7700 900123, for text messages.",
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


@require_http_methods(["GET", "POST"])
@patient_view
def contact_page(request: AuthedRequest, account: PortalAccount) -> HttpResponse:
    patient = account.patient
    initial = {"contact_by": patient.contact_by, "phone": patient.phone}
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            patients.set_contact(
                request.user, patient, data["contact_by"], data["phone"], own_record=True
            )
        except patients.ContactRefused as refused:
            form.add_error("phone", str(refused))
        else:
            messages.success(request, "Saved: the clinic will message you as you chose.")
            return redirect("portal_contact")
    if request.method == "GET":
        record(request.user, Action.VIEW, patient, fields=["contact_by", "phone"])
    status = 400 if form.errors else 200
    context = {"form": form, "patient": patient}
    return render(request, "portal/contact.html", context, status=status)
