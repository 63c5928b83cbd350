"""Rendered page fragments kept in the cache, with the per-request parts left as slots.

A fragment is rendered once without a request: the viewer's rights come in the context,
and each form's CSRF field is a slot filled from the request it is served to. Keys are
built by the page that owns the fragment from the versions of what it shows; the cache's
key prefix carries the release, so a deploy never serves a fragment of older code.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.template import engines
from django.template.backends.utils import csrf_input
from django.utils.safestring import SafeString, mark_safe

# Stands for each form's CSRF field in a cached fragment; a NUL never survives escaping.
CSRF_SLOT = "\x00csrf\x00"


def render(template: str, context: dict[str, Any]) -> str:
    """The template rendered for any viewer with these rights (given in ``context``)."""
    slot = mark_safe(CSRF_SLOT)  # noqa: S308 - a constant
    return engines["jinja2"].get_template(template).render({**context, "csrf_input": slot})


def fill(html: str, request: HttpRequest) -> SafeString:
    """The cached fragment with this request's CSRF field in each slot."""
    return mark_safe(html.replace(CSRF_SLOT, csrf_input(request)))  # noqa: S308 - our own render


def cached(key: str, build: Callable[[], tuple[Any, int | None]]) -> Any:
    """The value under ``key``, else ``build()``'s, kept for the seconds it gives (None:
    ``CHART_CACHE_SECONDS``; 0 anywhere, or that setting 0, keeps nothing)."""
    value = cache.get(key)
    if value is None:
        value, seconds = build()
        longest = settings.CHART_CACHE_SECONDS
        seconds = longest if seconds is None else min(seconds, longest)
        if seconds > 0:
            cache.set(key, value, seconds)
    return value


def rights_code(rights: dict[str, bool]) -> str:
    """The viewer's rights as a key part: one digit per right, in name order."""
    return "".join("1" if rights[name] else "0" for name in sorted(rights))
