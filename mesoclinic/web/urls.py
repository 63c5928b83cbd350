"""Pages above the apps: home, health, the patient chart and the audit log."""

from django.urls import path

from mesoclinic.web import audit_views, chart, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("patients/<uuid:public_id>/", chart.patient_detail, name="patient_detail"),
    path("audit/", audit_views.audit_log, name="audit_log"),
]
