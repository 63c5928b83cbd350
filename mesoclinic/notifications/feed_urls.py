from django.urls import path

from mesoclinic.notifications import feed_views

urlpatterns = [
    path("calendar/feed/", feed_views.my_feed, name="my_calendar_feed"),
    path("calendar/feed/new/", feed_views.new_feed, name="new_calendar_feed"),
    path("calendar/feed/revoke/", feed_views.revoke_feed, name="revoke_calendar_feed"),
    path("calendar/feed/<str:token>.ics", feed_views.feed, name="calendar_feed"),
    path(
        "patients/<uuid:public_id>/appointments.ics",
        feed_views.patient_calendar,
        name="patient_calendar",
    ),
]
