from django.urls import path

from mesoclinic.api import token_views

urlpatterns = [
    path("", token_views.token_list, name="api_tokens"),
    path("integrations/", token_views.integration_create, name="api_integration_create"),
    path("<uuid:public_id>/revoke/", token_views.token_revoke, name="api_token_revoke"),
]
