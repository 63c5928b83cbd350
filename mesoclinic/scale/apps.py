from django.apps import AppConfig


class ScaleConfig(AppConfig):
    name = "mesoclinic.scale"
    label = "scale"
    verbose_name = "Scale data for benchmarks"
