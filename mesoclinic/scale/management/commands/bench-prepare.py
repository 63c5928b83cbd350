"""`mesoclinic bench-prepare --organization NAME [--sessions K]`: handles for `make bench`."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from mesoclinic.accounts.models import Organization
from mesoclinic.scale.prepare import dump, handles


class Command(BaseCommand):
    help = "Print (JSON) the logins and records a benchmark run uses; add fresh sessions to sign."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--organization", required=True, help="name of a seeded chain")
        parser.add_argument("--sessions", type=int, default=0, help="in-progress sessions to add")
        parser.add_argument("--seed", type=int, default=0)

    def handle(
        self, *args: Any, organization: str, sessions: int, seed: int, **options: Any
    ) -> None:
        org = Organization.objects.filter(name=organization).first()
        if org is None:
            raise CommandError(f"no organization named {organization!r}: run seed-scale first")
        self.stdout.write(dump(handles(org, sessions, seed)))
