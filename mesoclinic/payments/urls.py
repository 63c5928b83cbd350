from django.urls import path

from mesoclinic.payments import report_views, views

urlpatterns = [
    path("payments/patients/<uuid:patient_id>/", views.account, name="payment_account"),
    path("payments/patients/<uuid:patient_id>/take/", views.take, name="payment_take"),
    path(
        "payments/patients/<uuid:patient_id>/packages/sell/",
        views.sell_package,
        name="payment_sell_package",
    ),
    path("payments/<uuid:payment_id>/refund/", views.refund, name="payment_refund"),
    path(
        "payments/invoices/<uuid:invoice_id>/panel/",
        views.invoice_panel,
        name="payment_invoice_panel",
    ),
]

urlpatterns += [
    path("payments/reports/day/", report_views.end_of_day, name="payment_report_day"),
    path("payments/reports/month/", report_views.revenue, name="payment_report_month"),
]
