from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import MoneyField


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    MPESA = "mpesa", _("M-Pesa")
    CREDIT = "credit", _("Credit")


class Sale(models.Model):
    """A completed sale. The till (products, lines, payments) builds on this core."""

    # SET_NULL: deleting a customer removes the person, not the shop's books.
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sales",
    )
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cashier"),
        on_delete=models.PROTECT,
        related_name="sales",
    )
    total = MoneyField(_("total"))
    payment_method = models.CharField(
        _("payment method"), max_length=10, choices=PaymentMethod.choices
    )
    sold_at = models.DateTimeField(_("sold at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-sold_at", "-pk"]
        verbose_name = _("sale")
        verbose_name_plural = _("sales")
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="sale_total_not_negative"),
            # A walk-in sale (no customer) cannot be on credit: nobody would owe it.
            models.CheckConstraint(
                condition=~Q(payment_method="credit") | Q(customer__isnull=False),
                name="sale_credit_needs_customer",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "sold_at"], name="sale_customer_sold_at_idx"),
        ]

    def __str__(self):
        return _("Sale %(number)s") % {"number": self.pk}
