"""What the patient photos page shows: the consent panel, the form, the photos by view.

Shared by the photo views and the consent views, which show the page again with a
refused form.
"""

from typing import Any

from mesoclinic.patients.models import Patient
from mesoclinic.photos import catalogue, consent, forms
from mesoclinic.photos.models import SCOPE_MEANING, ConsentScope, Photo


def context(
    patient: Patient,
    form: forms.PhotoForm,
    *,
    give_forms: dict[str, forms.GiveConsentForm] | None = None,
    revoke_forms: dict[str, forms.RevokeConsentForm] | None = None,
) -> dict[str, Any]:
    photos = list(
        Photo.objects.filter(patient=patient)
        .select_related("taken_by")
        .order_by("-taken_at", "-id")
    )
    shown = [p for p in photos if not p.is_voided]
    groups = [(view, [p for p in shown if p.view == view.slug]) for view in catalogue.VIEWS]
    groups = [(view, found) for view, found in groups if found]
    return consent_context(patient, give_forms=give_forms, revoke_forms=revoke_forms) | {
        "form": form,
        "groups": groups,
        # The live camera's ghost: each view's first photo (newest first, so the last),
        # from the photos already read; only views with a photo.
        "baselines": [(view, found[-1]) for view, found in groups],
        "voided": [p for p in photos if p.is_voided],
    }


def consent_context(
    patient: Patient,
    *,
    give_forms: dict[str, forms.GiveConsentForm] | None = None,
    revoke_forms: dict[str, forms.RevokeConsentForm] | None = None,
) -> dict[str, Any]:
    """The three scopes with their state and the form each offers (two queries)."""
    given = consent.history(patient)
    live = {c.scope: c for c in given if not c.is_voided}
    give_forms = give_forms or {}
    revoke_forms = revoke_forms or {}
    scopes = []
    for scope in ConsentScope:
        current = live.get(scope.value)
        scopes.append(
            {
                "scope": scope,
                "meaning": SCOPE_MEANING[scope],
                "live": current,
                "revoked": next((c for c in given if c.scope == scope.value and c.is_voided), None),
                "give_form": None
                if current
                else give_forms.get(scope.value, forms.GiveConsentForm(prefix=scope.value)),
                # A form sent for a purpose already in force (from a stale page).
                "refusal": " ".join(str(e) for e in give_forms[scope.value].non_field_errors())
                if current and scope.value in give_forms
                else "",
                "revoke_form": revoke_forms.get(
                    scope.value, forms.RevokeConsentForm(prefix=scope.value)
                )
                if current
                else None,
            }
        )
    return {
        "patient": patient,
        "consent_scopes": scopes,
        "clinical_consent": ConsentScope.CLINICAL.value in live,
    }
