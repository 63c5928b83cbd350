"""Where a plan's quote comes from when the clinic has a price list (issue 17).

Plans sit below billing in the layers, yet the quote should use the clinic's prices.
Billing registers a provider here in its `AppConfig.ready`; `quote.itemized_quote`
asks it first and keeps the engine's range when it answers None (no price list yet).
The provider returns the same shape as `itemized_quote`, plus `exact` (True),
`unpriced` (names of lines with no price yet) and `price_list_version`.
"""

from collections.abc import Callable
from typing import Any

from mesoclinic.accounts.models import Organization

Provider = Callable[[dict[str, Any], Organization], dict[str, Any] | None]

_providers: list[Provider] = []


def register(provider: Provider) -> None:
    """Set the provider; registering the same one again (a second `ready()`) changes nothing."""
    if provider not in _providers:
        _providers.append(provider)


def provided(result: dict[str, Any], organization: Organization) -> dict[str, Any] | None:
    for provider in _providers:
        quote = provider(result, organization)
        if quote is not None:
            return quote
    return None
