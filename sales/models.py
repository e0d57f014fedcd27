from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import ImportRecord
from core.money import FigureField, MoneyField
from core.mpesa import MPESA_CODE_PATTERN


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    MPESA = "mpesa", _("M-Pesa")
    CREDIT = "credit", _("Credit")


class PriceList(models.TextChoices):
    RETAIL = "retail", _("Retail")
    WHOLESALE = "wholesale", _("Wholesale")


def validate_product_price(price) -> None:
    """A price above what one sale may total (TILL_MAX_SALE_TOTAL) could never be sold: a typo."""
    if price is not None and price > settings.TILL_MAX_SALE_TOTAL:
        raise ValidationError(
            _("Price KES %(price)s looks wrong: check it."),
            code="price_too_high",
            params={"price": f"{price:,.2f}"},
        )


class Product(models.Model):
    """Something the shop sells, with its retail and wholesale price."""

    name = models.CharField(_("name"), max_length=150)
    # The SKU or the barcode a scanner types; stored upper-case so a typed code matches.
    code = models.CharField(_("code"), max_length=64, unique=True)
    retail_price = MoneyField(_("retail price"), validators=[validate_product_price])
    wholesale_price = MoneyField(_("wholesale price"), validators=[validate_product_price])
    is_active = models.BooleanField(
        _("on sale"), default=True, help_text=_("Only products on sale can be added at the till.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # Who changed a price, and when, is the first question after a wrong till total.
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(
                condition=Q(retail_price__gte=0, wholesale_price__gte=0),
                name="product_prices_not_negative",
            ),
            models.CheckConstraint(condition=~Q(code=""), name="product_code_not_empty"),
        ]
        indexes = [models.Index(fields=["name", "id"], name="product_name_idx")]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def get_absolute_url(self):
        return reverse("sales:product_detail", args=[self.pk])

    def price_for(self, price_list: str):
        return self.wholesale_price if price_list == PriceList.WHOLESALE else self.retail_price


class Sale(models.Model):
    """A completed sale: its lines, its payment and, for a customer, their visit and credit."""

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
    price_list = models.CharField(
        _("prices"), max_length=10, choices=PriceList.choices, default=PriceList.RETAIL
    )
    sold_at = models.DateTimeField(_("sold at"), default=timezone.now, db_index=True)
    # One per till form: a double-click or a resubmitted form finds the sale already recorded.
    till_token = models.UUIDField(
        _("till form"), null=True, blank=True, unique=True, editable=False
    )

    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("voided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    void_reason = models.CharField(_("reason for voiding"), max_length=255, blank=True)

    class Meta:
        ordering = ["-sold_at", "-pk"]
        verbose_name = _("sale")
        verbose_name_plural = _("sales")
        permissions = [
            ("void_sale", _("Can void a sale")),
            ("export_sale", _("Can export the sales list")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="sale_total_not_negative"),
            # A walk-in sale (no customer) cannot be on credit: nobody would owe it. A deleted
            # customer's credit sales keep no customer, but deletion is refused while they owe.
            models.CheckConstraint(
                condition=~Q(payment_method="credit") | Q(customer__isnull=False),
                name="sale_credit_needs_customer",
                violation_error_message=_("A walk-in sale cannot be on credit."),
            ),
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True, voided_by__isnull=True, void_reason="")
                | (Q(voided_at__isnull=False, voided_by__isnull=False) & ~Q(void_reason="")),
                name="sale_void_has_who_when_and_why",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "sold_at"], name="sale_customer_sold_at_idx"),
            models.Index(fields=["cashier", "sold_at"], name="sale_cashier_sold_at_idx"),
        ]

    def __str__(self):
        return _("Sale %(number)s") % {"number": self.pk}

    def get_absolute_url(self):
        return reverse("sales:sale_detail", args=[self.pk])

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


class SaleLine(models.Model):
    """One product on a sale, with the name, code and price as they were when it was sold."""

    sale = models.ForeignKey(
        Sale, verbose_name=_("sale"), on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="sale_lines"
    )
    product_name = models.CharField(_("product name"), max_length=150)
    product_code = models.CharField(_("product code"), max_length=64)
    # Decimal: an agro-dealer sells fertiliser and seed by the kilogram as well as by the bag.
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=3)
    unit_price = MoneyField(_("unit price"))
    line_total = MoneyField(_("line total"))

    class Meta:
        ordering = ["sale", "pk"]
        verbose_name = _("sale line")
        verbose_name_plural = _("sale lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="sale_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0, line_total__gte=0),
                name="sale_line_amounts_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.product_name}"


class Payment(models.Model):
    """How a sale was paid: cash (with what was tendered), M-Pesa (with its code) or credit.

    An M-Pesa code is unique here, so the same transaction can never pay twice.
    """

    sale = models.OneToOneField(
        Sale, verbose_name=_("sale"), on_delete=models.CASCADE, related_name="payment"
    )
    method = models.CharField(_("method"), max_length=10, choices=PaymentMethod.choices)
    amount = MoneyField(_("amount"))
    cash_tendered = MoneyField(_("cash tendered"), null=True, blank=True)
    change_due = MoneyField(_("change due"), null=True, blank=True)
    mpesa_code = models.CharField(_("M-Pesa code"), max_length=10, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(
                fields=["mpesa_code"],
                condition=~Q(mpesa_code=""),
                name="payment_mpesa_code_unique",
                violation_error_message=_("This M-Pesa code has already been used."),
            ),
            models.CheckConstraint(
                condition=~Q(method="cash")
                | Q(cash_tendered__gte=F("amount"), change_due=F("cash_tendered") - F("amount")),
                name="payment_cash_covers_amount",
            ),
            models.CheckConstraint(
                condition=~Q(method="mpesa") | Q(mpesa_code__regex=MPESA_CODE_PATTERN),
                name="payment_mpesa_has_code",
            ),
        ]

    def __str__(self):
        return f"{self.get_method_display()} {self.amount}"


class SalesPeriod(models.TextChoices):
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")


class CustomerSalesTotal(models.Model):
    """A customer's standing (not voided) sales in one calendar month or year, in the shop's
    time zone: how many and how much.

    Pre-aggregated so the VIP report ranks a year's customers by reading one index range,
    not millions of sales. Written in the same transaction as each sale and void
    (sales.services), removed with the customer (their sales become walk-in sales), and
    rebuilt from the sales by `manage.py rebuild_report_figures`, whose --check proves both
    ways agree.
    """

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    period = models.CharField(_("period"), max_length=5, choices=SalesPeriod.choices)
    starts_on = models.DateField(_("starts on"))
    visits = models.PositiveIntegerField(_("visits"))
    revenue = FigureField(_("revenue"))

    class Meta:
        verbose_name = _("customer sales total")
        verbose_name_plural = _("customer sales totals")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "starts_on", "customer"], name="customer_sales_total_unique"
            ),
            models.CheckConstraint(
                condition=Q(visits__gt=0, revenue__gte=0), name="customer_sales_total_positive"
            ),
        ]
        indexes = [
            # The ranking: a period's customers, best first, read in index order.
            models.Index(
                fields=["period", "starts_on", "-revenue", "customer"],
                name="customer_sales_total_rank_idx",
            ),
            # The activity table sorted by visits.
            models.Index(
                fields=["period", "starts_on", "-visits", "customer"],
                name="customer_sales_total_visit_idx",
            ),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.period} {self.starts_on}: {self.revenue}"


class SalesSegment(models.TextChoices):
    CUSTOMERS = "customers", _("All customers")
    CLUSTER = "cluster", _("A cluster")
    NO_CLUSTER = "no_cluster", _("No cluster")
    WALK_IN = "walk_in", _("Walk-in sales")


# Each figure is spread over a few rows ("slots", chosen by the sale's id) that the reports add
# up: sixteen tills selling at once would otherwise all wait for the one row of this month.
SUMMARY_SLOTS = 8


class SalesSummary(models.Model):
    """The standing sales of one calendar month or year, for one segment of the shop: all
    customers, one cluster (its members as they are now), customers in no cluster, or
    walk-ins. What activity by cluster, activity by customer and the dashboard read.

    Written with each sale and void, and when a customer changes cluster or is deleted (their
    sales become walk-in sales), all in the same transaction (sales.figures); rebuilt from the
    sales by `manage.py rebuild_report_figures`. A slot's figures may go below zero (a
    correction lands in slot 0): only their sum means something.
    """

    period = models.CharField(_("period"), max_length=5, choices=SalesPeriod.choices)
    starts_on = models.DateField(_("starts on"))
    segment = models.CharField(_("segment"), max_length=10, choices=SalesSegment.choices)
    # The cluster's id for the CLUSTER segment, else 0. Not a foreign key: 0 must be unique
    # alongside real ids for the additive insert; sales.figures removes a deleted cluster's rows.
    cluster_key = models.PositiveIntegerField(_("cluster"), default=0)
    slot = models.PositiveSmallIntegerField(_("slot"), default=0)
    visits = models.IntegerField(_("visits"), default=0)
    revenue = FigureField(_("revenue"), default=0)
    customers = models.IntegerField(_("active customers"), default=0)
    new_customers = models.IntegerField(_("new customers"), default=0)

    class Meta:
        verbose_name = _("sales summary")
        verbose_name_plural = _("sales summaries")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "starts_on", "segment", "cluster_key", "slot"],
                name="sales_summary_unique",
            ),
        ]

    def __str__(self):
        return f"{self.period} {self.starts_on} {self.segment} {self.cluster_key}/{self.slot}"


class RevenueBand(models.Model):
    """How many customers spent within one band of amounts in a calendar month or year, and
    their revenue: the VIP report's curve and its top 20 % come from these few rows, not from a
    pass over every customer. Band n holds revenue from REVENUE_BAND_FLOORS[n] up to the next
    floor (sales.figures). Kept, rebuilt and slotted as SalesSummary."""

    period = models.CharField(_("period"), max_length=5, choices=SalesPeriod.choices)
    starts_on = models.DateField(_("starts on"))
    band = models.PositiveSmallIntegerField(_("band"))
    slot = models.PositiveSmallIntegerField(_("slot"), default=0)
    customers = models.IntegerField(_("customers"), default=0)
    revenue = FigureField(_("revenue"), default=0)

    class Meta:
        verbose_name = _("revenue band")
        verbose_name_plural = _("revenue bands")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "starts_on", "band", "slot"], name="revenue_band_unique"
            ),
        ]

    def __str__(self):
        return f"{self.period} {self.starts_on} band {self.band}/{self.slot}"


class Invoice(models.Model):
    """A tax invoice for a sale. Numbers run 1, 2, 3... with no gaps (core.sequences).

    The customer's details are copied at issue: an issued invoice does not change when the
    customer record does. Deleting the customer blanks them (customers.services.customer_delete).
    """

    number = models.PositiveIntegerField(_("invoice number"), unique=True, editable=False)
    sale = models.OneToOneField(
        Sale, verbose_name=_("sale"), on_delete=models.PROTECT, related_name="invoice"
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    customer_name = models.CharField(_("customer name"), max_length=150)
    customer_phone = models.CharField(_("customer phone"), max_length=20, blank=True)
    customer_village = models.CharField(_("customer village"), max_length=100, blank=True)
    customer_address = models.CharField(_("customer address"), max_length=255, blank=True)
    customer_tax_pin = models.CharField(_("customer Tax PIN"), max_length=11, blank=True)
    shop_tax_pin = models.CharField(_("shop KRA PIN"), max_length=11, blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.CheckConstraint(condition=Q(number__gt=0), name="invoice_number_positive"),
        ]

    def __str__(self):
        return _("Invoice %(number)s") % {"number": self.number}

    def get_absolute_url(self):
        return reverse("sales:invoice_detail", args=[self.pk])


class ProductImport(ImportRecord):
    """One price list brought in from a spreadsheet: who, when, which file, and what it did
    (the import's audit record, core.models.ImportRecord)."""

    class Meta(ImportRecord.Meta):
        verbose_name = _("product import")
        verbose_name_plural = _("product imports")

    def get_absolute_url(self):
        return reverse("sales:product_import_detail", args=[self.pk])


class OfflineSaleRefusal(models.Model):
    """A sale the till made while the link was down that the server refused when it arrived
    (sales.services.offline_sale_record): what the till sent, and why it was refused.

    The goods have left the counter and the money was taken, so a manager deals with each one
    (sells it again at today's prices, refunds, takes it up with the M-Pesa statement) and
    marks it dealt with. One per till token: the till resending it finds this one.
    """

    till_token = models.UUIDField(_("till form"), unique=True, editable=False)
    # PROTECT, as a sale's cashier: who sold it matters most when it went wrong, and staff
    # accounts are deactivated, not deleted.
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cashier"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # As the till sent it; empty when it sent no readable time.
    sold_at = models.DateTimeField(_("sold at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    payload = models.JSONField(_("as sent by the till"), default=dict)
    # The readable lines, with the product's name as it was when refused:
    # [{"product": 5, "name": "...", "code": "...", "quantity": "2", "unit_price": "3500.00"}].
    lines = models.JSONField(_("lines"), default=list)
    reason = models.TextField(_("reason"))
    code = models.CharField(_("reason code"), max_length=40)
    total = MoneyField(_("total"), null=True, blank=True)
    payment_method = models.CharField(
        _("payment method"), max_length=10, choices=PaymentMethod.choices, blank=True
    )
    mpesa_code = models.CharField(_("M-Pesa code"), max_length=40, blank=True)
    # SET_NULL: deleting a customer removes the person; the payload keeps the id the till sent.
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    dealt_with_at = models.DateTimeField(_("dealt with at"), null=True, blank=True)
    dealt_with_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dealt with by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-sold_at", "-pk"]
        verbose_name = _("refused offline sale")
        verbose_name_plural = _("refused offline sales")
        permissions = [
            ("deal_with_offlinesalerefusal", _("Can mark a refused offline sale dealt with")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(dealt_with_at__isnull=True, dealt_with_by__isnull=True)
                | Q(dealt_with_at__isnull=False, dealt_with_by__isnull=False),
                name="offline_refusal_dealt_with_who_and_when",
            ),
            models.CheckConstraint(
                condition=Q(total__isnull=True) | Q(total__gte=0),
                name="offline_refusal_total_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["sold_at", "id"], name="offline_refusal_sold_at_idx"),
            # The refusals still waiting for a manager: the list's default filter and the count
            # on the sales list, read from a small index of only those rows.
            models.Index(
                fields=["sold_at", "id"],
                condition=Q(dealt_with_at__isnull=True),
                name="offline_refusal_waiting_idx",
            ),
        ]

    def __str__(self):
        return _("Refused offline sale %(token)s") % {"token": str(self.till_token)[:8]}

    @property
    def is_dealt_with(self) -> bool:
        return self.dealt_with_at is not None
