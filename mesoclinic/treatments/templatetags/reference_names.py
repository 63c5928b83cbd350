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


@register.filter
def with_sources(lines) -> list[tuple[str, str]]:
    """Aftercare lines with their sources: `{% for line, source in lines|with_sources %}`."""
    out = []
    for line in lines:
        source = rules.aftercare_source(line)
        out.append((line, source.cites if source else ""))
    return out


@register.filter
def cited(lines_with_sources) -> list[str]:
    """The distinct sources of `lines|with_sources`, in order, for a printed sheet."""
    return list(dict.fromkeys(source for _line, source in lines_with_sources if source))
