"""Every URL of the project, for every persona, with real ids of our organization.

The walk resolves every pattern of the URL conf (through every include, the API's too),
so a page added later is walked without anyone remembering to. Each pattern must have
a row in `TABLE` below, which declares who may open it; the test checks the views
honour the declaration:

- granted means any answer but 401, 403, 404 or a redirect to the log-in page (a 200,
  a redirect elsewhere, a 400 for an empty form, a 409 for a refused change...);
- the outsider, the owner of another organization, gets 404 for any of our objects
  (never 403, never our data) and, on a page naming none, what an owner gets there;
- anonymous visitors are sent to log in (the API answers 401);
- the portal patient gets 404 outside /portal/ (PortalBoundaryMiddleware);
- no refused answer and nothing the outsider sees holds our patient's name.

Each request is sent as GET; a view answering 405 is then sent an empty POST. Each
persona's request runs in a transaction rolled back afterwards, so what one persona
posts does not change what the next one sees; the world itself is built once for the
module (`world`) and each test runs in a savepoint over it.

Adding a page: add one line to `TABLE`, keyed by the URL's name (with its namespace,
e.g. "api:patient_detail"; a pattern without a name is keyed by its route):

    "invoice_detail": row(OWNER, public_id="@invoice"),

The access class is the set of personas granted (see the classes below, derived from
accounts/roles.py CAPABILITIES and each view's decorator). Each keyword fills the URL
parameter of that name: "@key" is the public id of `world[key]`, one of our objects
(the outsider must get 404); "$key" is a value from the world that is not an object
of ours (a token whose holder it serves, a lot number searched for); anything else is
taken literally (a `kind`, `span`, `instrument`...). `query={...}` adds a query
string and `form={...}` is what a POST sends (an empty form otherwise), both filled
the same way. A new kind of object goes into `build_world`.
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import transaction
from django.test import Client, TestCase, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from mesoclinic.accounts import services as account_services
from mesoclinic.accounts.models import Organization, Site, hash_token
from mesoclinic.accounts.roles import Role
from mesoclinic.api import tokens as api_tokens
from mesoclinic.billing import prices
from mesoclinic.billing.models import Invoice
from mesoclinic.exports.models import ExportJob
from mesoclinic.notifications.models import CalendarFeed
from mesoclinic.outcomes import courses
from mesoclinic.outcomes import services as outcome_services
from mesoclinic.patients import models as pm
from mesoclinic.payments import packages
from mesoclinic.payments import services as payment_services
from mesoclinic.plans.models import Consent
from mesoclinic.portal import services as portal_services
from mesoclinic.portal import signin_links
from mesoclinic.portal.models import ClosureRequest, ConsentMessage, ReportedEntry, SymptomReport
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import stock_count
from mesoclinic.treatments.models import FollowUpTask, SessionArea, SessionStatus
from tests.factories import (
    DCA,
    book,
    client_for,
    consent_to,
    draft_plan,
    give_licence,
    give_photo_consent,
    local,
    make_event,
    make_lot,
    make_user,
    next_weekday,
    open_clinic,
    plan_with_result,
    record_allergy,
    session_in_status,
)

# --- personas and access classes ------------------------------------------------------

STAFF_ROLES = ("owner", "practitioner", "esthetician", "reception")
PERSONAS = (*STAFF_ROLES, "outsider", "patient", "anonymous")

OWNER = frozenset({"owner"})  # MANAGE_STAFF, VIEW_AUDIT, EXPORT_PHOTOS
SIGNERS = OWNER | {"practitioner"}  # SIGN_CLINICAL, OVERRIDE_SAFETY
CLINICAL = SIGNERS | {"esthetician"}  # VIEW_CLINICAL, EDIT_CLINICAL
STAFF = CLINICAL | {"reception"}  # VIEW_DEMOGRAPHICS, EDIT_DEMOGRAPHICS
BILLERS = SIGNERS | {"reception"}  # BILLING
PORTAL = frozenset({"patient"})  # portal.access.patient_view
SIGNED_IN = STAFF | PORTAL  # login_required alone
ANYONE = SIGNED_IN | {"anonymous"}  # no check (a token in the address may be the check)
NOBODY: frozenset[str] = frozenset()  # answers 404 to everyone
# The outsider is not named in the classes: it is an owner, of another organization.

# Where a signed-in patient may go (accounts.middleware.PortalBoundaryMiddleware._OPEN).
PORTAL_OPEN = ("/portal/", "/accounts/logout/")

# Our patient's last name, as a page and as JSON write it: never in a refused answer.
# (She is Anna García: tests.factories.consent_to signs her consent with that name.)
LAST_NAME = "García"
LAST_NAME_SPELLINGS = (LAST_NAME, "Garc\\u00eda")


@dataclass(frozen=True)
class Row:
    access: frozenset[str]
    args: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    form: Mapping[str, str] = field(default_factory=dict)  # what a POST sends
    # Logging out ends with the log-in page: there it is the answer, not a refusal.
    login_is_the_answer: bool = False


def row(
    access: frozenset[str],
    query: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    **args: str,
) -> Row:
    return Row(access, args, query or {}, form or {})


# --- the role table: the declaration the walk checks ------------------------------------

TABLE: dict[str, Row] = {
    # web
    "home": row(SIGNED_IN),  # a patient is sent on to the portal
    "healthz": row(ANYONE - PORTAL),
    "patient_detail": row(STAFF, public_id="@patient"),
    "audit_log": row(OWNER),
    # accounts
    "login": row(ANYONE - PORTAL),
    "logout": Row(ANYONE, login_is_the_answer=True),
    "password_change": row(STAFF),
    "staff_list": row(OWNER),
    "clinic_settings": row(OWNER),
    # imports
    "patient_import": row(OWNER),
    "import_confirm": row(OWNER),
    "import_template": row(OWNER),
    "appointment_import": row(OWNER),
    "appointment_import_confirm": row(OWNER),
    "appointment_template": row(OWNER),
    "staff_invite": row(OWNER),
    "staff_set_active": row(OWNER, public_id="@colleague"),
    "licence_new": row(OWNER, public_id="@colleague"),
    "licence_void": row(OWNER, public_id="@licence"),
    "accept_invitation": row(ANYONE - PORTAL, token="$invitation_token"),
    # patients
    "patient_list": row(STAFF),
    "patient_new": row(STAFF),
    "patient_edit": row(STAFF, public_id="@patient"),
    "patient_changes": row(CLINICAL, public_id="@patient"),
    "entry_add": row(CLINICAL, public_id="@patient", kind="allergy"),
    "allergy_code": row(SIGNERS, public_id="@patient", entry_id="@allergy"),
    "entry_void": row(CLINICAL, public_id="@patient", kind="allergy", entry_id="@allergy"),
    # API (session authentication); the docs are for staff
    "api:openapi-json": row(STAFF),
    "api:openapi-view": row(STAFF),
    "api:list_patients": row(STAFF),
    "api:create_patient": row(STAFF),  # the list's path: the walk's GET lists
    "api:patient_detail": row(STAFF, patient_id="@patient"),
    "api:change_patient": row(STAFF, patient_id="@patient"),  # the detail's path
    "api:add_history_entry": row(CLINICAL, patient_id="@patient"),
    "api:void_history_entry": row(
        CLINICAL, patient_id="@patient", kind="allergy", entry_id="@allergy"
    ),
    # API: the desk's resources (appointments, outcomes, photos, lots, money)
    "api:list_appointments": row(STAFF),
    "api:book_appointment": row(STAFF),  # the list's path: a GET walks the list
    "api:appointment_detail": row(STAFF, appointment_id="@appointment"),
    "api:move_appointment": row(STAFF, appointment_id="@appointment"),
    "api:cancel_appointment": row(STAFF, appointment_id="@appointment"),
    "api:check_in": row(STAFF, appointment_id="@appointment"),
    "api:list_lots": row(CLINICAL),
    "api:receive_lot": row(CLINICAL),  # the list's path: the walk's GET lists
    "api:stock_levels": row(CLINICAL),
    "api:count_stock": row(SIGNERS),
    "api:lot_detail": row(CLINICAL, lot_id="@lot"),
    "api:recall_search": row(CLINICAL, query={"lot": "$lot_number"}),
    "api:recall_lot": row(SIGNERS, lot_id="@lot"),
    "api:list_photos": row(CLINICAL, query={"patient": "@patient"}),
    "api:photo_consents": row(CLINICAL, patient_id="@patient"),
    "api:photo_detail": row(CLINICAL, photo_id="@photo"),
    "api:photo_image": row(CLINICAL, photo_id="@photo", query={"size": "thumb"}),
    "api:add_photo": row(CLINICAL, query={"patient": "@patient"}),  # as the list
    "api:void_photo": row(CLINICAL, photo_id="@photo"),
    "api:give_consent": row(CLINICAL, patient_id="@patient"),  # the consents' path
    "api:revoke_consent": row(CLINICAL, consent_id="@photo_consent"),
    "api:list_assessments": row(CLINICAL, query={"patient": "@patient"}),
    "api:record_assessment": row(CLINICAL, query={"patient": "@patient"}),  # as the list
    "api:assessment_detail": row(CLINICAL, assessment_id="@assessment"),
    "api:list_invoices": row(BILLERS),
    "api:invoice_detail": row(BILLERS, invoice_id="@invoice"),
    "api:draft_invoice": row(BILLERS),  # the list's path: the walk's GET lists
    "api:add_line": row(BILLERS, invoice_id="@invoice"),
    "api:issue_invoice": row(BILLERS, invoice_id="@invoice"),
    "api:credit_invoice": row(BILLERS, invoice_id="@invoice"),
    "api:invoice_pdf": row(BILLERS, invoice_id="@invoice"),
    "api:list_payments": row(BILLERS, query={"patient": "@patient"}),
    "api:take_payment": row(BILLERS, query={"patient": "@patient"}),  # as the list
    "api:refund_payment": row(BILLERS, payment_id="@payment"),
    "api:patient_balance": row(BILLERS, patient_id="@patient"),
    "api:price_list": row(STAFF),
    "api:save_price_list": row(STAFF),  # the list's path: the walk's GET reads it
    "api:list_packages": row(BILLERS, query={"patient": "@patient"}),
    "api:sell_package": row(BILLERS, query={"patient": "@patient"}),  # as the list
    "api:package_detail": row(BILLERS, package_id="@package"),
    # clinical resources: a clinical role (sign-off: a signer) and, for a token, its scope
    "api:list_plans": row(CLINICAL, query={"patient": "@patient"}),
    "api:plan_detail": row(CLINICAL, plan_id="@consented_plan"),
    "api:create_plan": row(CLINICAL),  # the list's path: the walk's GET lists
    "api:add_area": row(CLINICAL, plan_id="@draft_plan"),
    "api:update_area": row(CLINICAL, plan_id="@draft_plan", index="0"),
    "api:remove_area": row(CLINICAL, plan_id="@draft_plan", index="0"),
    "api:set_start": row(CLINICAL, plan_id="@draft_plan"),
    "api:add_override": row(SIGNERS, plan_id="@draft_plan"),
    "api:approve": row(SIGNERS, plan_id="@draft_plan"),
    "api:propose": row(CLINICAL, plan_id="@draft_plan"),
    "api:reopen": row(CLINICAL, plan_id="@approved_plan"),
    "api:cancel": row(CLINICAL, plan_id="@draft_plan"),
    "api:consent_document": row(CLINICAL, plan_id="@approved_plan"),
    "api:sign_consent": row(CLINICAL, plan_id="@approved_plan"),
    "api:countersign": row(SIGNERS, consent_id="@consent"),
    "api:revoke": row(CLINICAL, consent_id="@consent"),
    "api:list_sessions": row(CLINICAL, query={"patient": "@patient"}),
    "api:start_session": row(CLINICAL, query={"patient": "@patient"}),  # as the list
    "api:session_detail": row(CLINICAL, session_id="@session"),
    "api:chart_area": row(CLINICAL, session_id="@session"),
    "api:sign_session": row(SIGNERS, session_id="@session"),
    "api:void_session": row(SIGNERS, session_id="@session"),
    "api:amend_session": row(CLINICAL, session_id="@session"),
    "api:list_adverse_events": row(CLINICAL, query={"patient": "@patient"}),
    "api:record_adverse_event": row(CLINICAL),  # the list's path: the walk's GET lists
    "api:adverse_event_detail": row(CLINICAL, event_id="@adverse_event"),
    "api:void_adverse_event": row(SIGNERS, event_id="@adverse_event"),
    "api:list_follow_ups": row(CLINICAL, query={"patient": "@patient"}),
    "api:follow_up_detail": row(CLINICAL, task_id="@follow_up"),
    "api:close_follow_up": row(CLINICAL, task_id="@follow_up"),
    "api:api-root": row(NOBODY),  # django-ninja's root, there to reverse the API's paths
    "api_tokens": row(STAFF),
    # FHIR R4 (mesoclinic/fhir): metadata and our code systems are public
    "fhir:metadata": row(ANYONE - PORTAL),
    "fhir:code_system": row(ANYONE - PORTAL, id="area"),
    "fhir:unknown": row(NOBODY, rest="Medication"),
    "fhir:patient_everything": row(CLINICAL, id="@patient"),
    "fhir:patient_search": row(STAFF, query={"name": "garc"}),
    "fhir:patient_read": row(STAFF, id="@patient"),
    "fhir:practitioner_search": row(STAFF),
    "fhir:practitioner_read": row(STAFF, id="@practitioner"),
    "fhir:organization_search": row(STAFF),
    "fhir:organization_read": row(STAFF, id="@org"),
    "fhir:location_search": row(STAFF),
    "fhir:location_read": row(STAFF, id="@site"),
    "fhir:appointment_search": row(STAFF, query={"patient": "@patient"}),
    "fhir:appointment_read": row(STAFF, id="@appointment"),
    "fhir:allergyintolerance_search": row(CLINICAL, query={"patient": "@patient"}),
    "fhir:allergyintolerance_read": row(CLINICAL, id="@allergy"),
    "fhir:medicationstatement_search": row(CLINICAL, query={"patient": "@patient"}),
    "fhir:medicationstatement_read": row(CLINICAL, id="@medication"),
    "fhir:condition_search": row(CLINICAL, query={"patient": "@patient"}),
    "fhir:condition_read": row(CLINICAL, id="@condition"),
    "fhir:procedure_search": row(CLINICAL, query={"patient": "@patient"}),
    "fhir:procedure_read": row(CLINICAL, id="@session"),
    "fhir:observation_search": row(CLINICAL, query={"patient": "@patient"}),
    "fhir:observation_read": row(CLINICAL, id="@assessment"),
    "fhir:medicationadministration_search": row(CLINICAL, query={"patient": "@patient"}),
    "fhir:medicationadministration_read": row(CLINICAL, id="@session_area"),
    "fhir:adverseevent_search": row(CLINICAL, query={"patient": "@patient"}),
    "fhir:adverseevent_read": row(CLINICAL, id="@adverse_event"),
    "fhir:consent_search": row(CLINICAL, query={"patient": "@patient"}),
    "fhir:consent_read": row(CLINICAL, id="@consent"),
    "fhir:media_search": row(CLINICAL, query={"patient": "@patient"}),
    "fhir:media_read": row(CLINICAL, id="@photo"),
    "fhir:binary_read": row(CLINICAL, id="@photo"),
    # the practitioner's token: its holder or the owner revokes it, others get 404
    "api_token_revoke": row(SIGNERS, public_id="@api_token"),
    "api_integration_create": row(OWNER),  # owners make the clinic's integration tokens
    # plans
    "plan_new": row(CLINICAL, public_id="@patient"),
    "plan_editor": row(CLINICAL, public_id="@draft_plan"),
    "plan_add_area": row(CLINICAL, public_id="@draft_plan"),
    "plan_update_item": row(CLINICAL, public_id="@draft_plan", index="0"),
    "plan_remove_item": row(CLINICAL, public_id="@draft_plan", index="0"),
    "plan_point": row(CLINICAL, public_id="@draft_plan"),
    "plan_start": row(CLINICAL, public_id="@draft_plan"),
    "plan_override": row(SIGNERS, public_id="@draft_plan"),
    "plan_approve": row(SIGNERS, public_id="@draft_plan"),
    "plan_reopen": row(CLINICAL, public_id="@approved_plan"),
    "plan_quote": row(STAFF, public_id="@approved_plan"),
    "plan_propose": row(CLINICAL, public_id="@draft_plan"),
    "plan_cancel": row(CLINICAL, public_id="@draft_plan"),
    "consent_new": row(CLINICAL, public_id="@approved_plan"),
    "consent_detail": row(CLINICAL, public_id="@consent"),
    "consent_countersign": row(SIGNERS, public_id="@consent"),
    "consent_revoke": row(CLINICAL, public_id="@consent"),
    "consent_pdf": row(CLINICAL, public_id="@consent"),
    "consent_template": row(OWNER),
    # treatments: safety
    "adverse_event_new": row(CLINICAL, patient_id="@patient"),
    "adverse_event_detail": row(CLINICAL, public_id="@adverse_event"),
    "adverse_event_update": row(CLINICAL, public_id="@adverse_event"),
    "adverse_event_void": row(SIGNERS, public_id="@adverse_event"),
    "safety_list": row(SIGNERS),
    "followup_list": row(CLINICAL),
    "followup_done": row(CLINICAL, public_id="@follow_up"),
    # treatments: sessions
    "session_start": row(CLINICAL, public_id="@consented_plan"),
    "session_start_adhoc": row(SIGNERS, public_id="@patient"),
    "session_detail": row(CLINICAL, public_id="@session"),
    "session_chart": row(CLINICAL, public_id="@session"),
    "session_remove_row": row(CLINICAL, public_id="@session", row_id="@session_area"),
    "session_point": row(CLINICAL, public_id="@session", row_id="@session_area"),
    "session_sign": row(SIGNERS, public_id="@session"),
    "session_amend": row(CLINICAL, public_id="@session"),
    "session_void": row(SIGNERS, public_id="@session"),
    "session_aftercare": row(CLINICAL, public_id="@session"),
    "session_aftercare_pdf": row(CLINICAL, public_id="@session"),
    # treatments: inventory
    "lot_list": row(CLINICAL),
    "lot_new": row(CLINICAL),
    "stock_levels": row(CLINICAL),
    "lot_recall": row(CLINICAL, query={"lot": "$lot_number"}),
    "stock_count": row(SIGNERS),
    "stock_count_detail": row(CLINICAL, public_id="@stock_count"),
    "lot_detail": row(CLINICAL, public_id="@lot"),
    "lot_mark_recalled": row(SIGNERS, public_id="@lot"),
    # scheduling (VIEW_DIARY and BOOK are the demographic capabilities)
    "calendar_home": row(STAFF),
    "diary_setup": row(OWNER),
    "diary_setup_site": row(OWNER, public_id="@site", kind="room"),
    "diary_setup_staff": row(OWNER, public_id="@practitioner", kind="work"),
    "diary_setup_treatment": row(OWNER),
    "diary_setup_remove": row(OWNER, kind="room", public_id="@room"),
    "calendar_board": row(STAFF, kind="site", public_id="@site", span="week"),
    "appointment_new": row(STAFF, query={"patient": "@patient"}),
    "calendar_board_move": row(
        STAFF, kind="site", public_id="@site", span="day", form={"appointment": "@appointment"}
    ),
    "appointment_new_slots": row(STAFF),
    "appointment_patient_picker": row(STAFF),
    "appointment_detail": row(STAFF, public_id="@appointment"),
    "appointment_move": row(STAFF, public_id="@appointment"),
    "appointment_slots": row(STAFF, public_id="@appointment"),
    "appointment_check_in": row(STAFF, public_id="@appointment"),
    "appointment_session_start": row(CLINICAL, public_id="@appointment"),
    "appointment_status": row(STAFF, public_id="@appointment", action="confirm"),
    "course_page": row(STAFF, public_id="@consented_plan"),
    "course_propose": row(STAFF, public_id="@consented_plan"),
    "course_confirm": row(STAFF, public_id="@consented_plan"),
    "course_discard": row(STAFF, public_id="@consented_plan"),
    # outcomes
    "patient_outcomes": row(CLINICAL, patient_id="@patient"),
    "follow_ups_propose": row(
        CLINICAL, patient_id="@patient", form={"plan": "@course", "protocol": "$protocol"}
    ),
    "patient_trajectories": row(CLINICAL, patient_id="@patient"),
    "assessment_new": row(CLINICAL, patient_id="@patient", instrument="hexsel-css"),
    "assessment_score": row(CLINICAL, patient_id="@patient", instrument="hexsel-css"),
    "assessment_detail": row(CLINICAL, public_id="@assessment"),
    "assessment_amend": row(CLINICAL, public_id="@assessment"),
    "evidence": row(SIGNERS),
    "evidence_csv": row(SIGNERS),
    "evidence_table_csv": row(SIGNERS),
    # photos
    "patient_photos": row(CLINICAL, patient_id="@patient"),
    "photo_add": row(CLINICAL, patient_id="@patient"),
    "photo_detail": row(CLINICAL, public_id="@photo"),
    "photo_void": row(CLINICAL, public_id="@photo"),
    "photo_landmarks": row(CLINICAL, public_id="@photo"),
    "photo_image": row(CLINICAL, public_id="@photo", kind="thumb"),
    "session_photo_views": row(CLINICAL, public_id="@session"),
    "photo_consent_give": row(CLINICAL, patient_id="@patient", scope="teaching"),
    "photo_consent_revoke": row(CLINICAL, public_id="@photo_consent"),
    "photo_export": row(OWNER),
    "export_list": row(OWNER),
    "export_progress": row(OWNER, public_id="@export_job"),
    "export_download": row(OWNER, public_id="@export_job"),
    "export_delete": row(OWNER, public_id="@export_job"),
    "photo_compare": row(CLINICAL, patient_id="@patient"),
    "photo_sheet": row(CLINICAL, patient_id="@patient"),
    "photo_sheet_pdf": row(CLINICAL, patient_id="@patient"),
    # notifications (a feed's token is its only check: whoever holds it reads it)
    "my_calendar_feed": row(CLINICAL),
    "new_calendar_feed": row(CLINICAL),
    "revoke_calendar_feed": row(CLINICAL),
    "calendar_feed": row(ANYONE - PORTAL, token="$feed_token"),
    "patient_calendar": row(STAFF, public_id="@patient"),
    "reminder_list": row(STAFF),
    "message_list": row(STAFF),
    "patient_messages": row(STAFF, public_id="@patient"),
    # portal: the patient's pages
    "portal_home": row(PORTAL),
    "portal_accept": row(ANYONE, token="$portal_invitation_token"),
    "portal_documents": row(PORTAL),
    "portal_consent_pdf": row(PORTAL, public_id="@consent"),
    "portal_aftercare": row(PORTAL, public_id="@session"),
    "portal_aftercare_pdf": row(PORTAL, public_id="@session"),
    "portal_appointments": row(PORTAL),
    "portal_quote": row(PORTAL, public_id="@approved_plan"),
    "portal_access": row(PORTAL),
    "portal_contact": row(PORTAL),
    "portal_quote_accept": row(PORTAL, public_id="@approved_plan"),
    # money (billing, payments)
    "price_list": row(STAFF),
    "payment_account": row(BILLERS, patient_id="@patient"),
    "payment_take": row(BILLERS, patient_id="@patient"),
    "payment_sell_package": row(BILLERS, patient_id="@patient"),
    "payment_refund": row(BILLERS, payment_id="@payment"),
    "payment_invoice_panel": row(BILLERS, invoice_id="@invoice"),
    "payment_report_day": row(OWNER | {"reception"}),
    "payment_report_month": row(OWNER),
    "invoice_list": row(BILLERS),
    "invoice_detail": row(BILLERS, public_id="@invoice"),
    "invoice_line_add": row(BILLERS, public_id="@invoice"),
    "invoice_issue": row(BILLERS, public_id="@invoice"),
    "invoice_credit": row(BILLERS, public_id="@invoice"),
    "invoice_pdf": row(BILLERS, public_id="@invoice"),
    "session_invoice": row(BILLERS, public_id="@session"),
    "patient_invoice_new": row(BILLERS, patient_id="@patient"),
    "quote_acceptance": row(BILLERS, public_id="@approved_plan"),
    "portal_checkin": row(PORTAL),
    "portal_report": row(PORTAL, public_id="@symptom_report"),
    "portal_appointment_confirm": row(PORTAL, public_id="@appointment"),
    "portal_appointment_cancel": row(PORTAL, public_id="@appointment"),
    "portal_appointment_move": row(PORTAL, public_id="@appointment"),
    "portal_appointment_ics": row(PORTAL, public_id="@appointment"),
    "portal_questionnaire": row(PORTAL),
    "portal_scores": row(PORTAL),
    "portal_rate": row(
        PORTAL, instrument="pr-smfrs", query={"when": "baseline", "plan": "@approved_plan"}
    ),
    "portal_my_data": row(PORTAL),
    "portal_my_data_zip": row(PORTAL),
    "portal_close_account": row(PORTAL),
    "portal_signin_link": row(ANYONE),
    "portal_signin": row(ANYONE, token="$signin_token"),
    "portal_consent": row(PORTAL, plan_id="@approved_plan"),
    "portal_consent_ask": row(PORTAL, plan_id="@approved_plan"),
    "portal_two_factor": row(PORTAL),
    "portal_verify": row(PORTAL),
    # portal: the clinic's side
    "portal_invite": row(STAFF, patient_id="@patient"),
    "report_queue": row(CLINICAL),
    "report_detail": row(CLINICAL, public_id="@symptom_report"),
    "report_review": row(SIGNERS, public_id="@symptom_report"),
    "portal_answers": row(CLINICAL, patient_id="@patient"),
    "portal_answer_add": row(SIGNERS, public_id="@reported_entry"),
    "portal_answer_decline": row(SIGNERS, public_id="@reported_entry"),
    "portal_closure_requests": row(OWNER),
    "portal_closure_close": row(OWNER, public_id="@closure_request"),
    "consent_questions": row(CLINICAL, plan_id="@approved_plan"),
    "consent_question_answer": row(CLINICAL, question_id="@consent_question"),
    "consent_kiosk_start": row(CLINICAL, plan_id="@approved_plan"),
    "consent_kiosk": row(CLINICAL),
    "consent_kiosk_leave": row(SIGNED_IN - PORTAL),
}


# --- the URL conf, walked ---------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    key: str  # the table's key: the namespaced name, or the route of a nameless pattern
    name: str  # what reverse() takes
    route: str


def routes(resolver: URLResolver | None = None, prefix: str = "", ns: str = "") -> Iterator[Route]:
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{ns}{pattern.namespace}:" if pattern.namespace else ns
            yield from routes(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            name = f"{ns}{pattern.name}" if pattern.name else ""
            yield Route(name or route, name, route)


ROUTES = list(routes())


def test_every_url_has_a_row_in_the_role_table():
    missing = [f"add {r.key} ({r.route}) to the role table" for r in ROUTES if r.key not in TABLE]
    assert not missing, "\n".join(missing)
    stale = sorted(set(TABLE) - {r.key for r in ROUTES})
    assert not stale, f"rows for URLs that no longer exist: {stale}"


def test_only_the_portal_and_logging_out_are_open_to_a_patient_outside_the_clinic_pages():
    """The boundary is the middleware's; the table must not claim otherwise."""
    opened = sorted(
        r.key
        for r in ROUTES
        if r.key in TABLE and "patient" in TABLE[r.key].access and not r.route.startswith("portal/")
    )
    assert opened == ["home", "logout"]  # home sends the patient on to the portal


# --- the world: one of every object, built once for the module -------------------------


def _with_photos_at(location: str) -> dict[str, Any]:
    """The storages conftest's `_test_settings` gives each test, the photos kept in the
    module's directory (the world's photo outlives each test's own tmp_path)."""
    storages = django_settings.STORAGES
    photos = storages["photos"]
    options = photos["OPTIONS"]
    inner = {**options["inner_options"], "location": location}
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    return {
        **storages,
        "staticfiles": static,
        "photos": {**photos, "OPTIONS": {**options, "inner_options": inner}},
    }


def _small_jpeg() -> io.BytesIO:
    from PIL import Image

    data = io.BytesIO()
    Image.new("RGB", (160, 120), (200, 200, 200)).save(data, format="JPEG")
    data.seek(0)
    return data


def _mailed_token(path_start: str) -> str:
    body = mail.outbox[-1].body
    start = body.index(path_start) + len(path_start)
    return body[start:].split()[0].rstrip("/").removesuffix(".ics")


def _as_portal_patient(org, reception, patient) -> Any:
    with TestCase.captureOnCommitCallbacks(execute=True), acting_for(org):
        portal_services.invite(reception, patient, absolute_url=lambda p: "https://clinic.test" + p)
    token = _mailed_token("/portal/invitation/")
    password = "a long portal passphrase"
    answer = Client().post(
        reverse("portal_accept", args=[token]), {"password1": password, "password2": password}
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    from mesoclinic.accounts.models import User

    return User.objects.get(email=patient.email)


def build_world() -> dict[str, Any]:
    org = Organization.objects.create(name="Walk Clinic")
    other = Organization.objects.create(name="Other Clinic")
    site = Site.objects.create(organization=org, name="Main site")
    Site.objects.create(organization=other, name="Their site")
    users = {
        "owner": make_user(org, Role.OWNER, "owner@walk.clinic", "Olga Owner"),
        "practitioner": make_user(org, Role.PRACTITIONER, "doc@walk.clinic", "Dr Pia Prax"),
        "esthetician": make_user(org, Role.ESTHETICIAN, "esth@walk.clinic", "Erin Esth"),
        "reception": make_user(org, Role.RECEPTION, "desk@walk.clinic", "Rob Desk"),
        "outsider": make_user(other, Role.OWNER, "owner@other.clinic", "Oscar Outsider"),
    }
    doc, desk = users["practitioner"], users["reception"]
    licence = give_licence(doc, number="GMC-7001234")
    with acting_for(org):
        patient = pm.Patient.objects.create(
            first_name="Anna",
            last_name=LAST_NAME,
            date_of_birth=date(1985, 4, 1),
            sex=pm.Sex.FEMALE,
            phone="+1 555 0100 200",
            email="anna@example.com",
            weight_kg=64,
            created_by=doc,
        )
        newcomer = pm.Patient.objects.create(
            first_name="Berta",
            last_name="Newcomer",
            date_of_birth=date(1990, 2, 3),
            sex=pm.Sex.FEMALE,
            email="berta@example.com",
            created_by=doc,
        )
    allergy = record_allergy(doc.organization, patient, doc, text="Latex")
    with acting_for(org):
        medication = pm.Medication.objects.create(
            patient=patient, name="Warfarin", recorded_on=date(2026, 10, 1), created_by=doc
        )
        condition = pm.Condition.objects.create(
            patient=patient, condition="diabetes", recorded_on=date(2026, 9, 1), created_by=doc
        )
    consented = consent_to(org, doc, patient, DCA)
    with acting_for(org):
        consent = Consent.objects.get(plan=consented)
    approved = draft_plan(org, patient, doc, DCA, start=date.today().isoformat())
    answer = client_for(doc).post(
        reverse("plan_approve", args=[approved.public_id]), {"lock_version": 0}
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    draft = draft_plan(org, patient, doc, DCA)
    course = plan_with_result(
        org, patient, doc, [{"concern": "cellulite", "area": "thighs-outer"}], date.today()
    )
    lot = make_lot(org, site, doc)
    session = session_in_status(org, patient, site, doc, lot, SessionStatus.SIGNED)
    event = make_event(org, patient, doc, lots=[lot])
    with acting_for(org):
        area = SessionArea.objects.get(session=session)
        follow_up = FollowUpTask.objects.create(
            patient=patient,
            assigned_to=users["esthetician"],
            due_on=date.today() + timedelta(days=1),
            reason="Call",
        )
        protocol = courses.courses_for(patient)[0].protocol
        entry = outcome_services.Entry("hexsel-css", "baseline", plan=course, protocol=protocol)
        answers = {"number": 2, "depth": 2, "morphology": 1, "laxity": 1, "nurnberger-muller": 2}
        assessment = outcome_services.record_assessment(doc, patient, entry, answers, uuid.uuid4())
    photo_consent = give_photo_consent(org, doc, patient)
    with acting_for(org):
        from mesoclinic.photos import services as photo_services

        photo = photo_services.add_photo(
            doc,
            patient,
            _small_jpeg(),
            view="face-front",
            area="",
            side="",
            device="Clinic camera",
            session=session,
            submission_key=uuid.uuid4(),
        )
    clinic = open_clinic(org, site)
    appointment = book(org, desk, clinic, patient, doc, local(next_weekday(2), 10))

    me = _as_portal_patient(org, desk, patient)
    portal = client_for(me)
    sent = portal.post(
        reverse("portal_checkin"),
        {"feeling": "unwell", "symptoms": ["swelling"], "severity": "2",
         "session": str(session.public_id), "submission_key": str(uuid.uuid4())},
    )  # fmt: skip
    assert sent.status_code == 302, sent.content.decode()[:2000]
    sent = portal.post(
        reverse("portal_questionnaire"),
        {"allergy_1": "Xylocaine", "reaction_1": "swelling", "severity_1": "severe",
         "pregnancy": "not_pregnant", "submission_key": str(uuid.uuid4())},
    )  # fmt: skip
    assert sent.status_code == 302, sent.content.decode()[:2000]
    sent = portal.post(
        reverse("portal_consent_ask", args=[approved.public_id]),
        {"body": "Will it bruise?", "submission_key": str(uuid.uuid4())},
    )
    assert sent.status_code == 302, sent.content.decode()[:2000]
    sent = portal.post(reverse("portal_close_account"), {"reason": "Moving abroad"})
    assert sent.status_code in (200, 302), sent.content.decode()[:2000]

    with TestCase.captureOnCommitCallbacks(execute=True), acting_for(org):
        signin_links.send(me.email, absolute_url=lambda p: "https://clinic.test" + p)
    signin_token = _mailed_token("/portal/sign-in/")
    with TestCase.captureOnCommitCallbacks(execute=True), acting_for(org):
        portal_services.invite(desk, newcomer, absolute_url=lambda p: "https://clinic.test" + p)
    portal_invitation_token = _mailed_token("/portal/invitation/")
    with TestCase.captureOnCommitCallbacks(execute=True), acting_for(org):
        account_services.invite(
            users["owner"], "new@walk.clinic", Role.ESTHETICIAN,
            absolute_url=lambda p: "https://clinic.test" + p,
        )  # fmt: skip
    invitation_token = _mailed_token("/accounts/invitation/")
    feed_token = "walk-feed-token-" + uuid.uuid4().hex
    with acting_for(org):
        CalendarFeed.objects.create(user=doc, token_hash=hash_token(feed_token))
        symptom_report = SymptomReport.objects.get()
        reported_entry = ReportedEntry.objects.order_by("position").first()
        closure_request = ClosureRequest.objects.get()
        consent_question = ConsentMessage.objects.get()
    api_token, _ = api_tokens.create(doc, name="Walk", scopes=["read"], days=5)
    with acting_for(org):
        invoice = Invoice.objects.create(
            patient=patient, site=site, kind="invoice", currency=org.currency,
            total_net=Decimal("120.00"), total_gross=Decimal("120.00"), changed_by=desk,
        )  # fmt: skip
        Invoice.objects.filter(pk=invoice.pk).update(
            status="issued", number=1, issued_at=timezone.now(), issued_by=desk
        )
        payment = payment_services.take_payment(
            desk, patient, site=site, method="cash", amount=Decimal("50.00"),
            submission_key=uuid.uuid4(),
        ).row  # fmt: skip
        prices.save_version(
            users["owner"],
            prices.NewPrices(
                currency="USD", consultation=None, numbing=None, areas={}, products={},
                packages=[prices.Package("Chin course of 3", protocol, 3, Decimal("450.00"))],
            ),
        )  # fmt: skip
        package = packages.sell(
            desk, patient, site=site, name="Chin course of 3", protocol=protocol, sessions=3,
            price=Decimal("450.00"), submission_key=uuid.uuid4(),
        )  # fmt: skip
    with acting_for(org):
        lot.refresh_from_db()
        count, _ = stock_count.record_count(
            doc, site, [stock_count.Counted(lot.pk, lot.vials_left, lot.vials_left, "")],
            uuid.uuid4(),
        )  # fmt: skip

    with acting_for(org):
        export_job = ExportJob.objects.create(
            requested_by=users["owner"], submission_key=uuid.uuid4(), status="done",
            path="exports/none.zip.enc", expires_at=timezone.now() + timedelta(days=7),
        )  # fmt: skip

    return {
        "export_job": export_job,
        "org": org,
        "users": {**users, "patient": me},
        "patient": patient,
        "allergy": allergy,
        "medication": medication,
        "condition": condition,
        "colleague": users["esthetician"],
        "practitioner": doc,
        "licence": licence,
        "site": site,
        "room": clinic["rooms"][0],
        "treatment": clinic["treatment"],
        "draft_plan": draft,
        "approved_plan": approved,
        "consented_plan": consented,
        "consent": consent,
        "course": course,
        "lot": lot,
        "lot_number": lot.lot_number,
        "protocol": protocol,
        "session": session,
        "session_area": area,
        "adverse_event": event,
        "follow_up": follow_up,
        "assessment": assessment,
        "photo": photo,
        "photo_consent": photo_consent,
        "appointment": appointment,
        "symptom_report": symptom_report,
        "reported_entry": reported_entry,
        "closure_request": closure_request,
        "consent_question": consent_question,
        "signin_token": signin_token,
        "portal_invitation_token": portal_invitation_token,
        "invitation_token": invitation_token,
        "feed_token": feed_token,
        "api_token": api_token,
        "stock_count": count,
        "invoice": invoice,
        "payment": payment,
        "package": package,
    }


@pytest.fixture(scope="module")
def world_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once in a transaction every test of the module runs inside (in a
    savepoint of its own) and rolled back at the end."""
    photos = str(tmp_path_factory.mktemp("walk-photos"))
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with override_settings(
                # What conftest's function-scoped `_test_settings` sets for each test.
                STORAGES=_with_photos_at(photos),
                SECURE_SSL_REDIRECT=False,
                PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            ):
                started = time.monotonic()
                built = build_world()
                print(f"\nthe walk's world took {time.monotonic() - started:.1f} s to build")
                sessions = {
                    name: client_for(user).cookies[django_settings.SESSION_COOKIE_NAME].value
                    for name, user in built["users"].items()
                }
            yield built, sessions, photos
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(world_once, db, settings):
    built, sessions, photos = world_once
    settings.STORAGES = _with_photos_at(photos)
    return built, sessions


# --- one request, judged ----------------------------------------------------------------


def fill(value: str, world: Mapping[str, Any]) -> str:
    if not value.startswith(("@", "$")):
        return value
    found = world[value[1:]]
    return str(getattr(found, "public_id", found))


def names_our_object(entry: Row) -> bool:
    values = (*entry.args.values(), *entry.query.values(), *entry.form.values())
    return any(v.startswith("@") for v in values)


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def shows_our_patient(response) -> bool:
    return any(name in response.walked_body for name in LAST_NAME_SPELLINGS)


def is_login_redirect(response) -> bool:
    login = reverse("login")
    return response.status_code == 302 and response["Location"].startswith(login)


def refused(response, entry: Row) -> bool:
    login = is_login_redirect(response) and not entry.login_is_the_answer
    return response.status_code in (401, 403, 404) or login


def ask(client: Client, url: str, form: Mapping[str, str]) -> tuple[str, Any]:
    """GET, or an empty POST where the view takes only POST; rolled back either way."""
    from django.core.cache import cache

    cache.clear()  # a page cached inside a rolled-back write must not outlive it
    with transaction.atomic():
        response = client.get(url)
        method = "GET"
        if response.status_code == 405:
            response, method = client.post(url, form), "POST"
        body = body_of(response)
        transaction.set_rollback(True)
    assert response.status_code != 405, f"{url} takes neither GET nor POST"
    response.walked_body = body
    return method, response


def expected(entry: Row, persona: str) -> bool:
    if persona == "outsider":
        return "owner" in entry.access and not names_our_object(entry)
    return persona in entry.access


def judge(entry: Row, persona: str, path: str, method: str, response) -> str:
    """What is wrong with this answer, or ''."""
    status = response.status_code
    said = f"{persona} {method} {path} -> {status}"
    grant = expected(entry, persona)
    if grant:
        return f"{said}: refused, the table grants it" if refused(response, entry) else ""
    if not refused(response, entry):
        return f"{said}: granted, the table refuses it"
    if persona != "patient" and shows_our_patient(response):  # her own name is hers to see
        return f"{said}: refused but shows our patient's name"
    if persona == "outsider" and names_our_object(entry) and "owner" in entry.access:
        return "" if status == 404 else f"{said}: another organization's object must be 404"
    if persona == "anonymous" and entry.access:
        # The API and FHIR answer 401; the API's HTML docs send to the log-in page like every page.
        ok = is_login_redirect(response) or (path.startswith(("/api/", "/fhir/")) and status == 401)
        return "" if ok else f"{said}: nobody signed in must be sent to log in"
    if persona == "patient" and not path.startswith(PORTAL_OPEN):
        return "" if status == 404 else f"{said}: outside the portal a patient gets 404"
    return ""


@pytest.mark.parametrize("route", [r for r in ROUTES if r.key in TABLE], ids=lambda r: r.key)
def test_the_url_answers_each_persona_as_the_table_says(route, world):
    built, sessions = world
    entry = TABLE[route.key]
    path = reverse(route.name, kwargs={k: fill(v, built) for k, v in entry.args.items()})
    if entry.query:
        from urllib.parse import urlencode

        path += "?" + urlencode({k: fill(v, built) for k, v in entry.query.items()})
    wrong = []
    for persona in PERSONAS:
        client = Client()
        if persona in sessions:
            client.cookies[django_settings.SESSION_COOKIE_NAME] = sessions[persona]
        form = {k: fill(v, built) for k, v in entry.form.items()}
        method, response = ask(client, path, form)
        problem = judge(entry, persona, path, method, response)
        if not problem and persona == "outsider" and shows_our_patient(response):
            problem = f"outsider {method} {path}: shows our patient's name"
        if problem:
            wrong.append(problem)
    assert not wrong, "\n".join(wrong)
