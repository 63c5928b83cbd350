from django.urls import path

from mesoclinic.portal import (
    appointment_views,
    consent_views,
    contact_views,
    data_views,
    pro_views,
    questionnaire_views,
    report_views,
    signin_views,
    staff_views,
    two_factor_views,
    views,
)

urlpatterns = [
    path("portal/", views.home, name="portal_home"),
    path("portal/invitation/<str:token>/", views.accept, name="portal_accept"),
    path("portal/documents/", views.documents, name="portal_documents"),
    path("portal/consents/<uuid:public_id>.pdf", views.consent_pdf, name="portal_consent_pdf"),
    path("portal/aftercare/<uuid:public_id>/", views.aftercare, name="portal_aftercare"),
    path("portal/aftercare/<uuid:public_id>.pdf", views.aftercare_pdf, name="portal_aftercare_pdf"),
    path("portal/appointments/", views.appointments, name="portal_appointments"),
    path("portal/quotes/<uuid:public_id>/", views.quote, name="portal_quote"),
    path("portal/quotes/<uuid:public_id>/accept/", views.quote_accept, name="portal_quote_accept"),
    path("portal/who-opened-my-record/", views.access_log, name="portal_access"),
    # The clinic's side: inviting a patient from their chart.
    path(
        "patients/<uuid:patient_id>/portal-invitation/",
        staff_views.invite,
        name="portal_invite",
    ),
]

# Symptom reports (portal/reports.py): the patient's check-in and the clinic's queue.
urlpatterns += [
    path("portal/how-are-you/", report_views.checkin_form, name="portal_checkin"),
    path("portal/reports/<uuid:public_id>/", report_views.report_sent, name="portal_report"),
    path("reports/", report_views.report_queue, name="report_queue"),
    path("reports/<uuid:public_id>/", report_views.report_detail, name="report_detail"),
    path("reports/<uuid:public_id>/review/", report_views.report_review, name="report_review"),
]

# The patient acting on their own appointments (portal/appointment_views.py).
urlpatterns += [
    path(
        "portal/appointments/<uuid:public_id>/confirm/",
        appointment_views.confirm,
        name="portal_appointment_confirm",
    ),
    path(
        "portal/appointments/<uuid:public_id>/cancel/",
        appointment_views.cancel,
        name="portal_appointment_cancel",
    ),
    path(
        "portal/appointments/<uuid:public_id>/move/",
        appointment_views.move,
        name="portal_appointment_move",
    ),
    path(
        "portal/appointments/<uuid:public_id>.ics",
        appointment_views.calendar_file,
        name="portal_appointment_ics",
    ),
]

# The medical history questionnaire (portal/questionnaire.py) and its review.
urlpatterns += [
    path("portal/questionnaire/", questionnaire_views.answer, name="portal_questionnaire"),
    path(
        "patients/<uuid:patient_id>/portal-answers/",
        questionnaire_views.review,
        name="portal_answers",
    ),
    path("portal-answers/<uuid:public_id>/add/", questionnaire_views.add, name="portal_answer_add"),
    path(
        "portal-answers/<uuid:public_id>/not-recorded/",
        questionnaire_views.decline,
        name="portal_answer_decline",
    ),
]

# The patient's own ratings of their treatment (portal/pros.py).
urlpatterns += [
    path("portal/ratings/", pro_views.scores, name="portal_scores"),
    path("portal/ratings/<slug:instrument>/", pro_views.rate, name="portal_rate"),
]

# The patient's own data, closing the account, and signing in with an emailed link.
urlpatterns += [
    path("portal/my-data/", data_views.my_data, name="portal_my_data"),
    path("portal/my-data/record.zip", data_views.my_data_download, name="portal_my_data_zip"),
    path("portal/close-account/", data_views.close_account, name="portal_close_account"),
    path("portal/sign-in-link/", signin_views.ask_link, name="portal_signin_link"),
    path("portal/sign-in/<str:token>/", signin_views.use_link, name="portal_signin"),
    path("portal-accounts/closures/", data_views.closure_requests, name="portal_closure_requests"),
    path(
        "portal-accounts/closures/<uuid:public_id>/close/",
        data_views.closure_close,
        name="portal_closure_close",
    ),
]

# Consent from home, questions about it, and kiosk mode (portal/consent_views.py).
urlpatterns += [
    path("portal/consent/<uuid:plan_id>/", consent_views.consent_page, name="portal_consent"),
    path(
        "portal/consent/<uuid:plan_id>/questions/",
        consent_views.consent_ask,
        name="portal_consent_ask",
    ),
    path(
        "plans/<uuid:plan_id>/consent-questions/",
        consent_views.questions,
        name="consent_questions",
    ),
    path(
        "consent-questions/<uuid:question_id>/answer/",
        consent_views.answer,
        name="consent_question_answer",
    ),
    path("plans/<uuid:plan_id>/kiosk/", consent_views.kiosk_start, name="consent_kiosk_start"),
    path("kiosk/", consent_views.kiosk_page, name="consent_kiosk"),
    path("kiosk/give-back/", consent_views.kiosk_leave, name="consent_kiosk_leave"),
]

# The optional second sign-in step (portal/two_factor.py).
urlpatterns += [
    path("portal/signing-in/", two_factor_views.settings_page, name="portal_two_factor"),
    path("portal/messages/", contact_views.contact_page, name="portal_contact"),
    path("portal/code/", two_factor_views.verify, name="portal_verify"),
]
