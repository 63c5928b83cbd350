from django.contrib.auth import views as auth_views
from django.urls import path

from mesoclinic.accounts import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("staff/", views.staff_list, name="staff_list"),
    path("clinic/", views.clinic_settings, name="clinic_settings"),
    path("staff/invite/", views.staff_invite, name="staff_invite"),
    path("staff/<uuid:public_id>/active/", views.staff_set_active, name="staff_set_active"),
    path("staff/<uuid:public_id>/licences/", views.licence_new, name="licence_new"),
    path("staff/licences/<uuid:public_id>/void/", views.licence_void, name="licence_void"),
    path("invitation/<str:token>/", views.accept_invitation, name="accept_invitation"),
]
