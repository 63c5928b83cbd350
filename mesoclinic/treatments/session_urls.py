from django.urls import path

from mesoclinic.treatments import session_views as views

urlpatterns = [
    path("sessions/new/for/<uuid:public_id>/", views.session_start, name="session_start"),
    path(
        "sessions/new/adhoc/for/<uuid:public_id>/",
        views.session_start_adhoc,
        name="session_start_adhoc",
    ),
    path("sessions/<uuid:public_id>/", views.session_detail, name="session_detail"),
    path("sessions/<uuid:public_id>/chart/", views.session_chart, name="session_chart"),
    path(
        "sessions/<uuid:public_id>/chart/<uuid:row_id>/remove/",
        views.session_remove_row,
        name="session_remove_row",
    ),
    path(
        "sessions/<uuid:public_id>/chart/<uuid:row_id>/point/",
        views.session_point,
        name="session_point",
    ),
    path("sessions/<uuid:public_id>/sign/", views.session_sign, name="session_sign"),
    path("sessions/<uuid:public_id>/amend/", views.session_amend, name="session_amend"),
    path("sessions/<uuid:public_id>/void/", views.session_void, name="session_void"),
    path("sessions/<uuid:public_id>/aftercare/", views.session_aftercare, name="session_aftercare"),
    path(
        "sessions/<uuid:public_id>/aftercare.pdf",
        views.session_aftercare_pdf,
        name="session_aftercare_pdf",
    ),
]
