from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.money import MoneyField


class CreditEntryKind(models.TextChoices):
    CREDIT_SALE = "sale", _("Credit sale")
    PAYMENT = "payment", _("Payment")
    ADJUSTMENT = "adjustment", _("Adjustment")
    SALE_VOIDED = "void", _("Credit sale voided")


class CreditEntry(models.Model):
    """One change of a customer's credit balance; the balance is always the sum of these.

    `amount` is signed: positive raises what the customer owes (a credit sale), negative lowers
    it (a payment, a voided credit sale). Written only by credit.services, in the same
    transaction as the balance.
    """

    # SET_NULL: the ledger is the shop's books and outlives a deleted customer. A customer who
    # still owes money cannot be deleted at all (customers.services.customer_delete refuses).
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="credit_entries",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=CreditEntryKind.choices)
    amount = MoneyField(_("amount"))
    balance_after = MoneyField(_("balance after"))
    sale = models.ForeignKey(
        "sales.Sale",
        verbose_name=_("sale"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_entries",
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("credit entry")
        verbose_name_plural = _("credit entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="credit_entry_amount_not_zero"),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="credit_entry_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(kind="sale") | Q(sale__isnull=False, amount__gt=0),
                name="credit_entry_sale_is_linked_and_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind="void") | Q(sale__isnull=False, amount__lt=0),
                name="credit_entry_void_is_linked_and_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "created_at"], name="credit_entry_customer_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"
