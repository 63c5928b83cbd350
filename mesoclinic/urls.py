from django.urls import include, path

from mesoclinic.api.views import api

urlpatterns = [
    path("", include("mesoclinic.web.urls")),
    path("accounts/", include("mesoclinic.accounts.urls")),
    path("patients/", include("mesoclinic.patients.urls")),
    path("imports/", include("mesoclinic.imports.urls")),
    path("api/v1/", api.urls),
    path("fhir/R4/", include("mesoclinic.fhir.urls")),
    path("exports/", include("mesoclinic.exports.urls")),
    path("accounts/api-tokens/", include("mesoclinic.api.urls")),
    path("", include("mesoclinic.plans.urls")),
    path("", include("mesoclinic.treatments.safety_urls")),
    path("", include("mesoclinic.treatments.session_urls")),
    path("", include("mesoclinic.treatments.inventory_urls")),
    path("", include("mesoclinic.scheduling.urls")),
    path("", include("mesoclinic.outcomes.urls")),
    path("", include("mesoclinic.billing.urls")),
    path("", include("mesoclinic.photos.urls")),
    path("", include("mesoclinic.notifications.feed_urls")),
    path("", include("mesoclinic.notifications.urls")),
    path("", include("mesoclinic.portal.urls")),
    path("", include("mesoclinic.payments.urls")),
]

handler400 = "mesoclinic.web.errors.bad_request"
handler403 = "mesoclinic.web.errors.forbidden"
handler404 = "mesoclinic.web.errors.not_found"
handler500 = "mesoclinic.web.errors.server_error"
