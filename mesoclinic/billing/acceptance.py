"""A patient accepts a plan's quote: in the portal, or reception records it at the desk.

What is accepted is the exact quote of the plan's approved version by the price list in
force (`billing.quotes`), kept with its amounts, the plan and price-list versions, who
and when, so a later price change never changes what the patient agreed to. A range
(a number of sessions that is a range) is accepted as its low and high ends. A quote
with an area that has no price yet cannot be accepted. Accepting the same quote again
(a double click, or a second visit) keeps the first acceptance.
"""

from django.db import transaction
from django.utils import timezone

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User
from mesoclinic.accounts.roles import Role
from mesoclinic.audit.log import record
from mesoclinic.audit.models import Action
from mesoclinic.billing import prices, quotes
from mesoclinic.billing.models import QuoteAcceptance
from mesoclinic.plans.models import Plan, PlanVersion


class AcceptanceRefused(Exception):
    """The quote cannot be accepted; the message says why, for the person accepting."""


def latest(plan: Plan) -> QuoteAcceptance | None:
    return (
        QuoteAcceptance.objects.filter(plan=plan)
        .select_related("accepted_by")
        .order_by("-accepted_at")
        .first()
    )


def accept(user: User, plan: Plan) -> QuoteAcceptance:
    """Record the acceptance by `user`: the plan's patient in the portal, or the desk."""
    at_desk = user.role != Role.PATIENT
    if at_desk:
        roles.check(user, roles.BILLING, "Your role does not record quote acceptances.")
    version = PlanVersion.objects.filter(plan=plan).order_by("-number").first()
    if version is None or not version.result:
        raise AcceptanceRefused("Only an approved plan's quote can be accepted.")
    book = prices.current()
    quote = quotes.exact_quote(version.result, plan.patient.organization) if book else None
    if book is None or quote is None:
        raise AcceptanceRefused("The clinic has no price list yet: this quote is only a range.")
    if quote["unpriced"]:
        raise AcceptanceRefused(
            "No price yet for " + ", ".join(quote["unpriced"]) + ": the clinic prices it first."
        )
    with transaction.atomic():
        found = QuoteAcceptance.objects.filter(
            plan=plan, plan_version=version, price_list=book.price_list
        ).first()
        if found is not None:
            return found
        accepted = QuoteAcceptance.objects.create(
            patient_id=plan.patient_id,
            plan=plan,
            plan_version=version,
            price_list=book.price_list,
            currency=quote["currency"],
            amount_low=quote["total_low"],
            amount_high=quote["total_high"],
            accepted_at=timezone.now(),
            accepted_by=user,
            at_desk=at_desk,
            created_by=user,
            changed_by=user,
        )
        where = "at the desk" if at_desk else "in the portal"
        record(user, Action.CREATE, accepted, detail=f"quote accepted {where}")
    return accepted
