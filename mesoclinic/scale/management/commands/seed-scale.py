"""`mesoclinic seed-scale --patients N [--seed S]`: a clinic chain for benchmarks."""

import datetime as dt
import os
import sys
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mesoclinic.envconfig import read_or_create_secret
from mesoclinic.scale.seed import Seeder


def bench_password() -> str:
    if value := os.environ.get("MESOCLINIC_BENCH_PASSWORD"):
        return value
    return read_or_create_secret(settings.DATA_DIR / "bench_password", nbytes=12)


class _Printer:
    """Progress lines with rate and ETA when tqdm is not installed."""

    def __init__(self, total: int, disable: bool = False, **kwargs: Any) -> None:
        self.total, self.done, self.disable = total, 0, disable
        self.started = time.perf_counter()

    def update(self, n: int) -> None:
        self.done += n
        if self.disable:
            return
        rate = self.done / (time.perf_counter() - self.started)
        eta = (self.total - self.done) / rate if rate else 0
        print(f"{self.done}/{self.total} patients, {rate:,.0f}/s, ETA {eta:.0f} s", file=sys.stderr)

    def set_postfix_str(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


class Command(BaseCommand):
    help = "Generate a clinic chain of N patients (sessions, points, lots, audit) for benchmarks."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--patients", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--chunk", type=int, default=2000, help="patients per transaction")
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="anchor date of the history (default: today); fix it for identical rows",
        )
        parser.add_argument(
            "--name", default=None, help="organization name (default: from N and S)"
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(
        self,
        *args: Any,
        patients: int,
        seed: int,
        chunk: int,
        today: dt.date | None,
        name: str | None,
        no_progress: bool,
        **options: Any,
    ) -> None:
        if patients < 1:
            raise CommandError("--patients must be at least 1")
        started = time.perf_counter()
        try:
            # The dev/bench extra (it ships no types); a plain printer otherwise.
            from tqdm import tqdm
        except ImportError:  # pragma: no cover
            tqdm = _Printer
        bar = tqdm(
            total=patients,
            unit="patient",
            file=sys.stderr,
            disable=no_progress,
            dynamic_ncols=True,
            smoothing=0.1,
        )

        def progress(n: int, rows: int) -> None:
            bar.update(n)
            bar.set_postfix_str(f"{rows / (time.perf_counter() - started):,.0f} rows/s")

        seeder = Seeder(
            patients, seed, today or dt.date.today(), bench_password(), progress, name=name
        )
        try:
            counts = seeder.run(chunk=chunk)
        except ValueError as error:
            raise CommandError(str(error)) from error
        finally:
            bar.close()
        elapsed = time.perf_counter() - started
        org = seeder.o.org
        self.stdout.write(f"{org.name} (organization {org.public_id}) in {elapsed:.1f} s:")
        for name, value in counts.items():
            self.stdout.write(f"  {name}: {value:,}")
        self.stdout.write(
            f"  logins: {seeder.o.owner.email} and staff; password: MESOCLINIC_BENCH_PASSWORD "
            f"or {settings.DATA_DIR / 'bench_password'}"
        )
