from django.urls import path

from mesoclinic.imports import views

urlpatterns = [
    path("", views.patient_import, name="patient_import"),
    path("confirm/", views.import_confirm, name="import_confirm"),
    path("template.csv", views.import_template, name="import_template"),
    path("appointments/", views.appointment_import, name="appointment_import"),
    path(
        "appointments/confirm/",
        views.appointment_import_confirm,
        name="appointment_import_confirm",
    ),
    path("appointments/template.csv", views.appointment_template, name="appointment_template"),
]
