"""`mesoclinic evidence [--protocol SLUG] [--since DATE] [--json | --csv]`: the evidence
page's figures, headless. Writes one audit event (an export) per run."""

import csv
import datetime as dt
import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mesoclinic.accounts.commands import organization_named
from mesoclinic.audit.log import Action, record_system
from mesoclinic.outcomes import evidence, export
from mesoclinic.tenancy import acting_for


def _interval(ci: Any) -> list[float] | None:
    return None if ci is None else [round(ci.low, 4), round(ci.high, 4)]


def _outcome(o: evidence.OutcomeFigures) -> dict[str, Any]:
    hidden = o.suppressed
    responders = None if hidden or o.responders is None else o.responders
    change = None if hidden or o.mean_change is None else o.mean_change
    return {
        "slug": o.instrument.slug,
        "name": o.instrument.name,
        "primary": o.primary,
        "n_started": o.n_started,
        "n_baseline": o.n_baseline,
        "n_final": o.n_final,
        "n_lost": o.n_lost,
        "n_in_course": o.n_ongoing,
        "suppressed": hidden,
        "responders": responders.k if responders else None,
        "responder_rate": responders.rate if responders else None,
        "responder_ci": _interval(responders.ci) if responders else None,
        "mean_change": change.mean if change else None,
        "mean_change_ci": _interval(change.ci) if change else None,
    }


def _protocol(p: evidence.ProtocolFigures) -> dict[str, Any]:
    events = p.events
    return {
        "slug": p.slug,
        "name": p.name,
        "courses": p.courses,
        "patients": p.patients,
        "sessions": p.sessions,
        "outcomes": [_outcome(o) for o in p.outcomes],
        "adverse_events": {
            "events": events.events if events else 0,
            "per_100_sessions": events.rate if events else None,
            "ci": _interval(events.ci) if events else None,
        },
    }


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
                writer = csv.writer(sys.stdout)
                for row in export.rows(filters):
                    writer.writerow(row)
            else:
                found = evidence.evidence(filters)
                if options["as_json"]:
                    json.dump({"protocols": [_protocol(p) for p in found]}, sys.stdout, indent=2)
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
            for o in _protocol(p)["outcomes"]:
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
