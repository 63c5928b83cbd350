"""The optional second step of a patient's sign-in: a time-based code (TOTP, RFC 6238)
from an authenticator app, with django-otp's device, throttling and session marking.

A patient turns it on by scanning the QR code and typing one code; from then on, the
portal asks for a code after the password (`access.patient_view` sends an unverified
session to the code page). Turning it off needs the account's password.
"""

from __future__ import annotations

import segno
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from mesoclinic.accounts.models import User
from mesoclinic.audit.log import Action, record
from mesoclinic.portal.models import PortalAccount

NAME = "Authenticator app"


class CodeRefused(Exception):
    pass


def device_of(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def needs_code(request: HttpRequest, account: PortalAccount) -> bool:
    """Signed in with the password only, while the account has a second step (read with
    the account, `services.account_of`: no query of its own)."""
    verified = getattr(request.user, "is_verified", lambda: False)()
    return not verified and bool(getattr(account, "has_second_step", False))


def start(user: User) -> TOTPDevice:
    """A new, unconfirmed device (an earlier unconfirmed one is dropped)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=NAME, confirmed=False)


def pending(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an SVG QR code, drawn here (no network)."""
    return str(segno.make(device.config_url, error="m").svg_inline(scale=5, title=NAME))


def _check(device: TOTPDevice, code: str) -> None:
    code = "".join(code.split())
    if not code.isdigit() or len(code) != device.digits:
        raise CodeRefused(f"Type the {device.digits} digits the app shows.")
    if not device.verify_token(code):
        raise CodeRefused("That code is not the one the app shows now: try the next one.")


def confirm(request: HttpRequest, user: User, code: str) -> TOTPDevice:
    device = pending(user)
    if device is None:
        raise CodeRefused("Start again: scan the code on this page first.")
    _check(device, code)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    record(user, Action.CHANGE, user, fields=["two_factor"], detail="second sign-in step on")
    return device


def verify(request: HttpRequest, user: User, code: str) -> None:
    device = device_of(user)
    if device is None:
        return
    try:
        _check(device, code)
    except CodeRefused:
        record(user, Action.LOGIN_FAILED, user, detail="wrong second-step code")
        raise
    otp_login(request, device)
    record(user, Action.LOGIN, user, detail="second sign-in step")


def turn_off(user: User, password: str) -> None:
    if not user.check_password(password):
        raise CodeRefused("That is not your password.")
    TOTPDevice.objects.filter(user=user).delete()
    record(user, Action.CHANGE, user, fields=["two_factor"], detail="second sign-in step off")
