"""Forms of the diary: local dates and times in the site's time zone, public ids for objects."""

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django import forms

from mesoclinic.accounts.models import Site, User
from mesoclinic.scheduling.diary import at
from mesoclinic.scheduling.models import Room, TreatmentType


class Choices(forms.ChoiceField):
    """Choices of public ids, filled by the view; the object is looked up by clean()."""

    def __init__(
        self,
        objects: Iterable[Any] = (),
        label_of: Callable[[Any], str] = str,
        empty: str = "—",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.objects = {str(o.public_id): o for o in objects}
        blank = [] if self.required else [("", empty)]
        self.choices = blank + [(k, label_of(o)) for k, o in self.objects.items()]

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        return self.objects.get(value) if value else None


def _treatment_choice(treatments: Iterable[TreatmentType], help_text: str) -> Choices:
    return Choices(
        treatments,
        label_of=lambda t: f"{t.name} ({t.duration_minutes} min)",
        required=False,
        label="Treatment",
        help_text=help_text,
    )


class ProposeCourseForm(forms.Form):
    site = forms.ChoiceField()
    practitioner = forms.ChoiceField()
    treatment_type = forms.ChoiceField(required=False, label="Treatment")
    prefer = forms.TimeField(
        label="Preferred time",
        initial=dt.time(10),
        widget=forms.TimeInput(attrs={"type": "time", "step": 900}),
        help_text="Each session goes to the free slot nearest this time.",
    )

    def __init__(
        self,
        *args: Any,
        sites: Iterable[Site],
        staff: Iterable[User],
        treatments: Iterable[TreatmentType],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"] = Choices(sites, label="Site")
        self.fields["practitioner"] = Choices(staff, label="Practitioner")
        self.fields["treatment_type"] = _treatment_choice(
            treatments, "Without one, each session is 45 minutes in any free room."
        )
        self.order_fields(["site", "practitioner", "treatment_type", "prefer"])


class SlotForm(forms.Form):
    """A local date and time at a site."""

    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time", "step": 900}))

    def starts_at(self, site: Site) -> dt.datetime:
        return at(self.cleaned_data["date"], self.cleaned_data["time"], site.zone)


class BookForm(SlotForm):
    patient = forms.UUIDField(widget=forms.HiddenInput, required=False)
    practitioner = forms.ChoiceField()
    room = forms.ChoiceField(required=False)
    treatment_type = forms.ChoiceField(required=False)
    minutes = forms.IntegerField(
        label="Length (minutes)", min_value=5, max_value=480, initial=45, required=False
    )

    def __init__(
        self,
        *args: Any,
        site: Site,
        staff: Iterable[User],
        treatments: Iterable[TreatmentType],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["practitioner"] = Choices(staff, label="Practitioner")
        rooms = Room.objects.filter(site=site, active=True).order_by("name")
        self.fields["room"] = Choices(rooms, required=False, empty="Any free room", label="Room")
        self.fields["treatment_type"] = _treatment_choice(
            treatments, "Sets the length; otherwise the length below."
        )

    def duration(self) -> dt.timedelta:
        treatment: TreatmentType | None = self.cleaned_data.get("treatment_type")
        if treatment is not None:
            return dt.timedelta(minutes=treatment.duration_minutes)
        return dt.timedelta(minutes=self.cleaned_data.get("minutes") or 45)


class MoveForm(SlotForm):
    room = forms.ChoiceField(required=False)
    lock_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    shift_rest = forms.BooleanField(
        required=False,
        label="Shift the later sessions of the course by the same amount",
    )
    reason = forms.CharField(
        required=False,
        max_length=500,
        label="Reason to shorten an interval",
        help_text="Practitioners only; recorded on the appointment and in the audit log.",
    )

    def __init__(
        self, *args: Any, site: Site, can_shorten: bool, in_course: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        rooms = Room.objects.filter(site=site, active=True).order_by("name")
        self.fields["room"] = Choices(rooms, required=False, empty="Keep the room", label="Room")
        if not (can_shorten and in_course):
            del self.fields["reason"]
        if not in_course:
            del self.fields["shift_rest"]


class DropForm(SlotForm):
    """Where a block was dropped on the board: a time, and the column's practitioner or room."""

    lock_version = forms.IntegerField(min_value=0)
    practitioner = forms.ChoiceField(required=False)
    room = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, site: Site, staff: Iterable[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rooms = Room.objects.filter(site=site, active=True).order_by("name")
        self.fields["room"] = Choices(rooms, required=False, label="Room")
        self.fields["practitioner"] = Choices(staff, required=False, label="Practitioner")


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Why is it cancelled?")
