import re
import uuid
from collections.abc import Collection
from datetime import date
from typing import Any, cast

from django import forms
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.patients.models import Patient
from mesoclinic.treatments import safety
from mesoclinic.treatments.models import AdverseEvent, Lot, TreatmentSession
from mesoclinic.treatments.vocab import (
    INJECTION_SITE_GRADES,
    AdverseEventType,
    CtcaeGrade,
    Seriousness,
)

_DATE = forms.DateInput(attrs={"type": "date"})
_GRADE_ERRORS = {
    "invalid_choice": "Choose a CTCAE v5 grade from 1 (mild) to 5 (death).",
    "required": "Choose a CTCAE v5 grade.",
}


def _not_future(value: date | None, what: str) -> date | None:
    if value and value > timezone.localdate():
        raise forms.ValidationError(f"{what} cannot be in the future.")
    return value


_GRADE_HELP = "CTCAE v5 injection site reaction: " + "; ".join(
    f"{grade} {text}" for grade, text in INJECTION_SITE_GRADES.items()
)
_DEATH_NEEDED = "A grade 5 event is a death: tick “Results in death”."


def _grade_field() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label="Severity (CTCAE v5 grade)",
        choices=[("", "—"), *CtcaeGrade.choices],
        coerce=int,
        error_messages=_GRADE_ERRORS,
        help_text=_GRADE_HELP + ". Grade 4 or 5 makes the event serious.",
    )


def _seriousness_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label="Seriousness (ICH E2A)",
        choices=Seriousness.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick every criterion the event meets. Any of them makes it serious: "
        "the responsible practitioner gets a follow-up task.",
    )


def _check_death(form: forms.Form, data: dict[str, Any]) -> None:
    if data.get("grade") == CtcaeGrade.DEATH and Seriousness.DEATH not in data.get(
        "seriousness", []
    ):
        form.add_error("seriousness", _DEATH_NEEDED)


def criteria_flags(chosen: Collection[str]) -> dict[str, bool]:
    """The model's criterion fields from the ticked boxes."""
    return {c.value: c.value in chosen for c in Seriousness}


def area_choices() -> list[tuple[str, str]]:
    areas = rules.load_reference().areas.values()
    return [("", "—"), *sorted(((a.slug, a.name) for a in areas), key=lambda c: c[1])]


class SessionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: TreatmentSession) -> str:
        return f"{safety.session_day(obj):%d %b %Y} · {obj.site.name}"


class LotChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Lot) -> str:
        product = rules.load_reference().products.get(obj.product)
        name = product.name if product else obj.product
        return f"{obj.lot_number} · {name} · expires {obj.expires_on:%d %b %Y}"


class AdverseEventForm(forms.Form):
    # A plain form: a ModelForm would query the scoped managers at import, with no clinic.
    # A new key each time the empty form is rendered; a re-rendered form keeps its own.
    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False, initial=uuid.uuid4)
    event_type = forms.ChoiceField(label="Event", choices=[("", "—"), *AdverseEventType.choices])
    grade = _grade_field()
    seriousness = _seriousness_field()
    onset_on = forms.DateField(label="Onset date", widget=_DATE)
    area = forms.ChoiceField(label="Area", choices=area_choices, required=False)
    session = SessionChoice(
        label="After the session of",
        queryset=None,
        to_field_name="public_id",
        required=False,
        empty_label="No particular session",
    )
    description = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 3}))
    lots = LotChoice(
        label="Lots used on this patient",
        queryset=None,
        to_field_name="public_id",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other_lots = forms.CharField(
        label="Other lot numbers",
        required=False,
        max_length=500,
        help_text="Any lot of the clinic, by its number; separate several with commas.",
    )
    action_taken = forms.CharField(
        label="Action taken", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    outcome = forms.CharField(label="Outcome", required=False, max_length=200)
    resolved_on = forms.DateField(label="Resolved on", widget=_DATE, required=False)

    EVENT_FIELDS = (
        "session",
        "event_type",
        "area",
        "onset_on",
        "grade",
        "description",
        "action_taken",
        "outcome",
        "resolved_on",
    )

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The stubs type `fields` as plain Field; these two are declared above.
        cast(SessionChoice, self.fields["session"]).queryset = safety.sessions_of(patient)
        cast(LotChoice, self.fields["lots"]).queryset = safety.charted_lots(patient)
        self.extra_lots: list[Lot] = []

    def clean_onset_on(self) -> date | None:
        return _not_future(self.cleaned_data.get("onset_on"), "The onset date")

    def clean_resolved_on(self) -> date | None:
        return _not_future(self.cleaned_data.get("resolved_on"), "The resolution date")

    def clean_other_lots(self) -> str:
        numbers = [n.strip() for n in re.split(r"[,;\n]", self.cleaned_data["other_lots"])]
        numbers = list(dict.fromkeys(n for n in numbers if n))
        self.extra_lots, unknown = safety.lots_by_number(numbers)
        if unknown:
            raise forms.ValidationError(
                f"No lot of this clinic has the number {', '.join(unknown)}."
            )
        return ", ".join(numbers)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        onset, session = data.get("onset_on"), data.get("session")
        if onset and session and onset < safety.session_day(session):
            self.add_error(
                "onset_on",
                f"The onset cannot be before the session ({safety.session_day(session):%d %b %Y}).",
            )
        resolved = data.get("resolved_on")
        if onset and resolved and resolved < onset:
            self.add_error("resolved_on", "The resolution date cannot be before the onset.")
        _check_death(self, data)
        return data

    def event_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **{name: data[name] for name in self.EVENT_FIELDS},
            **criteria_flags(data["seriousness"]),
        }

    def all_lots(self) -> list[Lot]:
        chosen = list(self.cleaned_data["lots"])
        return chosen + [lot for lot in self.extra_lots if lot not in chosen]


class AdverseEventUpdateForm(forms.Form):
    """Later news of an event: how it went, what was done, whether it got worse."""

    grade = _grade_field()
    seriousness = _seriousness_field()
    action_taken = forms.CharField(
        label="Action taken", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    outcome = forms.CharField(label="Outcome", required=False, max_length=200)
    resolved_on = forms.DateField(label="Resolved on", widget=_DATE, required=False)

    def __init__(self, *args: Any, event: AdverseEvent, **kwargs: Any) -> None:
        initial = {f: getattr(event, f) for f in safety.UPDATABLE_FIELDS}
        kwargs.setdefault("initial", {**initial, "seriousness": event.criteria})
        super().__init__(*args, **kwargs)
        self.event = event

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        _check_death(self, data)
        return data

    def event_data(self) -> dict[str, Any]:
        """The updatable fields, criteria as the model's flags."""
        data = self.cleaned_data
        changes = {name: data[name] for name in self.fields if name != "seriousness"}
        return {**changes, **criteria_flags(data["seriousness"])}

    def clean_resolved_on(self) -> date | None:
        resolved = _not_future(self.cleaned_data.get("resolved_on"), "The resolution date")
        onset = self.event.onset_on
        if resolved and resolved < onset:
            raise forms.ValidationError(
                f"The resolution date cannot be before the onset ({onset:%d %b %Y})."
            )
        return resolved


class SafetyFilterForm(forms.Form):
    """Whitelisted filters: anything else falls back to the defaults."""

    scope = forms.ChoiceField(
        label="Events",
        choices=[("serious", "Serious only"), ("all", "All")],
        required=False,
    )
    status = forms.ChoiceField(
        label="Status",
        choices=[("", "Open and resolved"), ("open", "Open"), ("resolved", "Resolved")],
        required=False,
    )
    event_type = forms.ChoiceField(
        label="Type", choices=[("", "Any"), *AdverseEventType.choices], required=False
    )

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "serious_only": data.get("scope", "serious") != "all",
            "status": data.get("status", ""),
            "event_type": data.get("event_type", ""),
        }


class FollowUpDoneForm(forms.Form):
    notes = forms.CharField(
        label="Notes (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class VoidEventForm(forms.Form):
    reason = forms.CharField(
        label="Reason for voiding",
        max_length=500,
        min_length=3,
        help_text="For example: recorded on the wrong patient.",
    )
