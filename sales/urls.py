from django.urls import path

from sales.views import documents, offline, product_import, products, sales, till

app_name = "sales"

urlpatterns = [
    # The till (cashiers)
    path("till/", till.TillView.as_view(), name="till"),
    path("till/products/", till.TillProductSearchView.as_view(), name="till_product_search"),
    path("till/customers/", till.TillCustomerSearchView.as_view(), name="till_customer_search"),
    # The till without the link: what the browser keeps, and where its queue is sent
    path("till/products.json", offline.TillProductsView.as_view(), name="till_products"),
    path("till/sw.js", offline.TillServiceWorkerView.as_view(), name="till_service_worker"),
    path("till/offline-sales/", offline.TillOfflineSaleView.as_view(), name="till_offline_sale"),
    # Products (back office)
    path("products/", products.ProductListView.as_view(), name="product_list"),
    path("products/add/", products.ProductCreateView.as_view(), name="product_add"),
    path("products/import/", product_import.ProductImportView.as_view(), name="product_import"),
    path(
        "products/import/template.csv",
        product_import.ProductImportTemplateView.as_view(),
        name="product_import_template",
    ),
    path(
        "products/import/<int:pk>/",
        product_import.ProductImportDetailView.as_view(),
        name="product_import_detail",
    ),
    path(
        "products/import/<int:pk>/confirm/",
        product_import.ProductImportConfirmView.as_view(),
        name="product_import_confirm",
    ),
    path("products/<int:pk>/", products.ProductDetailView.as_view(), name="product_detail"),
    path("products/<int:pk>/edit/", products.ProductEditView.as_view(), name="product_edit"),
    path("products/<int:pk>/delete/", products.ProductDeleteView.as_view(), name="product_delete"),
    # Sales (back office)
    path("sales/", sales.SaleListView.as_view(), name="sale_list"),
    path("sales/export/csv/", sales.SaleExportCsvView.as_view(), name="sale_export_csv"),
    path(
        "sales/offline-refusals/",
        offline.OfflineRefusalListView.as_view(),
        name="offline_refusal_list",
    ),
    path(
        "sales/offline-refusals/<int:pk>/deal/",
        offline.OfflineRefusalDealView.as_view(),
        name="offline_refusal_deal",
    ),
    path("sales/<int:pk>/", sales.SaleDetailView.as_view(), name="sale_detail"),
    path("sales/<int:pk>/void/", sales.SaleVoidView.as_view(), name="sale_void"),
    # Receipts and invoices
    path("sales/<int:pk>/receipt/", documents.SaleReceiptView.as_view(), name="sale_receipt"),
    path("sales/<int:pk>/invoice/", documents.InvoiceIssueView.as_view(), name="invoice_issue"),
    path("invoices/<int:pk>/", documents.InvoiceDetailView.as_view(), name="invoice_detail"),
    path("invoices/<int:pk>/pdf/", documents.InvoicePdfView.as_view(), name="invoice_pdf"),
]
