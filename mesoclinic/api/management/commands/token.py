"""`mesoclinic token create --user EMAIL [--scope read|write|clinical]... [--days N]`.

Prints a new personal access token once, for scripts and a first integration; the token
acts as that colleague, with their role, narrowed by its scopes.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

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

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email=options["user"].strip().lower()).first()
        if user is None:
            raise CommandError(f"No account has the address {options['user']}.")
        try:
            token, secret = tokens.create(
                user,
                name=options["name"],
                scopes=options["scope"] or [Scope.READ],
                days=options["days"],
            )
        except tokens.TokenRefused as refusal:
            raise CommandError(str(refusal)) from None
        self.stdout.write(secret)
        self.stderr.write(
            f"Token for {user.email} ({', '.join(token.scopes)}), expires "
            f"{token.expires_at:%Y-%m-%d}. It is shown only now: store it safely."
        )
