from django.urls import path

from mesoclinic.treatments import safety_views as views

# Under adverse-events/, not patients/<uuid>/...: that prefix's <slug:kind>/new/ would catch it.
urlpatterns = [
    path(
        "adverse-events/new/for/<uuid:patient_id>/",
        views.adverse_event_new,
        name="adverse_event_new",
    ),
    path(
        "adverse-events/<uuid:public_id>/", views.adverse_event_detail, name="adverse_event_detail"
    ),
    path(
        "adverse-events/<uuid:public_id>/update/",
        views.adverse_event_update,
        name="adverse_event_update",
    ),
    path(
        "adverse-events/<uuid:public_id>/void/",
        views.adverse_event_void,
        name="adverse_event_void",
    ),
    path("safety/", views.safety_list, name="safety_list"),
    path("follow-ups/", views.followup_list, name="followup_list"),
    path("follow-ups/<uuid:public_id>/done/", views.followup_done, name="followup_done"),
]
