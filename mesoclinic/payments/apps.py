from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "mesoclinic.payments"

    def ready(self) -> None:
        """A signed session of a package's protocol draws one session from the package;
        treatments cannot import payments, so the hook is registered with it here."""
        from mesoclinic.accounts.roles import Role
        from mesoclinic.payments import packages, today
        from mesoclinic.scheduling import today_sections
        from mesoclinic.treatments import sign_hooks

        sign_hooks.register(packages.session_signed)
        # What is still to bill and what is still owed, on the desk's and the owner's Today.
        for role in (Role.RECEPTION, Role.OWNER):
            today_sections.register(role, today.sessions_to_invoice)
            today_sections.register(role, today.payments_due)
