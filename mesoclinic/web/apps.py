from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "mesoclinic.web"
