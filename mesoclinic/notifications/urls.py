from django.urls import path

from mesoclinic.notifications import message_views, views

urlpatterns = [
    path("reminders/", views.reminder_list, name="reminder_list"),
    path("messages/", message_views.message_list, name="message_list"),
    path(
        "patients/<uuid:public_id>/messages/",
        message_views.patient_messages,
        name="patient_messages",
    ),
]
