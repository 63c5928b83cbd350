from django.urls import path

from mesoclinic.treatments import count_views
from mesoclinic.treatments import inventory_views as views

urlpatterns = [
    path("lots/", views.lot_list, name="lot_list"),
    path("lots/new/", views.lot_new, name="lot_new"),
    path("lots/levels/", views.stock_levels, name="stock_levels"),
    path("lots/recall/", views.lot_recall_search, name="lot_recall"),
    path("lots/count/", count_views.stock_count_page, name="stock_count"),
    path(
        "lots/counts/<uuid:public_id>/", count_views.stock_count_detail, name="stock_count_detail"
    ),
    path("lots/<uuid:public_id>/", views.lot_detail, name="lot_detail"),
    path("lots/<uuid:public_id>/recall/", views.lot_recall, name="lot_mark_recalled"),
]
