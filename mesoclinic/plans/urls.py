from django.urls import path

from mesoclinic.plans import consent_views, views

urlpatterns = [
    path("plans/new/for/<uuid:public_id>/", views.plan_new, name="plan_new"),
    path("plans/<uuid:public_id>/", views.plan_editor, name="plan_editor"),
    path("plans/<uuid:public_id>/areas/", views.plan_add_area, name="plan_add_area"),
    path(
        "plans/<uuid:public_id>/items/<int:index>/", views.plan_update_item, name="plan_update_item"
    ),
    path(
        "plans/<uuid:public_id>/items/<int:index>/remove/",
        views.plan_remove_item,
        name="plan_remove_item",
    ),
    path("plans/<uuid:public_id>/points/", views.plan_point, name="plan_point"),
    path("plans/<uuid:public_id>/start/", views.plan_start, name="plan_start"),
    path("plans/<uuid:public_id>/override/", views.plan_override, name="plan_override"),
    path("plans/<uuid:public_id>/approve/", views.plan_approve, name="plan_approve"),
    path("plans/<uuid:public_id>/reopen/", views.plan_reopen, name="plan_reopen"),
    path("plans/<uuid:public_id>/quote/", views.plan_quote, name="plan_quote"),
    path("plans/<uuid:public_id>/propose/", views.plan_propose, name="plan_propose"),
    path("plans/<uuid:public_id>/cancel/", views.plan_cancel, name="plan_cancel"),
    path("plans/<uuid:public_id>/consent/", consent_views.consent_new, name="consent_new"),
    path("consents/<uuid:public_id>/", consent_views.consent_detail, name="consent_detail"),
    path(
        "consents/<uuid:public_id>/countersign/",
        consent_views.consent_countersign,
        name="consent_countersign",
    ),
    path("consents/<uuid:public_id>/revoke/", consent_views.consent_revoke, name="consent_revoke"),
    path("consents/<uuid:public_id>/pdf/", consent_views.consent_pdf, name="consent_pdf"),
    path("settings/consent/", consent_views.consent_template, name="consent_template"),
]
