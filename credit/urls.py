from django.urls import path

from credit import views

app_name = "credit"

urlpatterns = [
    path("customers/<int:pk>/credit/", views.CustomerCreditView.as_view(), name="customer_credit"),
    path(
        "customers/<int:pk>/credit/pay/",
        views.PaymentReceiveView.as_view(),
        name="payment_receive",
    ),
    path(
        "customers/<int:pk>/credit/adjust/", views.CreditAdjustView.as_view(), name="credit_adjust"
    ),
    path("customers/<int:pk>/credit/limit/", views.CreditLimitView.as_view(), name="credit_limit"),
    path(
        "customers/<int:pk>/credit/statement/",
        views.CustomerStatementView.as_view(),
        name="statement",
    ),
    path(
        "credit/payments/<int:pk>/receipt/",
        views.PaymentReceiptView.as_view(),
        name="payment_receipt",
    ),
]
