from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from mesoclinic.accounts.models import Site
from mesoclinic.patients import contact, vocab
from mesoclinic.patients import models as m

_DATE = forms.DateInput(attrs={"type": "date"})


def _today() -> date:
    return timezone.localdate()


def _not_future(value: date | None, what: str) -> date | None:
    if value and value > _today():
        raise forms.ValidationError(f"{what} cannot be in the future.")
    return value


class PatientForm(forms.ModelForm):
    weight_kg = forms.DecimalField(
        label="Weight (kg)",
        required=False,
        min_value=m.MIN_WEIGHT_KG,
        max_value=m.MAX_WEIGHT_KG,
        decimal_places=1,
        error_messages={
            "min_value": f"Weight must be at least {m.MIN_WEIGHT_KG} kg.",
            "max_value": f"Weight must be at most {m.MAX_WEIGHT_KG} kg.",
        },
    )
    height_cm = forms.DecimalField(
        label="Height (cm)",
        required=False,
        min_value=m.MIN_HEIGHT_CM,
        max_value=m.MAX_HEIGHT_CM,
        decimal_places=1,
    )

    class Meta:
        model = m.Patient
        fields = [
            "first_name",
            "last_name",
            "date_of_birth",
            "sex",
            "phone",
            "email",
            "contact_by",
            "address",
            "weight_kg",
            "height_cm",
            "measured_on",
            "fitzpatrick",
            "occupation",
            "emergency_contact_name",
            "emergency_contact_phone",
            "home_site",
            "notes",
        ]
        widgets = {
            "date_of_birth": _DATE,
            "measured_on": _DATE,
            "address": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "fitzpatrick": "Fitzpatrick skin type",
            "measured_on": "Weight/height measured on",
        }

    def __init__(
        self,
        *args: Any,
        sites: QuerySet[Site] | None = None,
        clinical: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact_by"].required = False
        if sites is not None:
            home_site = self.fields["home_site"]
            assert isinstance(home_site, forms.ModelChoiceField)  # the FK's default field
            home_site.queryset = sites
            home_site.empty_label = "No usual site"
        if not clinical:
            # Reception keeps demographics; measurements and notes are clinical.
            for name in ("weight_kg", "height_cm", "measured_on", "fitzpatrick", "notes"):
                del self.fields[name]

    def clean_contact_by(self) -> str:
        # A form without the field (an older page, a script) keeps the patient's choice.
        return self.cleaned_data.get("contact_by") or self.instance.contact_by

    def clean_date_of_birth(self) -> date | None:
        dob = _not_future(self.cleaned_data.get("date_of_birth"), "Date of birth")
        if dob and dob.year < 1900:
            raise forms.ValidationError("Date of birth must be after 1900.")
        return dob

    def clean_measured_on(self) -> date | None:
        return _not_future(self.cleaned_data.get("measured_on"), "The measurement date")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean returns cleaned_data
        has_measure = data.get("weight_kg") is not None or data.get("height_cm") is not None
        if "measured_on" in self.fields and has_measure and not data.get("measured_on"):
            data["measured_on"] = _today()
        if contact.wants_sms(data.get("contact_by", "")) and not contact.sms_number(
            data.get("phone", "")
        ):
            self.add_error("phone", contact.NUMBER_HELP)
        return data


class HistoryEntryForm(forms.ModelForm):
    recorded_on = forms.DateField(widget=_DATE, initial=_today, label="Recorded on")

    def __init__(self, *args: Any, patient: m.Patient | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient

    def clean_recorded_on(self) -> date | None:
        return _not_future(self.cleaned_data.get("recorded_on"), "The date")


class AllergyForm(HistoryEntryForm):
    class Meta:
        model = m.Allergy
        fields = ["substance", "substance_text", "reaction", "severity", "recorded_on"]
        labels = {"substance": "Substance (formulary)", "substance_text": "Other substance"}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean returns cleaned_data
        if not data.get("substance") and not data.get("substance_text", "").strip():
            self.add_error("substance", "Choose a substance or type one under “Other substance”.")
        return data


class NoKnownAllergiesForm(HistoryEntryForm):
    """The patient was asked and has no allergies: the history was taken."""

    title = "Record no known allergies"

    class Meta:
        model = m.NoKnownAllergies
        fields = ["recorded_on"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recorded_on"].label = "Asked on"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean returns cleaned_data
        if self.patient is not None and m.Allergy.active.filter(patient=self.patient).exists():
            raise forms.ValidationError(
                "Allergies are recorded for this patient. Void them first if they were "
                "entered in error."
            )
        return data


class AllergyCodingForm(forms.Form):
    """What an allergy text that nothing recognised means, decided by a practitioner."""

    CODE, ASIDE = "code", "not_applicable"
    decision = forms.ChoiceField(
        choices=[
            (CODE, "It is an allergy to one of these"),
            (ASIDE, "It does not apply to treatment"),
        ],
        widget=forms.RadioSelect,
        label="This allergy",
    )
    allergens = forms.MultipleChoiceField(
        choices=vocab.allergen_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choice-columns"}),
        label="Allergic to",
    )
    reason = forms.CharField(
        max_length=500,
        required=False,
        label="Why it does not apply",
        widget=forms.TextInput(attrs={"placeholder": "e.g. cat dander: nothing used here"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean returns cleaned_data
        decision = data.get("decision")
        if decision == self.CODE and not data.get("allergens"):
            self.add_error("allergens", "Choose what the patient is allergic to.")
        if decision == self.ASIDE and len(data.get("reason", "").strip()) < 3:
            self.add_error("reason", "Say why this allergy does not apply to treatment.")
        return data


class MedicationForm(HistoryEntryForm):
    class Meta:
        model = m.Medication
        fields = ["name", "dose", "recorded_on"]
        labels = {"name": "Medication", "dose": "Dose and frequency"}


class ConditionForm(HistoryEntryForm):
    class Meta:
        model = m.Condition
        fields = ["condition", "area", "notes", "recorded_on"]


class PregnancyForm(HistoryEntryForm):
    confirmed_on = forms.DateField(widget=_DATE, initial=_today)

    class Meta:
        model = m.PregnancyStatus
        fields = ["status", "confirmed_on", "recorded_on"]

    def clean_confirmed_on(self) -> date | None:
        return _not_future(self.cleaned_data.get("confirmed_on"), "The confirmation date")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean returns cleaned_data
        status = data.get("status")
        if (
            self.patient is not None
            and self.patient.sex == m.Sex.MALE
            and status
            and status != m.PregnancyState.NOT_PREGNANT
        ):
            self.add_error(
                "status",
                "This patient is recorded as male. Correct the patient's sex first "
                "if this status is right.",
            )
        return data


class SkinInfectionForm(HistoryEntryForm):
    resolved_on = forms.DateField(widget=_DATE, required=False)

    class Meta:
        model = m.SkinInfection
        fields = ["area", "description", "resolved_on", "recorded_on"]
        labels = {"description": "Infection or lesion"}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean returns cleaned_data
        resolved, recorded = data.get("resolved_on"), data.get("recorded_on")
        if resolved and recorded and resolved < recorded:
            self.add_error("resolved_on", "Resolution cannot be before the infection was recorded.")
        if resolved and resolved > _today():
            self.add_error("resolved_on", "Resolution cannot be in the future.")
        return data


class LifestyleForm(HistoryEntryForm):
    class Meta:
        model = m.LifestyleFactor
        fields = ["factor", "notes", "recorded_on"]


class ConcernForm(HistoryEntryForm):
    areas = forms.MultipleChoiceField(
        choices=vocab.area_choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = m.Concern
        fields = ["concern", "areas", "goals", "expectations", "recorded_on"]
        widgets = {
            "goals": forms.Textarea(attrs={"rows": 2}),
            "expectations": forms.Textarea(attrs={"rows": 2}),
        }


class VoidForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        min_length=3,
        widget=forms.TextInput(attrs={"placeholder": "Why is this entry wrong or no longer true?"}),
        error_messages={"required": "A reason is required to void an entry."},
    )


class SearchForm(forms.Form):
    SORTS = {
        "name": ("search_last", "search_first", "id"),
        "-name": ("-search_last", "-search_first", "-id"),
        "dob": ("date_of_birth", "id"),
        "-dob": ("-date_of_birth", "-id"),
        "recent": ("-created_at", "-id"),
    }
    q = forms.CharField(required=False, max_length=100, label="Search")
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("name", "Name A-Z"),
            ("-name", "Name Z-A"),
            ("dob", "Oldest first"),
            ("-dob", "Youngest first"),
            ("recent", "Recently added"),
        ],
    )

    def ordering(self) -> tuple[str, ...]:
        sort = self.cleaned_data.get("sort") if self.is_valid() else ""
        return self.SORTS.get(sort or "name", self.SORTS["name"])


HISTORY_FORMS = {
    "allergy": AllergyForm,
    "no-known-allergies": NoKnownAllergiesForm,
    "medication": MedicationForm,
    "condition": ConditionForm,
    "pregnancy": PregnancyForm,
    "infection": SkinInfectionForm,
    "lifestyle": LifestyleForm,
    "concern": ConcernForm,
}
