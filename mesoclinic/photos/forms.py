"""Taking a photo on a tablet (the camera opens) or uploading one from a clinic camera."""

import contextlib
import uuid
from collections.abc import Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.outcomes.models import Side
from mesoclinic.patients.models import Patient
from mesoclinic.photos import catalogue
from mesoclinic.photos.models import ConsentHow, ConsentScope
from mesoclinic.treatments.models import TreatmentSession

ACCEPT = "image/jpeg,image/png,image/heic,image/heif"


class SessionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: TreatmentSession) -> str:
        return f"Session of {timezone.localtime(obj.started_at):%-d %b %Y, %H:%M}"


BOTH_GIVEN = "Keep one photo at a time: take it with the camera or choose a file, not both."
NONE_GIVEN = "Take a photo with the camera or choose a file."


class PhotoForm(forms.Form):
    """One photo, given by either of two file inputs (each works without JavaScript):
    `photo`, with `capture`, opens a tablet's rear camera; `photo_file`, without it,
    offers the files on the device (a clinic camera's, copied over), which a tablet
    never offers for an input with `capture`. Every error about the photo is shown
    once, on `photo`."""

    photo = forms.FileField(
        label="Take it now with this device",
        required=False,
        # `capture`: a tablet opens its rear camera; a computer offers its files.
        widget=forms.FileInput(attrs={"accept": ACCEPT, "capture": "environment"}),
    )
    photo_file = forms.FileField(
        label="Or choose a file from this device",
        required=False,
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )
    view = forms.ChoiceField(label="View")
    area = forms.ChoiceField(label="Area", required=False)
    side = forms.ChoiceField(label="Side", choices=Side.choices, required=False)
    device = forms.CharField(
        label="Camera",
        max_length=100,
        required=False,
        help_text="For example: iPad camera, clinic camera.",
    )
    session = SessionChoice(
        label="Session",
        queryset=None,  # the patient's, in __init__ (a scoped query needs the clinic)
        required=False,
        to_field_name="public_id",
        empty_label="Not taken at a session",
    )
    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        max_mb = settings.PHOTO_MAX_BYTES / 1_048_576
        self.fields["photo"].help_text = f"JPEG, PNG or HEIC, up to {max_mb:g} MB."
        view: Any = self.fields["view"]
        view.choices = [("", "Choose the view"), *catalogue.choices()]
        areas = sorted(rules.areas().values(), key=lambda a: a.name)
        area: Any = self.fields["area"]
        area.choices = [("", "No single area"), *((a.slug, a.name) for a in areas)]
        session: Any = self.fields["session"]
        session.queryset = TreatmentSession.objects.filter(
            patient=patient, voided_at__isnull=True
        ).order_by("-started_at")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for error in self.errors.pop("photo_file", []):
            self.add_error("photo", error)
        taken, chosen = data.get("photo"), data.pop("photo_file", None)
        if taken and chosen:
            self.add_error("photo", BOTH_GIVEN)
        elif not (taken or chosen) and "photo" not in self.errors:
            self.add_error("photo", NONE_GIVEN)
        elif chosen:
            data["photo"] = chosen
        return data


def prefill(query: Mapping[str, str]) -> dict[str, str]:
    """The form's starting values from a "Take" link (`?session=&view=&area=`): only
    known views and areas and a well-formed session id (the form's own session choices
    are the patient's, so another patient's session is never selected)."""
    initial: dict[str, str] = {}
    if query.get("view", "") in catalogue.BY_SLUG:
        initial["view"] = query["view"]
    if query.get("area", "") in rules.areas():
        initial["area"] = query["area"]
    with contextlib.suppress(ValueError):
        initial["session"] = str(uuid.UUID(query.get("session", "")))
    return initial


class VoidPhotoForm(forms.Form):
    reason = forms.CharField(
        label="Reason for voiding",
        max_length=500,
        min_length=3,
        help_text="For example: taken of the wrong patient.",
    )


class GiveConsentForm(forms.Form):
    """One form per scope on the page (prefixed by it): the scope is the form's, not
    the user's to type."""

    how = forms.ChoiceField(label="How consent was given", choices=ConsentHow.choices)
    note = forms.CharField(
        label="Note",
        max_length=300,
        required=False,
        help_text="Optional: for example, the form's reference or the witness's name.",
    )
    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


class RevokeConsentForm(forms.Form):
    reason = forms.CharField(
        label="Reason for revoking",
        max_length=500,
        min_length=3,
        help_text="As the patient told it, for example: no longer wishes photos to be shown.",
    )


EXPORT_PURPOSES = [
    (ConsentScope.TEACHING.value, "Teaching"),
    (ConsentScope.MARKETING.value, "Marketing"),
]


class ExportForm(forms.Form):
    purpose = forms.ChoiceField(label="Purpose", choices=EXPORT_PURPOSES)
    view = forms.ChoiceField(label="View", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        view: Any = self.fields["view"]
        view.choices = [("", "Every view"), *catalogue.choices()]
