from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "mesoclinic.payments"

    def ready(self) -> None:
        """A signed session of a package's protocol draws one session from the package;
        treatments cannot import payments, so the hook is registered with it here."""
        from mesoclinic.payments import packages
        from mesoclinic.treatments import sign_hooks

        sign_hooks.register(packages.session_signed)
