"""The application with audit events built but not written: for `make bench` only.

The benchmark serves this module (never a deployment) to measure what writing
the audit trail costs. `mesoclinic.audit.log.record` looks `AuditEvent` up at
call time, so replacing that one name keeps every other line of the request
path identical; nothing in the application can switch auditing off.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.bench_settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

from mesoclinic.audit import log  # noqa: E402
from mesoclinic.audit.models import AuditEvent  # noqa: E402


class _Manager:
    @staticmethod
    def create(**fields):
        return AuditEvent(**fields)  # built as for saving, never written


class _UnsavedAuditEvent:
    _meta = AuditEvent._meta
    objects = _Manager()


log.AuditEvent = _UnsavedAuditEvent
