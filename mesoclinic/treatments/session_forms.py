import math
from collections.abc import Collection, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.accounts.models import Site, User
from mesoclinic.accounts.roles import Role
from mesoclinic.patients.models import Patient, Sex
from mesoclinic.treatments import inventory, session_diagram, vocab
from mesoclinic.treatments.models import Lot, TreatmentSession


def override_reason_field(help_text: str) -> forms.CharField:
    """Where a practitioner records why a grade-B limit is passed (checked as a sentence)."""
    return forms.CharField(
        label="Reason for passing a grade-B limit",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=help_text,
    )


# A change of more than 10% since the last weight (a kg/lb slip) asks for confirmation.
WEIGHT_CHANGE = 0.10


class PrecheckForm(forms.Form):
    site: "forms.ModelChoiceField[Site]" = forms.ModelChoiceField(
        queryset=None, label="Site", empty_label="Choose a site"
    )
    pregnancy = forms.ChoiceField(
        label="Asked today: pregnant or breastfeeding?",
        choices=[
            ("", "—"),
            *(c for c in vocab.PregnancyAnswer.choices if c[0] != vocab.PregnancyAnswer.NOT_ASKED),
        ],
    )
    infected_areas = forms.MultipleChoiceField(
        label="Asked and looked today: infection or lesion in an area to treat?",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    weight_kg = forms.DecimalField(
        label="Weight today (kg)", required=False, min_value=1, max_value=400, decimal_places=1
    )
    weight_confirmed = forms.BooleanField(
        label="Weight checked: the change since the last recorded weight is real",
        required=False,
    )
    numbing_product = forms.ChoiceField(label="Numbing cream", required=False)
    numbing_amount_g = forms.DecimalField(
        label="Amount applied (g)",
        required=False,
        min_value=Decimal("0.1"),
        max_value=60,
        decimal_places=1,
        help_text="Its lidocaine counts against the 24-hour limits.",
    )
    numbing_applied_at = forms.TimeField(
        label="Applied at", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    photos_taken = forms.BooleanField(label="Before photos taken", required=False)
    injector_device = forms.CharField(
        label="Injector gun (device and serial), if used",
        required=False,
        max_length=200,
        help_text="Outbreaks were traced to a rinsed injector: record which one was used.",
    )
    supervised_by: "forms.ModelChoiceField[User]" = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Supervising practitioner",
        empty_label="Not supervised",
    )
    override_reason = override_reason_field("Only when today's check asks for it.")

    def __init__(
        self,
        *args: Any,
        patient: Patient | None = None,
        areas: Iterable[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient
        # The stubs type `fields` as plain Field; each is the kind declared above.
        fields = self.fields
        cast(forms.ModelChoiceField, fields["site"]).queryset = Site.objects.order_by("name")
        cast(forms.ModelChoiceField, fields["supervised_by"]).queryset = User.in_org.filter(
            role=Role.PRACTITIONER, is_active=True
        ).order_by("full_name")
        if self.recorded_male:
            del fields["pregnancy"]  # not asked; clean() records that it was not
        ref = rules.load_reference()
        cast(forms.ChoiceField, fields["infected_areas"]).choices = [
            (a, ref.areas[a].name) for a in dict.fromkeys(areas)
        ]
        cast(forms.ChoiceField, fields["numbing_product"]).choices = [("", "None")] + [
            (p.slug, p.name) for p in ref.products.values() if p.form == "topical"
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        if self.recorded_male:
            data["pregnancy"] = vocab.PregnancyAnswer.NOT_ASKED
        if data.get("numbing_product") and not data.get("numbing_amount_g"):
            self.add_error("numbing_amount_g", "Give the amount applied, in grams.")
        weight, last = data.get("weight_kg"), self.last_weight()
        changed = weight and last and abs(float(weight) - last) > WEIGHT_CHANGE * last
        if changed and not data.get("weight_confirmed"):
            self.add_error(
                "weight_kg",
                f"{weight:g} kg differs from the last recorded {last:g} kg by more than "
                "10%: check the scale and the units (kg, not lb), then tick the box below.",
            )
        return data

    def last_weight(self) -> float | None:
        """The patient's last recorded weight: the newest session's, else the record's."""
        if self.patient is None:
            return None
        from mesoclinic.treatments.models import TreatmentSession

        latest = (
            TreatmentSession.objects.filter(patient=self.patient, weight_kg__isnull=False)
            .order_by("-started_at")
            .values_list("weight_kg", flat=True)
            .first()
        )
        value = latest or self.patient.weight_kg
        return float(value) if value else None

    @property
    def recorded_male(self) -> bool:
        return self.patient is not None and self.patient.sex == Sex.MALE


class AdhocStartForm(PrecheckForm):
    """Treating without a plan: what and where, and why there is no plan."""

    concern = forms.ChoiceField(label="Concern")
    areas = forms.MultipleChoiceField(label="Areas to treat", widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(
        label="Reason for treating without a plan",
        max_length=500,
        min_length=3,
        help_text="For example: a touch-up agreed at the last visit.",
    )
    field_order = ["reason", "concern", "areas", "site"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ref = rules.load_reference()
        fields = self.fields
        cast(forms.ChoiceField, fields["concern"]).choices = [("", "—")] + [
            (c.slug, c.name) for c in ref.concerns.values()
        ]
        every_area = [(a.slug, a.name) for a in ref.areas.values()]
        cast(forms.ChoiceField, fields["areas"]).choices = every_area
        cast(forms.ChoiceField, fields["infected_areas"]).choices = every_area
        self.order_fields(self.field_order)


class ChartAreaForm(forms.Form):
    area = forms.ChoiceField()
    side = forms.ChoiceField(
        required=False, choices=[("", "—"), ("left", "Left"), ("right", "Right")]
    )
    technique = forms.ChoiceField(choices=vocab.technique_choices)
    lot = forms.ChoiceField(label="Lot")
    volume_ml = forms.DecimalField(
        label="Volume (mL)", min_value=0.01, max_value=100, decimal_places=2
    )
    injections = forms.IntegerField(
        label="Injection points done",
        required=False,
        min_value=0,
        max_value=5000,
        help_text="Leave blank to take the plan's points for this area, then tap the diagram.",
    )
    depth_mm = forms.DecimalField(
        label="Depth (mm)",
        required=False,
        min_value=1,
        max_value=10,
        decimal_places=1,
        error_messages={
            "min_value": "Injection depth is 1-10 mm (seeds).",
            "max_value": "Injection depth is 1-10 mm (seeds).",
        },
    )
    needle_length_mm = forms.DecimalField(
        label="Needle length (mm)", required=False, min_value=0.5, max_value=50, decimal_places=1
    )
    needle_angle_deg = forms.IntegerField(
        label="Needle angle (°)", required=False, min_value=1, max_value=90
    )
    override_reason = override_reason_field(
        "Only when the check asks for it; recorded with your name."
    )
    lock_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        areas: Iterable[str] = (),
        lots: Iterable[Lot] = (),
        unusable: Iterable[Lot] = (),
        day: date | None = None,
        planned_products: Collection[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        ref = rules.load_reference()
        names = [(a, ref.areas[a].name) for a in dict.fromkeys(areas)] or [
            (a.slug, a.name) for a in ref.areas.values()
        ]
        cast(forms.ChoiceField, self.fields["area"]).choices = names

        def usable(lot: Lot) -> tuple[str, str]:
            return (
                str(lot.public_id),
                f"{lot.lot_number} · {ref.products[lot.product].name} · "
                f"exp {lot.expires_on:%d %b %Y} · {lot.vials_left} left",
            )

        # The plan's own products first: a tablet's picker should not be scrolled through
        # every lot on the shelf to find the one in hand.
        lots = list(lots)
        in_plan = [usable(lot) for lot in lots if lot.product in planned_products]
        others = [usable(lot) for lot in lots if lot.product not in planned_products]
        refused = [
            (
                str(lot.public_id),
                f"{lot.lot_number} · {ref.products[lot.product].name} · {_state(lot, day)}",
            )
            for lot in unusable
        ]
        groups: list[Any] = [("", "—")]
        if in_plan:
            groups.append(("In this session's plan", in_plan))
        if others or not in_plan:
            groups.append(
                ("Other lots usable at this site" if in_plan else "Usable at this site", others)
            )
        if refused:
            groups.append(("Not usable today", refused))
        cast(forms.ChoiceField, self.fields["lot"]).choices = groups

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        depth, length, angle = (
            data.get("depth_mm"),
            data.get("needle_length_mm"),
            data.get("needle_angle_deg"),
        )
        technique = data.get("technique")
        if (
            technique
            and rules.load_reference().techniques[technique].injection
            and data.get("injections") == 0
        ):
            self.add_error(
                "injections", "A volume was charted with 0 injections: give the points injected."
            )
        if length and angle and depth:
            reached = float(length) * math.sin(math.radians(angle))
            # Micheels et al.: intended intradermal injections often land deeper; the
            # geometry of needle and angle is the depth that can actually be reached.
            if float(depth) > reached + 0.05:
                self.add_error(
                    "depth_mm",
                    f"A {length} mm needle at {angle}° reaches at most {reached:.1f} mm.",
                )
        return data


class PointForm(forms.Form):
    """A tap on a charted area's diagram, in the diagram's millimetres."""

    x = forms.FloatField(min_value=-5000, max_value=5000)
    y = forms.FloatField(min_value=-5000, max_value=5000)

    def error_text(self) -> str:
        return "That tap could not be read as a point on the diagram; tap again."


class AmendForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="Correction", max_length=5000
    )
    reason = forms.CharField(max_length=500, min_length=3)


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, min_length=3)


def _state(lot: Lot, day: date | None) -> str:
    """The short label of an unusable lot in the lot picker."""
    assert day is not None  # lots are refused on a day: the form is given it with them
    state = lot.state(day)
    if state == "expired":
        return f"EXPIRED {lot.expires_on:%d %b %Y}"
    return state.replace("-", " ").upper()


def depth_from_needle(length: Decimal | float | None, angle: int | None) -> float | None:
    """Depth = sin(angle) x inserted needle length (Micheels et al., J Drugs Dermatol 2016)."""
    if not length or not angle:
        return None
    return round(float(length) * math.sin(math.radians(angle)), 1)


def chart_form(
    session: TreatmentSession,
    data: Mapping[str, Any] | None = None,
    initial: dict[str, Any] | None = None,
) -> ChartAreaForm:
    """The form to chart an area: the session's areas and the site's lots of today. The
    page and the API both validate a charted row with it."""
    today = timezone.localdate()
    still_open = not session.is_signed
    planned = session_diagram.session_areas(session)
    return ChartAreaForm(
        data,
        initial=initial,
        areas=[a["area"] for a in planned],
        planned_products={p for a in planned for p in a.get("products", [])},
        lots=inventory.usable_lots(session.site, today) if still_open else [],
        unusable=inventory.unusable_lots(session.site, today) if still_open else [],
        day=today,
    )
