from django.urls import path

from mesoclinic.notifications import views

urlpatterns = [path("reminders/", views.reminder_list, name="reminder_list")]
