"""The reports' filters: only these names and values are read from the query string."""

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from mesoclinic.accounts.models import Site
from mesoclinic.payments.reports import REVENUE_BY


class SiteChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Site) -> str:
        return obj.name


class DayForm(forms.Form):
    site = SiteChoice(queryset=None, to_field_name="public_id", empty_label=None, label="Site")
    day = forms.DateField(label="Day", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data: Any, *, sites: Any) -> None:
        super().__init__(data)
        field: Any = self.fields["site"]
        field.queryset = sites

    def clean_day(self) -> dt.date:
        day: dt.date = self.cleaned_data["day"]
        if day > timezone.localdate() + dt.timedelta(days=1):
            raise forms.ValidationError("Choose a day that has begun.")
        return day


class MonthForm(forms.Form):
    month = forms.DateField(
        label="Month",
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    by = forms.ChoiceField(label="By", choices=list(REVENUE_BY.items()))
