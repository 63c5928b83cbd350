from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "mesoclinic.audit"

    def ready(self) -> None:
        from mesoclinic.audit import signals  # noqa: F401
