from django.http import HttpRequest

from mesoclinic.accounts import roles


def role(request: HttpRequest) -> dict[str, bool]:
    user = request.user
    return {
        "can_view_clinical": roles.can(user, roles.VIEW_CLINICAL),
        "can_edit_clinical": roles.can(user, roles.EDIT_CLINICAL),
        "can_sign_clinical": roles.can(user, roles.SIGN_CLINICAL),
        "can_manage_staff": roles.can(user, roles.MANAGE_STAFF),
        "can_view_audit": roles.can(user, roles.VIEW_AUDIT),
        "can_export_photos": roles.can(user, roles.EXPORT_PHOTOS),
        "can_edit_demographics": roles.can(user, roles.EDIT_DEMOGRAPHICS),
        "can_view_prices": roles.can(user, roles.VIEW_PRICES),
        "can_bill": roles.can(user, roles.BILLING),
    }
