"""How a patient wants to be messaged, and the number a text message can go to.

A text message needs a number in international (E.164) form: a plus, the country
code and the subscriber number, at most 15 digits. `phonenumbers` is not installed,
so the check is the form alone (separators people type are allowed and dropped).
"""

import re

from django.db import models

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
SEPARATORS = re.compile(r"[\s().\-/]")
NUMBER_HELP = "A text message needs a mobile number in international form, such as +44 7700 900123."


class ContactBy(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    BOTH = "both", "Email and text message"
    NONE = "none", "No messages"


CHANNELS: dict[str, tuple[str, ...]] = {
    ContactBy.EMAIL: ("email",),
    ContactBy.SMS: ("sms",),
    ContactBy.BOTH: ("email", "sms"),
    ContactBy.NONE: (),
}


def sms_number(phone: str) -> str | None:
    """The number in E.164 form, or None when it is not one a text can go to."""
    compact = SEPARATORS.sub("", phone)
    return compact if E164.match(compact) else None


def wants_sms(contact_by: str) -> bool:
    return "sms" in CHANNELS.get(contact_by, ())
