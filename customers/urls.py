from django.urls import path

from customers import views, views_import

app_name = "customers"

urlpatterns = [
    path("", views.CustomerListView.as_view(), name="customer_list"),
    path("add/", views.CustomerCreateView.as_view(), name="customer_add"),
    path("map/", views.CustomerMapView.as_view(), name="customer_map"),
    path("map/points/", views.CustomerMapPointsView.as_view(), name="customer_map_points"),
    path("export/csv/", views.CustomerExportCsvView.as_view(), name="customer_export_csv"),
    path("export/sms/", views.CustomerExportSmsView.as_view(), name="customer_export_sms"),
    path("import/", views_import.CustomerImportView.as_view(), name="customer_import"),
    path(
        "import/template.csv",
        views_import.CustomerImportTemplateView.as_view(),
        name="customer_import_template",
    ),
    path(
        "import/<int:pk>/",
        views_import.CustomerImportDetailView.as_view(),
        name="customer_import_detail",
    ),
    path(
        "import/<int:pk>/confirm/",
        views_import.CustomerImportConfirmView.as_view(),
        name="customer_import_confirm",
    ),
    path("<int:pk>/", views.CustomerDetailView.as_view(), name="customer_detail"),
    path("<int:pk>/edit/", views.CustomerEditView.as_view(), name="customer_edit"),
    path("<int:pk>/delete/", views.CustomerDeleteView.as_view(), name="customer_delete"),
]
