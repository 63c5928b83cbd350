from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "mesoclinic.notifications"

    def ready(self) -> None:
        # The aftercare sheet (treatments, below this app) is logged like every message.
        from mesoclinic.notifications import delivery
        from mesoclinic.treatments import tasks

        tasks.register_mailer(delivery.email_requested)
