"""The Jinja2 environment every page, partial, email and printed sheet renders with.

One engine for the project's own templates (under `mesoclinic/jinja2/`); Django's
template language is left to third-party pages only. Autoescaping is on for HTML,
XML and SVG and for templates from strings; plain-text emails (`.txt`) are not
HTML-escaped. Filters and globals here are the whole vocabulary templates use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from django.forms import BoundField
from django.http import HttpRequest, QueryDict
from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import get_resolver, get_script_prefix, reverse
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]
from jinja2 import ChainableUndefined, Environment, select_autoescape

from mesoclinic import rules

# Characters reverse() leaves unquoted in a path (django.urls.resolvers).
_SAFE = "!$&'()*+,;=/~:@"


def environment(**options: Any) -> Environment:
    options["autoescape"] = select_autoescape(
        enabled_extensions=("html", "htm", "xml", "svg"),
        disabled_extensions=("txt",),
        default_for_string=True,
        default=True,
    )
    # As Django's engine did: a missing value (or an attribute of one) renders empty.
    # Tests refuse pages showing a bound method or an object repr (tests/conftest.py).
    options["undefined"] = ChainableUndefined
    # As Django's engine did: a lazy string that is built safe is not escaped again.
    options["finalize"] = finalize
    env = Environment(**options)  # noqa: S701 - autoescape is set just above
    env.globals.update(
        url=url,
        static=static,
        querystring=querystring,
        widget=widget,
    )
    env.filters.update(
        date=date,
        time=time,
        wallclock=wallclock,
        stringformat=defaultfilters.stringformat,
        pluralize=defaultfilters.pluralize,
        linebreaksbr=defaultfilters.linebreaksbr,
        capfirst=defaultfilters.capfirst,
        truncatechars=defaultfilters.truncatechars,
        people=people,
        money=money,
        area_name=area_name,
        protocol_name=protocol_name,
        product_name=product_name,
        instrument_name=instrument_name,
        technique_name=technique_name,
        ingredient_name=ingredient_name,
        finding_title=finding_title,
        with_sources=with_sources,
        cited=cited,
    )
    return env


# --- dates: `{{ when|date("j M Y H:i") }}` shows the clinic's zone, as Django's did ---


# Numeric formats need no translated names: strftime gives Django's output far faster
# (a busy week's calendar formats about 700 times).
_STRFTIME = {"H:i": "%H:%M", "Y-m-d": "%Y-%m-%d", "d/m/Y": "%d/%m/%Y"}


def date(value: dt.date | dt.datetime | None, fmt: str | None = None) -> str:
    """A date or datetime in the display zone (settings.TIME_ZONE), Django's formats."""
    if value is None or value == "":
        return ""
    return wallclock(template_localtime(value), fmt)


def time(value: dt.time | dt.datetime | None, fmt: str | None = None) -> str:
    if value is None or value == "":
        return ""
    return str(defaultfilters.time(template_localtime(value), fmt))


def wallclock(value: dt.date | dt.datetime | None, fmt: str | None = None) -> str:
    """A datetime in the zone it already carries (a site's local time), unconverted."""
    if value is None or value == "":
        return ""
    fast = _STRFTIME.get(fmt or "")
    if fast is not None and (isinstance(value, dt.datetime) or "%H" not in fast):
        return value.strftime(fast)
    return str(defaultfilters.date(value, fmt))


# --- URLs: `{{ url("patient_detail", p.public_id) }}` -----------------------------


def url(name: str, *args: Any) -> str:
    """reverse(name, args) without matching every pattern again for each item of a loop.

    The route's format string is found once per name and arity; each call then only
    converts and quotes its arguments. Names with keyword-only or ambiguous routes fall
    back to reverse(). tests/test_jinja_env.py checks the result equals reverse()'s
    for every named route.
    """
    route = _route(get_resolver(), name, len(args))
    if route is None:
        return reverse(name, args=args)
    fmt, params, converters = route
    values = {}
    for param, arg in zip(params, args, strict=True):
        converter = converters.get(param)
        values[param] = converter.to_url(arg) if converter else str(arg)
    return quote(get_script_prefix() + fmt % values, safe=_SAFE)


_Route = tuple[str, list[str], Mapping[str, Any]]


@lru_cache(maxsize=512)
def _route(resolver: Any, name: str, arity: int) -> _Route | None:
    candidates = [
        (fmt, params, converters)
        for possibilities, _pattern, defaults, converters in resolver.reverse_dict.getlist(name)
        for fmt, params in possibilities
        if len(params) == arity and not defaults
    ]
    if len(candidates) != 1:
        return None
    fmt, params, converters = candidates[0]
    return fmt, list(params), converters


def querystring(request: HttpRequest, **changes: Any) -> str:
    """The current query string with `changes` applied (None removes a key), as
    Django's `{% querystring %}` tag: `{{ querystring(request, page=2) }}`."""
    current: QueryDict = request.GET
    params = current.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        elif isinstance(value, Iterable) and not isinstance(value, str):
            params.setlist(key, list(value))
        else:
            params[key] = value
    if not params and not current:
        return ""
    return "?" + params.urlencode()


def widget(field: BoundField) -> SafeString:
    """A field's widget with its help text and errors tied to it for screen readers."""
    ids: list[str] = []
    if field.help_text:
        ids.append(f"{field.auto_id}_helptext")
    if field.errors:
        ids.append(f"{field.auto_id}_error")
    attrs: dict[str, str | bool] = {"aria-describedby": " ".join(ids)} if ids else {}
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


# --- reference slugs and quantities as people read them -----------------------------


def area_name(slug: str) -> str:
    area = rules.load_reference().areas.get(slug)
    return area.name if area else slug


def product_name(slug: str) -> str:
    product = rules.load_reference().products.get(slug)
    return product.name if product else slug


def protocol_name(slug: str) -> str:
    protocol = rules.load_reference().protocols.get(slug)
    return protocol.name if protocol else slug


def instrument_name(slug: str) -> str:
    from mesoclinic.rules import outcomes

    scale = outcomes.load_instruments().instruments.get(slug)
    return scale.name if scale else slug


def technique_name(slug: str) -> str:
    technique = rules.load_reference().techniques.get(slug)
    return technique.name if technique else slug


def ingredient_name(slug: str) -> str:
    ingredient = rules.load_reference().ingredients.get(slug)
    return ingredient.name if ingredient else slug


def finding_title(code: str) -> str:
    """A finding's code as people read it: "Dose limit", never DOSE_LIMIT."""
    from mesoclinic.rules.findings import title

    return title(code)


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


def money(value: Decimal | float | str | None) -> str:
    """An amount of money for people: two decimals, thousands separated (7,020.00)."""
    if value is None or value == "":
        return ""
    return f"{Decimal(str(value)):,.2f}"


def with_sources(lines: Iterable[str]) -> list[tuple[str, str]]:
    """Aftercare lines with their sources: `{% for line, source in lines|with_sources %}`."""
    out = []
    for line in lines:
        source = rules.aftercare_source(line)
        out.append((line, source.cites if source else ""))
    return out


def cited(lines_with_sources: Iterable[tuple[str, str]]) -> list[str]:
    """The distinct sources of `lines|with_sources`, in order, for a printed sheet."""
    return list(dict.fromkeys(source for _line, source in lines_with_sources if source))


# --- output --------------------------------------------------------------------------


def finalize(value: Any) -> Any:
    """What `{{ value }}` prints, before escaping: a lazy string becomes its text.

    Jinja escapes a lazy proxy through str(), losing its safety, so the password help
    text Django builds safe (`password_validators_help_text_html`, a <ul>) came out as
    visible tags. Turned into its text first, a safe one stays a SafeString and is not
    escaped again, as under Django's engine; any other value is left as it is.
    """
    return str(value) if isinstance(value, Promise) else value
