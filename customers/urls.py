from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("", views.CustomerListView.as_view(), name="customer_list"),
    path("add/", views.CustomerCreateView.as_view(), name="customer_add"),
    path("map/", views.CustomerMapView.as_view(), name="customer_map"),
    path("export/csv/", views.CustomerExportCsvView.as_view(), name="customer_export_csv"),
    path("export/sms/", views.CustomerExportSmsView.as_view(), name="customer_export_sms"),
    path("<int:pk>/", views.CustomerDetailView.as_view(), name="customer_detail"),
    path("<int:pk>/edit/", views.CustomerEditView.as_view(), name="customer_edit"),
    path("<int:pk>/delete/", views.CustomerDeleteView.as_view(), name="customer_delete"),
]
