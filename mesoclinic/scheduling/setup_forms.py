"""Forms of the diary's set-up: rooms, opening hours, closures, working hours, leave, treatments."""

import zoneinfo
from collections.abc import Iterable
from typing import Any

from django import forms

from mesoclinic.accounts.models import Site
from mesoclinic.accounts.roles import Role
from mesoclinic.scheduling.forms import Choices
from mesoclinic.scheduling.models import (
    Leave,
    Room,
    SiteClosure,
    SiteHours,
    TreatmentType,
    Weekday,
    WorkingHours,
)

TIME = forms.TimeInput(attrs={"type": "time", "step": 900})
DATE = forms.DateInput(attrs={"type": "date"})


class _Ordered(forms.ModelForm):
    ORDER: tuple[str, str]  # (earlier field, later field), set by each subclass

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # ModelForm.clean returns cleaned_data
        a, b = self.ORDER
        if data.get(a) and data.get(b) and data[b] <= data[a]:
            label = self.fields[a].label
            assert label is not None  # a model field's form field always has its label
            self.add_error(b, f"Must be after the {label.lower()}.")
        return data


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ["name"]


class SiteHoursForm(_Ordered):
    ORDER = ("opens", "closes")
    weekday = forms.TypedChoiceField(choices=Weekday.choices, coerce=int)

    class Meta:
        model = SiteHours
        fields = ["weekday", "opens", "closes"]
        widgets = {"opens": TIME, "closes": TIME}


class ClosureForm(forms.ModelForm):
    class Meta:
        model = SiteClosure
        fields = ["date", "reason"]
        widgets = {"date": DATE}


class WorkingHoursForm(_Ordered):
    ORDER = ("start", "end")
    weekday = forms.TypedChoiceField(choices=Weekday.choices, coerce=int)

    def __init__(self, *args: Any, sites: Iterable[Site], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["at_site"] = Choices(sites, label="Site")
        self.order_fields(["at_site", "weekday", "start", "end"])

    class Meta:
        model = WorkingHours
        fields = ["weekday", "start", "end"]
        widgets = {"start": TIME, "end": TIME}


class LeaveForm(forms.ModelForm):
    class Meta:
        model = Leave
        fields = ["start_date", "end_date", "reason"]
        labels = {"start_date": "From", "end_date": "To (included)"}
        widgets = {"start_date": DATE, "end_date": DATE}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # ModelForm.clean returns cleaned_data
        if (
            data.get("start_date")
            and data.get("end_date")
            and data["end_date"] < data["start_date"]
        ):
            self.add_error("end_date", "Must be on or after the first day.")
        return data


class TreatmentTypeForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        choices=[(r.value, r.label) for r in Role if r != Role.RECEPTION],
        widget=forms.CheckboxSelectMultiple,
        label="Given by",
    )

    class Meta:
        model = TreatmentType
        fields = ["name", "duration_minutes", "roles", "needs_room"]
        labels = {"duration_minutes": "Length (minutes)", "needs_room": "Needs a treatment room"}

    def clean_duration_minutes(self) -> int:
        value = self.cleaned_data["duration_minutes"]
        if not 5 <= value <= 480:
            raise forms.ValidationError("Between 5 and 480 minutes.")
        return value


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        choices=lambda: [(z, z) for z in sorted(zoneinfo.available_timezones())],
        help_text="Appointments are stored in UTC and shown in this zone.",
    )
