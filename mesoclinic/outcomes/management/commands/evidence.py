"""`mesoclinic evidence [--protocol SLUG] [--since DATE] [--json | --csv]`: the evidence
page's figures, headless. Writes one audit event (an export) per run."""

import datetime as dt
import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mesoclinic import spreadsheet
from mesoclinic.accounts.commands import organization_named
from mesoclinic.audit.log import Action, record_system
from mesoclinic.outcomes import evidence, export
from mesoclinic.tenancy import acting_for


class Command(BaseCommand):
    help = "Print the evidence per protocol: outcomes, responders and adverse events."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--protocol", default="", help="one protocol's slug")
        parser.add_argument("--since", help="sessions signed from this date (YYYY-MM-DD)")
        parser.add_argument("--organization", help="organization name (needed if several)")
        output = parser.add_mutually_exclusive_group()
        output.add_argument("--json", dest="as_json", action="store_true", help="print JSON")
        output.add_argument(
            "--csv", dest="as_csv", action="store_true", help="print the pseudonymised rows"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        org = organization_named(options["organization"])
        try:
            since = dt.date.fromisoformat(options["since"]) if options["since"] else None
        except ValueError:
            raise CommandError("--since takes a date as YYYY-MM-DD.") from None
        filters = evidence.Filters(since=since, protocol=options["protocol"])
        with acting_for(org):
            if options["as_csv"]:
                writer = spreadsheet.Writer(sys.stdout)
                for row in export.rows(filters):
                    writer.writerow(row)
            else:
                found = evidence.evidence(filters)
                if options["as_json"]:
                    shown = {"protocols": [export.figures(p) for p in found]}
                    json.dump(shown, sys.stdout, indent=2)
                    sys.stdout.write("\n")
                else:
                    self._print(found)
        record_system(
            org.pk,
            Action.EXPORT,
            object_type="evidence",
            object_id="",
            detail=f"command line: {options['protocol'] or 'all protocols'}",
        )

    def _print(self, found: list[evidence.ProtocolFigures]) -> None:
        if not found:
            self.stdout.write("No course has started.")
        for p in found:
            self.stdout.write(f"{p.name}: {p.courses} courses, {p.sessions} signed sessions")
            for o in export.figures(p)["outcomes"]:
                rate = o["responder_rate"]
                shown = (
                    "suppressed (fewer than 5 patients)"
                    if o["suppressed"]
                    else (f"{rate:.0%} improved" if rate is not None else "no responder threshold")
                )
                self.stdout.write(
                    f"  {o['name']}: {o['n_final']} of {o['n_started']} scored at the end, "
                    f"{o['n_lost']} lost to follow-up; {shown}"
                )
