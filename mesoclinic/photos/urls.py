from django.urls import path

from mesoclinic.photos import landmark_views, session_views, views

urlpatterns = [
    path("photos/for/<uuid:patient_id>/", views.patient_photos, name="patient_photos"),
    path("photos/for/<uuid:patient_id>/add/", views.photo_add, name="photo_add"),
    path("photos/<uuid:public_id>/", views.photo_detail, name="photo_detail"),
    path("photos/<uuid:public_id>/void/", views.photo_void, name="photo_void"),
    # before the image pattern, whose <slug:kind> would take "landmarks"
    path(
        "photos/<uuid:public_id>/landmarks/",
        landmark_views.photo_landmarks,
        name="photo_landmarks",
    ),
    # kind: original, screen or thumb (any other is a 404 from the view)
    path("photos/<uuid:public_id>/<slug:kind>/", views.photo_image, name="photo_image"),
    path(
        "photos/for-session/<uuid:public_id>/views/",
        session_views.session_photo_views,
        name="session_photo_views",
    ),
]
