from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import MoneyField
from core.mpesa import MPESA_CODE_PATTERN


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
        # credit_entry_ledger_idx starts with the customer and serves every lookup by it.
        db_index=False,
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
    # When the change took effect: a credit sale's entry carries the sale's time, so ageing and
    # "as of" reports date it from the sale.
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, db_index=True)
    # One per adjustment form: a double click or a resent form finds the adjustment made.
    form_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("credit entry")
        verbose_name_plural = _("credit entries")
        permissions = [
            ("adjust_credit", _("Can adjust a credit balance (with a reason)")),
            ("view_credit_report", _("Can see the credit report")),
            ("export_credit_report", _("Can export the credit report and SMS reminders")),
        ]
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
            models.CheckConstraint(
                condition=~Q(kind="payment") | Q(amount__lt=0, sale__isnull=True),
                name="credit_entry_payment_lowers_the_balance",
            ),
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | ~Q(reason=""),
                name="credit_entry_adjustment_has_a_reason",
            ),
        ]
        indexes = [
            # A customer's ledger in date order with every column the ageing, "as of" balances
            # and statements read, so PostgreSQL answers them from the index alone: rows are
            # stored in time order, and one customer's 18 months of entries would otherwise be
            # one table page each. (Key columns, not INCLUDE: SQLite has no covering indexes.)
            models.Index(
                fields=["customer", "created_at", "id", "amount", "kind", "sale"],
                name="credit_entry_ledger_idx",
            ),
            # Voided credit sales are few; every ageing query asks whether a sale is one.
            models.Index(
                fields=["sale", "created_at"],
                condition=Q(kind="void"),
                name="credit_entry_void_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


class CreditPaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    MPESA = "mpesa", _("M-Pesa")


class CreditPayment(models.Model):
    """Money received on account (NaviPOS "Receive Payment"): partial or full, never more than
    is owed. Its ledger entry is `entry`; balance before and after are printed on its receipt."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="credit_payments",
    )
    entry = models.OneToOneField(
        CreditEntry,
        verbose_name=_("ledger entry"),
        on_delete=models.PROTECT,
        related_name="payment",
    )
    method = models.CharField(_("method"), max_length=10, choices=CreditPaymentMethod.choices)
    amount = MoneyField(_("amount"))
    balance_before = MoneyField(_("balance before"))
    balance_after = MoneyField(_("balance after"))
    mpesa_code = models.CharField(_("M-Pesa code"), max_length=10, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    # One per payment form: a double click or a resent form finds the payment already taken.
    form_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("credit payment")
        verbose_name_plural = _("credit payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_payment_positive"),
            models.CheckConstraint(
                condition=Q(balance_after=F("balance_before") - F("amount"), balance_after__gte=0),
                name="credit_payment_never_more_than_owed",
            ),
            models.CheckConstraint(
                condition=(Q(method="mpesa") & Q(mpesa_code__regex=MPESA_CODE_PATTERN))
                | (Q(method="cash") & Q(mpesa_code="")),
                name="credit_payment_mpesa_has_code",
            ),
            models.UniqueConstraint(
                fields=["mpesa_code"],
                condition=~Q(mpesa_code=""),
                name="credit_payment_mpesa_code_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "received_at"], name="credit_payment_customer_idx"),
        ]

    def __str__(self):
        return f"{self.get_method_display()} {self.amount}"

    def get_absolute_url(self):
        return reverse("credit:payment_receipt", args=[self.pk])
