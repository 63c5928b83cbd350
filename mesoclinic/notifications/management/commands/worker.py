"""`mesoclinic worker`: the background process.

It is django-tasks-db's `db_worker` (same options: --batch, --interval, ...)
plus a scheduler thread that runs the reminder scan every `--scan-every`
seconds (60 by default) and queues a task per due reminder and the owners' daily
stock digest (treatments/stock_digest.py), and once a day
deletes finished task rows older than 14 days and expired export files. Several workers
may run: the scan and the send are both safe to run concurrently (see
notifications/services.py). With --batch it scans once, runs what is queued
and exits, which suits a cron job.
"""

import logging
import os
import threading
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.db import close_old_connections, connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from mesoclinic.notifications import tasks
from mesoclinic.treatments import tasks as treatment_tasks

logger = logging.getLogger("mesoclinic.worker")
PRUNE_EVERY = 24 * 3600.0


def scan_once() -> None:
    try:
        count = tasks.enqueue_due()
        if count:
            logger.info("queued %d reminder(s)", count)
    except Exception:
        # A failed scan (database briefly locked or unreachable) is retried at
        # the next tick; it must not take down the worker.
        logger.exception("reminder scan failed")
    try:
        count = treatment_tasks.enqueue_stock_digests()
        if count:
            logger.info("queued %d stock digest(s)", count)
    except Exception:
        logger.exception("stock digest scan failed")


def prune_once() -> None:
    # Finished task rows are plumbing; the Reminder rows are the clinic's record.
    try:
        call_command("prune_db_task_results", "--min-age-days=14", verbosity=0)
    except Exception:
        logger.exception("pruning finished tasks failed")
    # Expired export archives (exports sits above this app: called by its command's name).
    try:
        call_command("purge-exports", verbosity=0)
    except Exception:
        logger.exception("deleting expired exports failed")


class Scheduler(threading.Thread):
    def __init__(self, every: float):
        super().__init__(name="reminder-scan", daemon=True)
        self.every = every
        self.stopped = threading.Event()

    def run(self) -> None:
        pruned_at: float | None = None
        while not self.stopped.is_set():
            close_old_connections()
            scan_once()
            if pruned_at is None or time.monotonic() - pruned_at > PRUNE_EVERY:
                prune_once()
                pruned_at = time.monotonic()
            connection.close()  # this thread's own connection
            self.stopped.wait(self.every)


class Command(db_worker.Command):
    help = "Run background tasks and queue due appointment reminders every minute."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--scan-every",
            type=float,
            default=60.0,
            help="seconds between reminder scans; 0 turns the scan off (default: %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scan_every: float = options.pop("scan_every")
        reloading_parent = options.get("reload") and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if scan_every > 0 and not reloading_parent:
            if options.get("batch"):
                scan_once()
            else:
                Scheduler(scan_every).start()
        super().handle(*args, **options)
