from django.urls import path

from mesoclinic.photos import (
    compare_views,
    consent_views,
    export_views,
    landmark_views,
    session_views,
    sheet_views,
    views,
)

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

urlpatterns += [
    path(
        "photos/for/<uuid:patient_id>/consent/<slug:scope>/",
        consent_views.consent_give,
        name="photo_consent_give",
    ),
    path(
        "photos/consent/<uuid:public_id>/revoke/",
        consent_views.consent_revoke,
        name="photo_consent_revoke",
    ),
    path("photos/export/", export_views.photo_export, name="photo_export"),
]

# Comparison (photos/compare.py): two photos of one view, lined up by the pupils.
urlpatterns += [
    path(
        "photos/for/<uuid:patient_id>/compare/", compare_views.photo_compare, name="photo_compare"
    ),
]

# The comparison sheet (photos/sheet.py) for the consultation, as a page and a PDF.
urlpatterns += [
    path("photos/for/<uuid:patient_id>/sheet/", sheet_views.photo_sheet, name="photo_sheet"),
    path(
        "photos/for/<uuid:patient_id>/sheet.pdf",
        sheet_views.photo_sheet_pdf,
        name="photo_sheet_pdf",
    ),
]
