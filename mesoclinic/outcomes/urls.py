from django.urls import path

from mesoclinic.outcomes import evidence_views, views

urlpatterns = [
    path("outcomes/for/<uuid:patient_id>/", views.patient_outcomes, name="patient_outcomes"),
    path(
        "outcomes/for/<uuid:patient_id>/follow-ups/",
        views.follow_ups_propose,
        name="follow_ups_propose",
    ),
    path(
        "outcomes/for/<uuid:patient_id>/trajectories/",
        views.patient_trajectories,
        name="patient_trajectories",
    ),
    path(
        "outcomes/for/<uuid:patient_id>/new/<slug:instrument>/",
        views.assessment_new,
        name="assessment_new",
    ),
    path(
        "outcomes/for/<uuid:patient_id>/new/<slug:instrument>/score/",
        views.assessment_score,
        name="assessment_score",
    ),
    path("outcomes/<uuid:public_id>/", views.assessment_detail, name="assessment_detail"),
    path("outcomes/<uuid:public_id>/amend/", views.assessment_amend, name="assessment_amend"),
    path("evidence/", evidence_views.evidence_page, name="evidence"),
    path("evidence/export.csv", evidence_views.evidence_csv, name="evidence_csv"),
    path("evidence/table.csv", evidence_views.evidence_table_csv, name="evidence_table_csv"),
]
