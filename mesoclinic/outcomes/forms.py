"""One form per instrument, built from its reference data: large choices for a tablet."""

import uuid
from collections.abc import Mapping
from typing import Any

from django import forms

from mesoclinic.outcomes.models import Side, Timepoint
from mesoclinic.rules import outcomes

REASON_HELP = "A sentence of at least three words."


def _choices(options: tuple[outcomes.Option, ...]) -> list[tuple[str, str]]:
    return [(str(o.value), f"{o.value}: {o.label}") for o in options]


class AssessmentForm(forms.Form):
    """The answers to one instrument, and when and for which side they were taken."""

    timepoint = forms.ChoiceField(label="When", choices=Timepoint.choices)
    side = forms.ChoiceField(label="Side", choices=Side.choices, required=False)
    late_reason = forms.CharField(
        label="Why the baseline is entered late",
        required=False,
        max_length=500,
        help_text="Only when the first session is already signed. " + REASON_HELP,
    )
    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(
        self, *args: Any, instrument: outcomes.Instrument, amending: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        if not instrument.sided or amending:
            del self.fields["side"]
        if amending:
            # A correction keeps when, for which side and why late; it says why instead.
            del self.fields["timepoint"], self.fields["late_reason"]
            self.fields["reason"] = forms.CharField(
                label="Reason for the correction", max_length=500, help_text=REASON_HELP
            )
        self.answer_names: list[str] = []
        if instrument.kind == "items":
            for item in instrument.items:
                self._add(item.key, item.label, _choices(item.options))
        elif instrument.kind == "grade":
            self._add(outcomes.ANSWER, instrument.name, _choices(instrument.options))
        else:
            label = f"{instrument.name} ({instrument.unit})" if instrument.unit else instrument.name
            # Text, not a number input: the engine checks the range and says so in words.
            self.fields[outcomes.ANSWER] = forms.CharField(
                label=label, widget=forms.TextInput(attrs={"inputmode": "decimal"})
            )
            self.answer_names.append(outcomes.ANSWER)
        self.order_fields([*self.answer_names, "timepoint", "side", "late_reason", "reason"])

    def _add(self, name: str, label: str, choices: list[tuple[str, str]]) -> None:
        self.fields[name] = forms.ChoiceField(
            label=label, choices=choices, widget=forms.RadioSelect(attrs={"class": "big-choice"})
        )
        self.answer_names.append(name)

    def answers(self) -> dict[str, Any]:
        """The answers as typed: the engine converts and checks them."""
        return typed(self.instrument, {n: self.cleaned_data.get(n) for n in self.answer_names})

    def answered(self) -> dict[str, Any]:
        """What is ticked or typed so far, of a bound form, valid or not (the live score)."""
        return typed(self.instrument, {n: self.data.get(n) for n in self.answer_names})

    def answer_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.answer_names]

    def other_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.answer_names]


def typed(instrument: outcomes.Instrument, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Numbers where the text is one; anything else is passed on for the engine to refuse
    in words (it never reads text as a number)."""
    answers: dict[str, Any] = {}
    for name, value in raw.items():
        if value in (None, ""):
            continue
        text = str(value).replace(",", ".").strip()
        try:
            answers[name] = float(text) if instrument.kind == "numeric" else int(text)
        except ValueError:
            answers[name] = text
    return answers
