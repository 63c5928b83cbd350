"""What the command-line tools share: which organization a command acts for."""

from django.core.management.base import CommandError

from mesoclinic.accounts.models import Organization


def organization_named(name: str | None) -> Organization:
    """The organization named, or the only one; several and none named is an error."""
    orgs = Organization.objects.order_by("name")
    if name:
        orgs = orgs.filter(name=name)
    found = list(orgs[:2])
    if len(found) == 1:
        return found[0]
    if not found:
        raise CommandError(f"No organization named {name!r}.")
    names = ", ".join(Organization.objects.order_by("name").values_list("name", flat=True))
    raise CommandError(f"Several organizations; name one with --organization ({names}).")
