"""API tokens from the command line, each printed once (the page shows them once too).

`mesoclinic token create --user EMAIL [--scope read|write|clinical]... [--days N]`: a
personal token for scripts; it acts as that colleague, with their role, narrowed by its
scopes.

`mesoclinic token create-integration --owner EMAIL --name NAME --acts-as ROLE [--scope
...]... [--days N]`: an organization's integration token, made as that owner, acting
through an account of its own ("Integration: NAME") with that staff role.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User
from mesoclinic.api import tokens
from mesoclinic.api.models import Scope


class Command(BaseCommand):
    help = "Make a personal API token for a colleague and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="make a token and print it once")
        create.add_argument("--user", required=True, help="the colleague's email address")
        create.add_argument(
            "--scope",
            action="append",
            choices=Scope.values,
            help="read, write or clinical; repeat for several (default: read)",
        )
        create.add_argument("--days", type=int, default=90, help="days until it expires (90)")
        create.add_argument("--name", default="Command line", help="what the token is for")
        integration = sub.add_parser(
            "create-integration", help="make an organization's integration token (owners)"
        )
        integration.add_argument("--owner", required=True, help="the owner's email address")
        integration.add_argument("--name", required=True, help="what the integration is")
        integration.add_argument(
            "--acts-as", required=True, choices=sorted(roles.STAFF_ROLES), help="its staff role"
        )
        integration.add_argument(
            "--scope", action="append", choices=Scope.values, help="as for create (default: read)"
        )
        integration.add_argument("--days", type=int, default=365, help="days until it expires")

    def handle(self, *args: Any, **options: Any) -> None:
        integration = options["action"] == "create-integration"
        user = _account(options["owner"] if integration else options["user"])
        scopes = options["scope"] or [Scope.READ]
        try:
            if integration:
                token, secret = tokens.create_integration(
                    user,
                    name=options["name"],
                    scopes=scopes,
                    acts_as=options["acts_as"],
                    days=options["days"],
                )
            else:
                token, secret = tokens.create(
                    user, name=options["name"], scopes=scopes, days=options["days"]
                )
        except tokens.TokenRefused as refusal:
            raise CommandError(str(refusal)) from None
        self.stdout.write(secret)
        holder = token.user.full_name if integration else user.email
        self.stderr.write(
            f"Token for {holder} ({', '.join(token.scopes)}), expires "
            f"{token.expires_at:%Y-%m-%d}. It is shown only now: store it safely."
        )


def _account(email: str) -> User:
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        raise CommandError(f"No account has the address {email}.")
    return user
