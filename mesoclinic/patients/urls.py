from django.urls import path

from mesoclinic.patients import views

urlpatterns = [
    path("", views.patient_list, name="patient_list"),
    path("new/", views.patient_new, name="patient_new"),
    # The chart itself (/patients/<id>/) is web.chart: it composes several apps.
    path("<uuid:public_id>/edit/", views.patient_edit, name="patient_edit"),
    path("<uuid:public_id>/changes/", views.patient_changes, name="patient_changes"),
    path("<uuid:public_id>/<slug:kind>/new/", views.entry_add, name="entry_add"),
    path("<uuid:public_id>/allergy/<uuid:entry_id>/code/", views.allergy_code, name="allergy_code"),
    path("<uuid:public_id>/<slug:kind>/<uuid:entry_id>/void/", views.entry_void, name="entry_void"),
]
