"""`/evidence/`: per protocol, how many improved, how sure we are, and how often it harmed."""

import datetime as dt
from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from mesoclinic import spreadsheet
from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.accounts.models import Site, User
from mesoclinic.accounts.roles import Role
from mesoclinic.audit.log import Action, record
from mesoclinic.outcomes import evidence, export
from mesoclinic.rules import load_reference


class EvidenceFilterForm(forms.Form):
    since = forms.DateField(
        label="Sessions from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="to", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    site = forms.ModelChoiceField(
        label="Site", required=False, queryset=Site.all_orgs.none(), empty_label="All sites"
    )
    practitioner = forms.ModelChoiceField(
        label="Practitioner", required=False, queryset=User.objects.none(), empty_label="Everyone"
    )
    concern = forms.ChoiceField(label="Concern", required=False)
    area = forms.ChoiceField(label="Area", required=False)
    protocol = forms.ChoiceField(label="Protocol", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        site = self.fields["site"]
        practitioner = self.fields["practitioner"]
        assert isinstance(site, forms.ModelChoiceField)
        assert isinstance(practitioner, forms.ModelChoiceField)
        site.queryset = Site.objects.order_by("name")
        practitioner.queryset = User.in_org.filter(
            role__in=[Role.PRACTITIONER, Role.ESTHETICIAN, Role.OWNER]
        ).order_by("full_name")
        protocol = self.fields["protocol"]
        assert isinstance(protocol, forms.ChoiceField)
        ref = load_reference()
        concern = self.fields["concern"]
        assert isinstance(concern, forms.ChoiceField)
        concerns = sorted((c.name, slug) for slug, c in ref.concerns.items())
        concern.choices = [("", "All concerns"), *[(slug, name) for name, slug in concerns]]
        area = self.fields["area"]
        assert isinstance(area, forms.ChoiceField)
        areas = sorted((a.name, slug) for slug, a in ref.areas.items())
        area.choices = [("", "All areas"), *[(slug, name) for name, slug in areas]]
        protocols = sorted((p.name, slug) for slug, p in ref.protocols.items())
        protocol.choices = [("", "All protocols"), *[(slug, name) for name, slug in protocols]]

    def filters(self) -> evidence.Filters:
        if not self.is_valid():
            return evidence.Filters()
        data = self.cleaned_data
        return evidence.Filters(
            since=data.get("since"),
            until=data.get("until"),
            site_id=data["site"].pk if data.get("site") else None,
            practitioner_id=data["practitioner"].pk if data.get("practitioner") else None,
            protocol=data.get("protocol") or "",
            concern=data.get("concern") or "",
            area=data.get("area") or "",
        )


class CompareForm(forms.Form):
    first = forms.ChoiceField(label="Protocol", required=True)
    second = forms.ChoiceField(label="against", required=True)
    instrument = forms.ChoiceField(label="on the scale", required=True)

    def __init__(
        self, *args: Any, protocols: list[evidence.ProtocolFigures], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [(p.slug, p.name) for p in protocols]
        scales = sorted(
            {(o.instrument.name, o.instrument.slug) for p in protocols for o in p.outcomes}
        )
        for name in ("first", "second"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = choices
        instrument = self.fields["instrument"]
        assert isinstance(instrument, forms.ChoiceField)
        instrument.choices = [(slug, name) for name, slug in scales]


@require_GET
@require(roles.SIGN_CLINICAL)
def evidence_page(request: AuthedRequest) -> HttpResponse:
    form = EvidenceFilterForm(request.GET or None)
    filters = form.filters()
    found, counted_at = evidence.evidence_as_of(filters)
    record(request.user, Action.VIEW, object_type="evidence", detail=_describe(filters))
    compare_form = CompareForm(request.GET if "first" in request.GET else None, protocols=found)
    comparison = None
    if compare_form.is_bound and compare_form.is_valid():
        data = compare_form.cleaned_data
        comparison = evidence.compare(filters, data["first"], data["second"], data["instrument"])
    context = {
        "form": form,
        "protocols": found,
        "compare_form": compare_form,
        "comparison": comparison,
        "compared": compare_form.is_bound and compare_form.is_valid(),
        "counted_at": counted_at,
    }
    return render(request, "outcomes/evidence.html", context)


@require_GET
@require(roles.SIGN_CLINICAL)
def evidence_csv(request: AuthedRequest) -> HttpResponse:
    """The per-course rows behind the table, pseudonymised, for the clinic's own analysis."""
    filters = EvidenceFilterForm(request.GET or None).filters()
    record(request.user, Action.EXPORT, object_type="evidence", detail=_describe(filters))
    return _csv(export.rows(filters), "evidence")


@require_GET
@require(roles.SIGN_CLINICAL)
def evidence_table_csv(request: AuthedRequest) -> HttpResponse:
    """The table as the page shows it, a row per protocol and outcome (no patient rows)."""
    filters = EvidenceFilterForm(request.GET or None).filters()
    record(request.user, Action.EXPORT, object_type="evidence", detail=_describe(filters))
    return _csv(export.table(evidence.evidence_as_of(filters)[0]), "evidence-table")


def _csv(rows: Any, name: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{name}-{dt.date.today().isoformat()}.csv"'
    )
    spreadsheet.Writer(response).writerows(rows)
    return response


def _describe(filters: evidence.Filters) -> str:
    parts = [f"{k}={v}" for k, v in filters.__dict__.items() if v]
    return ", ".join(parts)[:200]
