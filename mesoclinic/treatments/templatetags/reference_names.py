"""Reference slugs as people read them: `{{ row.area|area_name }}`."""

from collections.abc import Iterable
from decimal import Decimal

from django import template

from mesoclinic import rules

register = template.Library()


@register.filter
def area_name(slug: str) -> str:
    area = rules.load_reference().areas.get(slug)
    return area.name if area else slug


@register.filter
def technique_name(slug: str) -> str:
    technique = rules.load_reference().techniques.get(slug)
    return technique.name if technique else slug


@register.filter
def ingredient_name(slug: str) -> str:
    ingredient = rules.load_reference().ingredients.get(slug)
    return ingredient.name if ingredient else slug


@register.filter
def finding_title(code: str) -> str:
    """A finding's code as people read it: "Dose limit", never DOSE_LIMIT."""
    from mesoclinic.rules.findings import title

    return title(code)


@register.filter
def people(value: Decimal | float | str | None) -> str:
    """A quantity rounded for people: 1,327 / 33.3 / 0.25."""
    if value is None or value == "":
        return ""
    number = float(value)
    if abs(number) >= 100:
        return f"{number:,.0f}"
    if abs(number) >= 10:
        return f"{number:,.1f}".rstrip("0").rstrip(".")
    return f"{number:.2f}".rstrip("0").rstrip(".")


@register.filter
def with_sources(lines: Iterable[str]) -> list[tuple[str, str]]:
    """Aftercare lines with their sources: `{% for line, source in lines|with_sources %}`."""
    out = []
    for line in lines:
        source = rules.aftercare_source(line)
        out.append((line, source.cites if source else ""))
    return out


@register.filter
def cited(lines_with_sources: Iterable[tuple[str, str]]) -> list[str]:
    """The distinct sources of `lines|with_sources`, in order, for a printed sheet."""
    return list(dict.fromkeys(source for _line, source in lines_with_sources if source))
