"""Where text messages go, chosen by MESOCLINIC_SMS_BACKEND (a dotted path), as Django
chooses an email backend: the console (the demo), one file per message under a
directory, memory (tests) or a provider's HTTP API.

A backend's `send(to, text)` returns the provider's id for the message, or raises
`SmsFailed` when it was not accepted (the worker then retries, as for email).
"""

import json
import logging
import sys
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger("mesoclinic.sms")


class SmsFailed(Exception):
    """The provider did not accept the message; the text says why, for the clinic."""


@dataclass(frozen=True)
class Sms:
    to: str
    text: str
    sender: str


class BaseBackend:
    def send(self, sms: Sms) -> str:
        raise NotImplementedError


def backend() -> BaseBackend:
    cls = import_string(settings.SMS_BACKEND)
    instance = cls()
    if not isinstance(instance, BaseBackend):
        raise ImproperlyConfigured(f"{settings.SMS_BACKEND} is not an SMS backend")
    return instance


def send(to: str, text: str) -> str:
    return backend().send(Sms(to=to, text=text, sender=settings.SMS_FROM))


class ConsoleBackend(BaseBackend):
    def send(self, sms: Sms) -> str:
        sys.stdout.write(f"SMS to {sms.to} from {sms.sender or '-'}:\n{sms.text}\n{'-' * 40}\n")
        sys.stdout.flush()
        return f"console-{uuid.uuid4()}"


class FileBackend(BaseBackend):
    """One JSON file per message under SMS_FILE_PATH."""

    def send(self, sms: Sms) -> str:
        folder = Path(settings.SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        ident = f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:12]}"
        body = {"to": sms.to, "from": sms.sender, "text": sms.text}
        (folder / f"{ident}.json").write_text(json.dumps(body, ensure_ascii=False))
        return ident


# What the memory backend sent, in order (tests empty it).
outbox: list[Sms] = []


class LocmemBackend(BaseBackend):
    def send(self, sms: Sms) -> str:
        outbox.append(sms)
        return f"locmem-{len(outbox)}"


def _fill(template: Any, values: dict[str, str]) -> Any:
    # Filled after parsing, so a quote or newline in the text never breaks the JSON.
    if isinstance(template, str):
        for key, value in values.items():
            template = template.replace("{" + key + "}", value)
        return template
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, values) for v in template]
    return template


def _auth() -> str:
    if settings.SMS_HTTP_AUTH:
        return settings.SMS_HTTP_AUTH
    path = Path(settings.SMS_HTTP_AUTH_FILE) if settings.SMS_HTTP_AUTH_FILE else None
    return path.read_text().strip() if path and path.is_file() else ""


class HttpBackend(BaseBackend):
    """POST a JSON body built from SMS_HTTP_BODY ({to}, {from} and {text} filled in) to
    SMS_HTTP_URL, with the auth header from the environment or its file. Any answer but
    2xx, or no answer within SMS_HTTP_TIMEOUT seconds, is a failure."""

    def send(self, sms: Sms) -> str:
        if not settings.SMS_HTTP_URL:
            raise ImproperlyConfigured("MESOCLINIC_SMS_HTTP_URL is not set")
        try:
            template = json.loads(settings.SMS_HTTP_BODY)
        except ValueError:
            raise ImproperlyConfigured("MESOCLINIC_SMS_HTTP_BODY is not JSON") from None
        body = _fill(template, {"to": sms.to, "from": sms.sender, "text": sms.text})
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth := _auth():
            headers[settings.SMS_HTTP_AUTH_HEADER] = auth
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's setting
            settings.SMS_HTTP_URL, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_HTTP_TIMEOUT) as answer:  # noqa: S310
                status, raw = answer.status, answer.read(65536)
        except urllib.error.HTTPError as err:
            log.warning("SMS provider answered %s", err.code)
            raise SmsFailed(f"the text message service answered {err.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as err:
            log.warning("SMS provider unreachable: %s", err)
            raise SmsFailed("the text message service could not be reached") from None
        if not 200 <= status < 300:
            log.warning("SMS provider answered %s", status)
            raise SmsFailed(f"the text message service answered {status}")
        return _provider_id(raw)


def _provider_id(raw: bytes) -> str:
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        return ""
    value = answer.get(settings.SMS_HTTP_ID_FIELD, "") if isinstance(answer, dict) else ""
    return str(value)[:200]
