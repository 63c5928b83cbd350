"""`mesoclinic recall LOT [--json | --csv] [--organization NAME]`: who received a lot.

Writes one audit event (an export of patient data by the command line) per run.
"""

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from mesoclinic import spreadsheet
from mesoclinic.accounts.commands import organization_named
from mesoclinic.audit.log import Action, record_system
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import inventory


class Command(BaseCommand):
    help = "List every patient, session and date that received a lot, for a recall."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("lot", help="lot number as printed on the vial")
        parser.add_argument("--organization", help="organization name (needed if several)")
        output = parser.add_mutually_exclusive_group()
        output.add_argument("--json", dest="as_json", action="store_true", help="print JSON")
        output.add_argument(
            "--csv", dest="as_csv", action="store_true", help="print CSV for the regulator"
        )

    def handle(
        self,
        *args: Any,
        lot: str,
        organization: str | None,
        as_json: bool,
        as_csv: bool,
        **options: Any,
    ) -> None:
        org = organization_named(organization)
        number = inventory.normalize_lot_number(lot)
        with acting_for(org):
            rows = [inventory.recall_record(a) for a in inventory.recall_rows(number).iterator()]
        record_system(
            org.pk,
            Action.EXPORT,
            object_type="lot",
            object_id=number,
            detail="recall by command line",
        )
        if as_json:
            self._json({"lot_number": number, "organization": org.name, "rows": rows})
        elif as_csv:
            self._csv(rows)
        else:
            self._text(number, rows)

    def _json(self, payload: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(payload, indent=2))

    def _csv(self, rows: list[dict[str, Any]]) -> None:
        writer = spreadsheet.DictWriter(sys.stdout, fieldnames=inventory.RECALL_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)

    def _text(self, number: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            self.stdout.write(f"No patient received lot {number}.")
            return
        patients = {r["patient_id"] for r in rows}
        self.stdout.write(f"Lot {number}: {len(patients)} patient(s), {len(rows)} charted area(s)")
        for r in rows:
            self.stdout.write(
                f"{r['session_date']}  {r['patient_name']} (born {r['date_of_birth']}, "
                f"{r['phone'] or r['email'] or 'no contact'})  {r['area']} {r['side']}  "
                f"{r['volume_ml']} mL  {r['site']}  session {r['session_id']} "
                f"[{r['session_status']}]"
            )
