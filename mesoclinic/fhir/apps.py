from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "mesoclinic.fhir"
    label = "fhir"
