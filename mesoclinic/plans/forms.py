from typing import Any

from django import forms

from mesoclinic import rules


def _ref() -> rules.Reference:
    return rules.load_reference()


def protocol_choices(concern: str, area: str) -> list[tuple[str, str]]:
    ref = _ref()
    fits = [
        (p.slug, p.name)
        for p in ref.protocols.values()
        if concern in p.concerns and (not p.areas or area in p.areas)
    ]
    return [("", "Engine's choice"), *fits]


def product_choices() -> list[tuple[str, str]]:
    return sorted(((p.slug, p.name) for p in _ref().products.values()), key=lambda c: c[1])


def technique_choices() -> list[tuple[str, str]]:
    return [("", "Protocol default"), *((t.slug, t.name) for t in _ref().techniques.values())]


def concern_choices() -> list[tuple[str, str]]:
    return [(c.slug, c.name) for c in _ref().concerns.values()]


class AddAreaForm(forms.Form):
    area = forms.ChoiceField(choices=lambda: [(a.slug, a.name) for a in _ref().areas.values()])
    side = forms.ChoiceField(
        choices=[("", "—"), ("left", "Left"), ("right", "Right"), ("both", "Both")], required=False
    )
    concern = forms.ChoiceField(choices=concern_choices)
    lock_version = forms.IntegerField(min_value=0)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean returns cleaned_data
        area = _ref().areas.get(data.get("area", ""))
        if area is not None and not area.paired:
            data["side"] = ""
        return data


class ItemForm(forms.Form):
    """One treated area. Blank fields mean "the protocol's default"."""

    concern = forms.ChoiceField(choices=concern_choices)
    protocol = forms.ChoiceField(required=False, choices=[])
    products = forms.MultipleChoiceField(
        required=False, choices=product_choices, widget=forms.SelectMultiple(attrs={"size": 4})
    )
    side = forms.ChoiceField(
        required=False, choices=[("", "—"), ("left", "Left"), ("right", "Right"), ("both", "Both")]
    )
    technique = forms.ChoiceField(required=False, choices=technique_choices)
    depth_mm = forms.FloatField(required=False, label="Depth (mm)", min_value=0.1, max_value=10)
    spacing_mm = forms.FloatField(required=False, label="Spacing (mm)", min_value=2, max_value=100)
    volume_per_point_ml = forms.FloatField(
        required=False, label="Volume per point (mL)", min_value=0.001, max_value=2
    )
    sessions = forms.IntegerField(required=False, min_value=1, max_value=100)
    interval_days = forms.IntegerField(
        required=False, label="Interval (days)", min_value=1, max_value=365
    )

    def __init__(self, *args: Any, area: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        concern = self.data.get(self.add_prefix("concern")) or self.initial.get("concern", "")
        protocol = self.fields["protocol"]
        assert isinstance(protocol, forms.ChoiceField)  # declared above
        protocol.choices = protocol_choices(concern, area)
        self.area = area
        if not _ref().areas[area].paired:
            del self.fields["side"]


class OverrideForm(forms.Form):
    code = forms.CharField(max_length=60)
    area = forms.CharField(max_length=40, required=False)
    reason = forms.CharField(
        max_length=500,
        error_messages={"required": "An override needs a reason."},
    )
    confirmed_by = forms.UUIDField(required=False)
    patient_acknowledged = forms.BooleanField(required=False)
    lock_version = forms.IntegerField(min_value=0)

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"]
        problem = rules.reason_problem(reason)
        if problem:
            raise forms.ValidationError(problem)
        return reason


class PointForm(forms.Form):
    item = forms.IntegerField(min_value=0)
    side = forms.CharField(required=False, max_length=10)
    remove = forms.IntegerField(required=False, min_value=0)
    x = forms.FloatField(required=False)
    y = forms.FloatField(required=False)
    lock_version = forms.IntegerField(min_value=0)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean returns cleaned_data
        if data.get("remove") is None and (data.get("x") is None or data.get("y") is None):
            raise forms.ValidationError("Name a point to remove or a position to add.")
        return data


class StartForm(forms.Form):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="First session")
    lock_version = forms.IntegerField(min_value=0)
