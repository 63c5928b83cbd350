from django.urls import path

from mesoclinic.scheduling import board_views, course_views, setup_views, views, visit_views

urlpatterns = [
    path("calendar/", board_views.calendar_home, name="calendar_home"),
    path("calendar/setup/", setup_views.diary_setup, name="diary_setup"),
    path(
        "calendar/setup/site/<uuid:public_id>/<str:kind>/",
        setup_views.setup_site,
        name="diary_setup_site",
    ),
    path(
        "calendar/setup/staff/<uuid:public_id>/<str:kind>/",
        setup_views.setup_staff,
        name="diary_setup_staff",
    ),
    path("calendar/setup/treatment/", setup_views.setup_treatment, name="diary_setup_treatment"),
    path(
        "calendar/setup/<str:kind>/<uuid:public_id>/remove/",
        setup_views.setup_remove,
        name="diary_setup_remove",
    ),
    path(
        "calendar/<str:kind>/<uuid:public_id>/<str:span>/",
        board_views.calendar_board,
        name="calendar_board",
    ),
    path(
        "calendar/<str:kind>/<uuid:public_id>/<str:span>/move/",
        board_views.board_move,
        name="calendar_board_move",
    ),
    path("appointments/new/slots/", views.appointment_new_slots, name="appointment_new_slots"),
    path("appointments/new/", views.appointment_new, name="appointment_new"),
    path("appointments/patients/", views.patient_picker, name="appointment_patient_picker"),
    path("appointments/<uuid:public_id>/", views.appointment_detail, name="appointment_detail"),
    path("appointments/<uuid:public_id>/move/", views.appointment_move, name="appointment_move"),
    path("appointments/<uuid:public_id>/slots/", views.appointment_slots, name="appointment_slots"),
    path(
        "appointments/<uuid:public_id>/check-in/",
        visit_views.appointment_check_in,
        name="appointment_check_in",
    ),
    path(
        "appointments/<uuid:public_id>/session/",
        visit_views.appointment_session_start,
        name="appointment_session_start",
    ),
    path(
        "appointments/<uuid:public_id>/<str:action>/",
        views.appointment_status,
        name="appointment_status",
    ),
    path("plans/<uuid:public_id>/course/", course_views.course_page, name="course_page"),
    path(
        "plans/<uuid:public_id>/course/propose/",
        course_views.course_propose,
        name="course_propose",
    ),
    path(
        "plans/<uuid:public_id>/course/confirm/",
        course_views.course_confirm,
        name="course_confirm",
    ),
    path(
        "plans/<uuid:public_id>/course/discard/",
        course_views.course_discard,
        name="course_discard",
    ),
]
