from django.urls import path

from mesoclinic.portal import appointment_views, staff_views, views

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
