import uuid
from typing import Any

from django import forms
from django.contrib.auth import password_validation

from mesoclinic.accounts.models import User
from mesoclinic.portal.models import Feeling, ReviewOutcome
from mesoclinic.rules import checkin


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text="At least 10 characters; not your name or email address.",
    )
    password2 = forms.CharField(
        label="The same password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def __init__(self, *args: Any, email: str = "", full_name: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email, self.full_name = email, full_name

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            try:
                password_validation.validate_password(
                    p1, User(email=self.email, full_name=self.full_name)
                )
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class CheckinForm(forms.Form):
    """How the patient is after a treatment; the symptoms are rules.checkin's list."""

    feeling = forms.ChoiceField(
        label="How are you since your treatment?", choices=Feeling.choices, widget=forms.RadioSelect
    )
    symptoms = forms.MultipleChoiceField(
        label="What do you notice?", required=False, widget=forms.CheckboxSelectMultiple
    )
    severity = forms.IntegerField(
        label="How bad is it, from 0 (not at all) to 10 (the worst you can imagine)?",
        required=False,
        min_value=0,
        max_value=10,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    where = forms.CharField(label="Where on your body?", required=False, max_length=200)
    started_on = forms.DateField(
        label="Since when?", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    session = forms.ChoiceField(label="After which treatment?", required=False)
    note = forms.CharField(
        label="Anything else you want the clinic to know",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(
        self, *args: Any, sessions: list[tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        symptoms = checkin.load_checkin().symptoms.values()
        field = self.fields["symptoms"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(s.slug, s.label) for s in symptoms]
        session = self.fields["session"]
        assert isinstance(session, forms.ChoiceField)
        session.choices = [("", "Not after a treatment"), *(sessions or [])]
        if sessions and not self.is_bound:
            self.initial["session"] = sessions[0][0]


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label="What was done", choices=ReviewOutcome.choices, widget=forms.RadioSelect
    )
    adverse_event = forms.ChoiceField(label="The adverse event recorded", required=False)
    note = forms.CharField(
        label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self, *args: Any, events: list[tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["adverse_event"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose…"), *(events or [])]
