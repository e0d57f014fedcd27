from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.ReportIndexView.as_view(), name="index"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("audit/", views.AuditLogView.as_view(), name="audit_log"),
    path("credit/", views.CreditReportView.as_view(), name="credit_report"),
    path("credit/export/", views.CreditReportExportView.as_view(), name="credit_report_export"),
    path("credit/ageing/", views.CreditAgeingView.as_view(), name="credit_ageing"),
    path(
        "credit/ageing/export/",
        views.CreditAgeingExportView.as_view(),
        name="credit_ageing_export",
    ),
    path("credit/payments/", views.CreditPaymentListView.as_view(), name="credit_payments"),
    path(
        "credit/payments/export/",
        views.CreditPaymentExportView.as_view(),
        name="credit_payments_export",
    ),
    path(
        "credit/sms-reminders/",
        views.CreditSmsRemindersView.as_view(),
        name="credit_sms_reminders",
    ),
]

# --- VIP ---
urlpatterns += [
    path("vip/", views.VipReportView.as_view(), name="vip"),
    path("vip/export/", views.VipExportView.as_view(), name="vip_export"),
]

# --- activity ---
urlpatterns += [
    path("activity/clusters/", views.ActivityByClusterView.as_view(), name="activity_clusters"),
    path(
        "activity/clusters/export/",
        views.ActivityByClusterExportView.as_view(),
        name="activity_clusters_export",
    ),
    path("activity/customers/", views.ActivityByCustomerView.as_view(), name="activity_customers"),
    path(
        "activity/customers/export/",
        views.ActivityByCustomerExportView.as_view(),
        name="activity_customers_export",
    ),
]
