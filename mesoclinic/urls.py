from django.urls import include, path

from mesoclinic.api.views import api
from mesoclinic.audit.views import audit_log
from mesoclinic.web import views as web

urlpatterns = [
    path("", web.home, name="home"),
    path("healthz", web.healthz, name="healthz"),
    path("accounts/", include("mesoclinic.accounts.urls")),
    path("patients/", include("mesoclinic.patients.urls")),
    path("audit/", audit_log, name="audit_log"),
    path("api/v1/", api.urls),
    path("", include("mesoclinic.plans.urls")),
    path("", include("mesoclinic.treatments.safety_urls")),
    path("", include("mesoclinic.treatments.session_urls")),
    path("", include("mesoclinic.treatments.inventory_urls")),
    path("", include("mesoclinic.scheduling.urls")),
    path("", include("mesoclinic.scheduling.feed_urls")),
    path("", include("mesoclinic.notifications.urls")),
]
