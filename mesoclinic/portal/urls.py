from django.urls import path

from mesoclinic.portal import consent_views, report_views, staff_views, views

urlpatterns = [
    path("portal/", views.home, name="portal_home"),
    path("portal/invitation/<str:token>/", views.accept, name="portal_accept"),
    path("portal/documents/", views.documents, name="portal_documents"),
    path("portal/consents/<uuid:public_id>.pdf", views.consent_pdf, name="portal_consent_pdf"),
    path("portal/aftercare/<uuid:public_id>/", views.aftercare, name="portal_aftercare"),
    path("portal/aftercare/<uuid:public_id>.pdf", views.aftercare_pdf, name="portal_aftercare_pdf"),
    path("portal/appointments/", views.appointments, name="portal_appointments"),
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
