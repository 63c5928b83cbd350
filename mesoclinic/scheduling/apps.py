from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "mesoclinic.scheduling"

    def ready(self) -> None:
        """Signing a session started from an appointment completes it; treatments cannot
        import scheduling, so the hook is registered with it here."""
        from mesoclinic.scheduling import visits
        from mesoclinic.treatments import sign_hooks

        sign_hooks.register(visits.session_signed)
