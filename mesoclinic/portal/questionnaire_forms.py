"""The patient's medical history questionnaire, in plain words; its answers become
`questionnaire.Proposal`s shaped as the chart's history entries."""

import uuid
from typing import Any

from django import forms
from django.utils import timezone

from mesoclinic.patients import vocab
from mesoclinic.patients.models import PregnancyState, Severity
from mesoclinic.portal.questionnaire import Proposal

ROWS = 3  # allergies and medicines asked one per line, three lines each

PREGNANCY = [
    ("", "Choose…"),
    (PregnancyState.NOT_PREGNANT.value, "Neither pregnant nor breastfeeding"),
    (PregnancyState.PREGNANT.value, "Pregnant"),
    (PregnancyState.POSSIBLY_PREGNANT.value, "I might be pregnant"),
    (PregnancyState.BREASTFEEDING.value, "Breastfeeding"),
]


class QuestionnaireForm(forms.Form):
    no_allergies = forms.BooleanField(label="I have no allergies that I know of", required=False)
    conditions = forms.MultipleChoiceField(
        label="Do you have any of these?", required=False, widget=forms.CheckboxSelectMultiple
    )
    pregnancy = forms.ChoiceField(label="Pregnancy", choices=PREGNANCY, required=False)
    skin_area = forms.ChoiceField(label="Where", required=False)
    skin_problem = forms.CharField(
        label="An infection, cold sore, wound or rash there now", required=False, max_length=500
    )
    lifestyle = forms.MultipleChoiceField(
        label="Which of these are part of your days?",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    concern = forms.ChoiceField(label="What would you like treated?", required=False)
    concern_areas = forms.MultipleChoiceField(
        label="Where", required=False, widget=forms.CheckboxSelectMultiple
    )
    goals = forms.CharField(
        label="What would you like to change?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    expectations = forms.CharField(
        label="What do you expect the treatment to do, and how soon?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        severities = [("", "How bad?")] + [(s.value, s.label) for s in Severity]
        for i in range(1, ROWS + 1):
            self.fields[f"allergy_{i}"] = forms.CharField(
                label=f"Allergy {i}: to what", required=False, max_length=200
            )
            self.fields[f"reaction_{i}"] = forms.CharField(
                label=f"Allergy {i}: what happens", required=False, max_length=200
            )
            self.fields[f"severity_{i}"] = forms.ChoiceField(
                label=f"Allergy {i}: how bad", choices=severities, required=False
            )
            self.fields[f"medicine_{i}"] = forms.CharField(
                label=f"Medicine {i}", required=False, max_length=200
            )
            self.fields[f"dose_{i}"] = forms.CharField(
                label=f"Medicine {i}: how much and how often", required=False, max_length=200
            )
        self._choices("conditions", vocab.condition_choices())
        self._choices("lifestyle", vocab.lifestyle_choices())
        self._choices("concern", [("", "Choose…"), *vocab.concern_choices()])
        self._choices("skin_area", [("", "Choose…"), *vocab.area_choices()])
        self._choices("concern_areas", vocab.area_choices())

    def _choices(self, name: str, choices: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None
        named = [i for i in range(1, ROWS + 1) if data.get(f"allergy_{i}", "").strip()]
        if data.get("no_allergies") and named:
            self.add_error("no_allergies", "You named an allergy: untick this, or clear it.")
        for i in range(1, ROWS + 1):
            said = data.get(f"reaction_{i}") or data.get(f"severity_{i}")
            if said and i not in named:
                self.add_error(f"allergy_{i}", "Say what you are allergic to.")
            if data.get(f"dose_{i}") and not data.get(f"medicine_{i}", "").strip():
                self.add_error(f"medicine_{i}", "Name the medicine.")
        if data.get("skin_problem") and not data.get("skin_area"):
            self.add_error("skin_area", "Say where it is.")
        if (data.get("concern_areas") or data.get("goals")) and not data.get("concern"):
            self.add_error("concern", "Choose what you would like treated.")
        return data

    def proposals(self) -> list[Proposal]:
        """The answers as chart entries (call after is_valid)."""
        data = self.cleaned_data
        return [*_allergies(data), *_medicines(data), *_health(data), *_wishes(data)]


def _allergies(data: dict[str, Any]) -> list[Proposal]:
    found = [Proposal("no-known-allergies", {}, "no_allergies")] if data["no_allergies"] else []
    for i in range(1, ROWS + 1):
        if text := data[f"allergy_{i}"].strip():
            allergy = {
                "substance_text": text,
                "reaction": data[f"reaction_{i}"].strip(),
                "severity": data[f"severity_{i}"] or Severity.MODERATE.value,
            }
            found.append(Proposal("allergy", allergy, f"allergy_{i}"))
    return found


def _medicines(data: dict[str, Any]) -> list[Proposal]:
    return [
        Proposal("medication", {"name": name, "dose": data[f"dose_{i}"].strip()}, f"medicine_{i}")
        for i in range(1, ROWS + 1)
        if (name := data[f"medicine_{i}"].strip())
    ]


def _health(data: dict[str, Any]) -> list[Proposal]:
    found = [Proposal("condition", {"condition": c}, "conditions") for c in data["conditions"]]
    if data["pregnancy"]:
        status = {"status": data["pregnancy"]} | _confirmed()
        found.append(Proposal("pregnancy", status, "pregnancy"))
    if data["skin_problem"].strip():
        infection = {"area": data["skin_area"], "description": data["skin_problem"].strip()}
        found.append(Proposal("infection", infection, "skin_problem"))
    found += [Proposal("lifestyle", {"factor": f}, "lifestyle") for f in data["lifestyle"]]
    return found


def _wishes(data: dict[str, Any]) -> list[Proposal]:
    if not data["concern"]:
        return []
    concern = {
        "concern": data["concern"],
        "areas": data["concern_areas"],
        "goals": data["goals"].strip(),
        "expectations": data["expectations"].strip(),
    }
    return [Proposal("concern", concern, "concern")]


def _confirmed() -> dict[str, str]:
    return {"confirmed_on": timezone.localdate().isoformat()}
