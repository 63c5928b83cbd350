from django.urls import URLPattern, path

from mesoclinic.fhir import views
from mesoclinic.fhir.kinds import KINDS

app_name = "fhir"


def _kind(name: str) -> list[URLPattern]:
    slug = name.lower()
    return [
        path(name, views.search_view, {"kind": name}, name=f"{slug}_search"),
        path(f"{name}/<uuid:id>", views.read_view, {"kind": name}, name=f"{slug}_read"),
    ]


urlpatterns = [
    path("metadata", views.metadata_view, name="metadata"),
    path("CodeSystem/<str:id>", views.code_system_view, name="code_system"),
    path("Patient/<uuid:id>/$everything", views.everything_view, name="patient_everything"),
    path("Binary/<uuid:id>", views.binary_view, name="binary_read"),
    *(pattern for name in KINDS for pattern in _kind(name)),
    path("<path:rest>", views.unknown_view, name="unknown"),
]
