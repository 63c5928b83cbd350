from django.urls import path

from mesoclinic.billing import acceptance_views, invoice_views, price_views

urlpatterns = [
    path("billing/prices/", price_views.price_list, name="price_list"),
    path(
        "billing/plans/<uuid:public_id>/acceptance/",
        acceptance_views.quote_acceptance,
        name="quote_acceptance",
    ),
    path("billing/invoices/", invoice_views.invoice_list, name="invoice_list"),
    path("billing/invoices/<uuid:public_id>/", invoice_views.invoice_detail, name="invoice_detail"),
    path(
        "billing/invoices/<uuid:public_id>/lines/",
        invoice_views.invoice_line_add,
        name="invoice_line_add",
    ),
    path(
        "billing/invoices/<uuid:public_id>/issue/",
        invoice_views.invoice_issue,
        name="invoice_issue",
    ),
    path(
        "billing/invoices/<uuid:public_id>/credit/",
        invoice_views.invoice_credit,
        name="invoice_credit",
    ),
    path("billing/invoices/<uuid:public_id>.pdf", invoice_views.invoice_pdf, name="invoice_pdf"),
    path(
        "billing/sessions/<uuid:public_id>/invoice/",
        invoice_views.session_invoice,
        name="session_invoice",
    ),
    path(
        "billing/patients/<uuid:patient_id>/invoices/new/",
        invoice_views.patient_invoice_new,
        name="patient_invoice_new",
    ),
]
