from django.urls import path

from mesoclinic.billing import price_views

urlpatterns = [
    path("billing/prices/", price_views.price_list, name="price_list"),
]
