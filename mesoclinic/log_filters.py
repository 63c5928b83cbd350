"""Logging filters named in settings.LOGGING."""

import logging

from django.core.exceptions import PermissionDenied


class OneLineRefusals(logging.Filter):
    """A refused permission is one warning line, not a traceback.

    Django logs every 403 with the PermissionDenied it caught as ``exc_info``; a refusal
    is the role table working, not a fault, so the line keeps the path and drops the stack.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
