"""The template vocabulary: URLs, dates and escaping behave as Django's own did."""

import datetime as dt
import uuid
import zoneinfo

import pytest
from django.urls import NoReverseMatch, get_resolver, reverse

from mesoclinic import jinja_env


def _sample(converter: object) -> object:
    return {"UUIDConverter": uuid.uuid4(), "IntConverter": 42}.get(
        type(converter).__name__, "a b ç"
    )


def _routes():
    resolver = get_resolver()
    for name in resolver.reverse_dict:
        if isinstance(name, str):
            for possibilities, _pattern, defaults, converters in resolver.reverse_dict.getlist(
                name
            ):
                for _fmt, params in possibilities:
                    if not defaults:
                        yield name, [_sample(converters.get(p)) for p in params]


def test_url_equals_reverse_for_every_named_route():
    checked = 0
    for name, args in _routes():
        try:
            expected = reverse(name, args=args)
        except NoReverseMatch:  # a sample the route's own pattern refuses
            expected = None
        if expected is not None:
            assert jinja_env.url(name, *args) == expected, name
            checked += 1
    assert checked > 60  # every page of the app, not a handful


def test_url_is_quoted_like_reverse():
    assert jinja_env.url("patient_detail", uuid.UUID(int=1)) == reverse(
        "patient_detail", args=[uuid.UUID(int=1)]
    )


def test_date_shows_the_display_zone_and_wallclock_keeps_the_sites(settings):
    settings.TIME_ZONE = "Europe/Paris"
    utc_noon = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
    assert jinja_env.date(utc_noon, "H:i") == "14:00"
    in_tokyo = utc_noon.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert jinja_env.wallclock(in_tokyo, "H:i") == "21:00"
    assert jinja_env.date(None, "H:i") == ""


def test_html_is_escaped_and_text_email_is_not():
    from django.template import engines

    env = engines["jinja2"].env
    assert env.from_string("{{ x }}").render(x="<b>O'Brien</b>") == (
        "&lt;b&gt;O&#39;Brien&lt;/b&gt;"
    )
    assert env.autoescape("treatments/aftercare_email.txt") is False
    assert env.autoescape("treatments/session.html") is True


@pytest.mark.parametrize("number, shown", [(1327.4, "1,327"), (33.33, "33.3"), (0.25, "0.25")])
def test_people_rounds_numbers(number, shown):
    assert jinja_env.people(number) == shown


def test_pages_render_with_jinja(practitioner):
    from tests.factories import client_for

    page = client_for(practitioner).get(reverse("home"))
    assert page.status_code == 200
    assert "<h1>Today</h1>" in page.content.decode()
    assert 'href="/patients/"' in page.content.decode()


def test_a_method_left_uncalled_fails_the_test_that_renders_it():
    from django.template import engines

    class Patient:
        def get_sex_display(self):
            return "Female"

    template = engines["jinja2"].from_string("{{ p.get_sex_display }}")
    with pytest.raises(AssertionError, match="bound method"):
        template.render({"p": Patient()})
    assert (
        engines["jinja2"].from_string("{{ p.get_sex_display() }}").render({"p": Patient()})
        == "Female"
    )


def test_lazy_safe_help_text_is_not_escaped_again(practitioner):
    from tests.factories import client_for

    page = client_for(practitioner).get(reverse("password_change")).content.decode()
    assert "<ul><li>" in page and "&lt;ul&gt;" not in page


@pytest.mark.parametrize("fmt", ["H:i", "Y-m-d", "d/m/Y", "D j M Y H:i"])
def test_fast_numeric_formats_match_djangos(fmt):
    from django.template import defaultfilters

    when = dt.datetime(2026, 3, 9, 7, 5, tzinfo=zoneinfo.ZoneInfo("Europe/London"))
    assert jinja_env.wallclock(when, fmt) == defaultfilters.date(when, fmt)
    assert jinja_env.wallclock(when.date(), "Y-m-d") == "2026-03-09"
