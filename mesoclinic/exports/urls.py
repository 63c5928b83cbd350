from django.urls import path

from mesoclinic.exports import views

urlpatterns = [
    path("", views.export_list, name="export_list"),
    path("<uuid:public_id>/progress/", views.export_progress, name="export_progress"),
    path("<uuid:public_id>/download/", views.export_download, name="export_download"),
    path("<uuid:public_id>/delete/", views.export_delete, name="export_delete"),
]
