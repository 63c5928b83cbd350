"""Reference slugs as people read them: `{{ row.area|area_name }}`."""

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
