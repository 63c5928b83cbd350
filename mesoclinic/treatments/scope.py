"""Scope of practice on the treatment day: who may treat, chart what, and sign off.

The clinical reference (§2, §7; source `scope-of-practice`) has mesotherapy performed by
a qualified practitioner: prescription ingredients are charted only by a practitioner
with a licence in force, or under one named as supervising when the session starts,
and sign-off is by a licensed practitioner. "Practitioner" here is someone whose role
signs clinical records (owner or practitioner) and who holds a prescribing licence
(physician or nurse prescriber) in force on the day; an owner is a manager until a
licence is recorded for them. Estheticians and nurses treat, and chart what needs no
prescription, on their own.

Every check raises `ScopeRefused` with a sentence for the page, or returns None.
"""

from collections.abc import Iterable
from datetime import date

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.licences import lapsed_licence, valid_licence
from mesoclinic.accounts.models import ClinicalLicence, User
from mesoclinic.treatments.models import TreatmentSession

SOURCE = "scope-of-practice"

__all__ = [
    "ScopeRefused",
    "check_can_chart",
    "check_can_sign",
    "check_can_start",
    "ingredients_of",
    "is_practitioner",
    "valid_licence",
]


class ScopeRefused(Exception):
    """The person may not do this on this day; `message` says why, `source` where from."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.source = rules.load_reference().sources[SOURCE]


def is_practitioner(user: User | None, on_date: date) -> bool:
    """Signs clinical records and holds a prescribing licence in force on that day."""
    return roles.can(user, roles.SIGN_CLINICAL) and valid_licence(user, on_date) is not None


def _missing_licence(user: User, on_date: date, consequence: str) -> str:
    lapsed: ClinicalLicence | None = lapsed_licence(user, on_date)
    if lapsed is not None:
        return (
            f"{user}'s clinical licence ({lapsed}) expired on {lapsed.expires_on:%d %b %Y}: "
            f"{consequence}"
        )
    return f"{user} has no valid clinical licence on record: {consequence}"


def _require_licence(user: User, on_date: date, consequence: str) -> None:
    if valid_licence(user, on_date) is None:
        raise ScopeRefused(_missing_licence(user, on_date, consequence))


def _check_supervisor(user: User, supervisor: User, on_date: date) -> None:
    duty = "a supervising practitioner is a physician or nurse prescriber with a licence in force."
    if supervisor.organization_id != user.organization_id or not supervisor.is_active:
        raise ScopeRefused(f"{supervisor} is not on this clinic's active staff: {duty}")
    if not roles.can(supervisor, roles.SIGN_CLINICAL):
        raise ScopeRefused(
            f"{supervisor} ({supervisor.get_role_display()}) cannot supervise: {duty}"
        )
    _require_licence(supervisor, on_date, duty)


def check_can_start(user: User, supervised_by: User | None, on_date: date) -> None:
    """May `user` start treating a patient on `on_date`, under `supervised_by` if named?"""
    if not roles.can(user, roles.EDIT_CLINICAL):
        raise ScopeRefused(
            f"{user} ({user.get_role_display()}) does not treat patients: "
            "treatment is performed by clinical staff."
        )
    if roles.can(user, roles.SIGN_CLINICAL):
        # Owners and practitioners treat on their own authority, which a licence gives.
        _require_licence(user, on_date, "treatment is performed by a licensed practitioner.")
    if supervised_by is not None:
        _check_supervisor(user, supervised_by, on_date)


def ingredients_of(products: Iterable[str]) -> list[str]:
    """The ingredient slugs of these catalogue products, in order, without repeats."""
    ref = rules.load_reference()
    return list(dict.fromkeys(slug for p in products for slug in ref.products[p].contents))


def _prescription_names(slugs: Iterable[str]) -> list[str]:
    # A mixture (lidocaine with epinephrine) carries the flag itself: a test holds the
    # data to that, so what it contains need not be looked up here.
    ref = rules.load_reference()
    names = (ref.ingredients[slug] for slug in slugs)
    return list(dict.fromkeys(i.name for i in names if i.prescription))


def _listed(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1][:1].lower() + names[-1][1:]


def check_can_chart(
    user: User, session: TreatmentSession, ingredient_slugs: Iterable[str], on_date: date
) -> None:
    """May `user` chart these ingredients in `session` on `on_date`?

    Prescription ingredients need a practitioner: the one charting, or the supervisor
    named when the session started, licensed on the day of charting.
    """
    names = _prescription_names(ingredient_slugs)
    if not names or is_practitioner(user, on_date):
        return
    supervisor = session.supervised_by if session.supervised_by_id else None
    if supervisor is not None and is_practitioner(supervisor, on_date):
        return
    one = len(names) == 1
    message = (
        f"{_listed(names)} {'is a prescription medicine' if one else 'are prescription medicines'}"
        f": only a licensed practitioner charts {'it' if one else 'them'}, or name a supervising "
        "practitioner when the session starts."
    )
    if supervisor is not None:
        message += " " + _missing_licence(
            supervisor, on_date, "they cannot supervise prescription medicines today."
        )
    raise ScopeRefused(message)


def check_can_sign(user: User, on_date: date) -> None:
    """May `user` sign off a session on `on_date`?"""
    consequence = "sign-off is by a licensed practitioner."
    if not roles.can(user, roles.SIGN_CLINICAL):
        raise ScopeRefused(f"{user} ({user.get_role_display()}) cannot sign off: {consequence}")
    _require_licence(user, on_date, consequence)
