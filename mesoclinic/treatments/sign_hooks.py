"""What other apps do once a session is signed, without treatments importing them (issue 17).

Treatments sits below scheduling in the layers, yet signing a session started from an
appointment completes that appointment. Apps above register a hook here (in their
`AppConfig.ready`); `sessions.sign` calls every hook inside its transaction, after the
session is saved as signed, so each path that signs (the page, the API, a command) has
the same effect, and a hook that fails undoes the signature rather than half of it.
"""

from collections.abc import Callable

from mesoclinic.accounts.models import User
from mesoclinic.treatments.models import TreatmentSession

# A hook is told who signed which session; it changes its own app's records.
Hook = Callable[[User, TreatmentSession], None]

_hooks: list[Hook] = []


def register(hook: Hook) -> None:
    """Add a hook; registering the same one again (a second `ready()`) changes nothing."""
    if hook not in _hooks:
        _hooks.append(hook)


def signed(user: User, session: TreatmentSession) -> None:
    """Run every registered hook for a session just signed by `user`."""
    for hook in _hooks:
        hook(user, session)
