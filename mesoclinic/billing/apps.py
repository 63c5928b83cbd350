from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "mesoclinic.billing"

    def ready(self) -> None:
        """Plans cannot import billing: the exact quote is registered with them here."""
        from mesoclinic.billing.quotes import exact_quote
        from mesoclinic.plans import quote_hooks

        quote_hooks.register(exact_quote)
