from django import forms


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Why do you cancel?",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The clinic reads it, for example: ill, away, no longer needed.",
        error_messages={"required": "Tell the clinic why you cancel."},
    )


class MoveForm(forms.Form):
    """The new start as posted: any time (the services refuse one that breaks a rule),
    though the page offers only the free ones that keep the course's intervals."""

    starts_at = forms.DateTimeField(
        error_messages={
            "required": "Choose one of the times.",
            "invalid": "Choose one of the times.",
        }
    )
    lock_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
