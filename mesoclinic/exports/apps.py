from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "mesoclinic.exports"
    label = "exports"
