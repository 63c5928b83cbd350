"""Request types for views: what the middleware guarantees, told to the type checker.

Views behind `access.require` (or `login_required`) take an `AuthedRequest`: its user
is a signed-in staff member, never `AnonymousUser`, and django-htmx has set `htmx`.
"""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from mesoclinic.accounts.models import User


class HtmxRequest(HttpRequest):
    htmx: HtmxDetails


class AuthedRequest(HtmxRequest):
    user: User  # login is required before the view runs
