"""Refused offline sales (issue 18): what the till sent while the link was down and the server
refused, kept for a manager; managers and admins see them and mark them dealt with."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import core.money
from core.roles import ADMIN, MANAGER, role_grant_functions

REFUSAL_PERMISSIONS = [
    "sales.view_offlinesalerefusal",
    "sales.deal_with_offlinesalerefusal",
]
grant_offline_refusal_permissions, revoke_offline_refusal_permissions = role_grant_functions(
    {MANAGER: REFUSAL_PERMISSIONS, ADMIN: REFUSAL_PERMISSIONS}
)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_roles"),
        ("customers", "0002_customer_groups"),
        ("sales", "0007_bounds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="OfflineSaleRefusal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "till_token",
                    models.UUIDField(editable=False, unique=True, verbose_name="till form"),
                ),
                ("sold_at", models.DateTimeField(blank=True, null=True, verbose_name="sold at")),
                (
                    "received_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="received at"
                    ),
                ),
                ("payload", models.JSONField(default=dict, verbose_name="as sent by the till")),
                ("lines", models.JSONField(default=list, verbose_name="lines")),
                ("reason", models.TextField(verbose_name="reason")),
                ("code", models.CharField(max_length=40, verbose_name="reason code")),
                ("total", core.money.MoneyField(blank=True, null=True, verbose_name="total")),
                (
                    "payment_method",
                    models.CharField(
                        blank=True,
                        choices=[("cash", "Cash"), ("mpesa", "M-Pesa"), ("credit", "Credit")],
                        max_length=10,
                        verbose_name="payment method",
                    ),
                ),
                (
                    "mpesa_code",
                    models.CharField(blank=True, max_length=40, verbose_name="M-Pesa code"),
                ),
                (
                    "dealt_with_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="dealt with at"),
                ),
                ("note", models.TextField(blank=True, verbose_name="note")),
                (
                    "cashier",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="cashier",
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="customers.customer",
                        verbose_name="customer",
                    ),
                ),
                (
                    "dealt_with_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="dealt with by",
                    ),
                ),
            ],
            options={
                "verbose_name": "refused offline sale",
                "verbose_name_plural": "refused offline sales",
                "ordering": ["-sold_at", "-pk"],
                "permissions": [
                    ("deal_with_offlinesalerefusal", "Can mark a refused offline sale dealt with")
                ],
                "indexes": [
                    models.Index(fields=["sold_at", "id"], name="offline_refusal_sold_at_idx"),
                    models.Index(
                        condition=models.Q(("dealt_with_at__isnull", True)),
                        fields=["sold_at", "id"],
                        name="offline_refusal_waiting_idx",
                    ),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("dealt_with_at__isnull", True), ("dealt_with_by__isnull", True)
                            ),
                            models.Q(
                                ("dealt_with_at__isnull", False), ("dealt_with_by__isnull", False)
                            ),
                            _connector="OR",
                        ),
                        name="offline_refusal_dealt_with_who_and_when",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("total__isnull", True), ("total__gte", 0), _connector="OR"
                        ),
                        name="offline_refusal_total_not_negative",
                    ),
                ],
            },
        ),
        migrations.RunPython(grant_offline_refusal_permissions, revoke_offline_refusal_permissions),
    ]
