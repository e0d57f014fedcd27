from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from core.models import ImportRecord
from core.money import FigureField, MoneyField

TAX_PIN_PATTERN = r"^[AP]\d{9}[A-Z]$"
tax_pin_validator = RegexValidator(
    TAX_PIN_PATTERN,
    _("A KRA PIN is A or P, nine digits, then a letter, for example A004416331M."),
    code="invalid_tax_pin",
)


# Two rules of a customer row as functions of its columns, so that a read of plain values (the
# customer export, customers.resources) applies them exactly as the model does.


def location_is_set(latitude, longitude) -> bool:
    return latitude is not None and longitude is not None


def available_credit(credit_limit, credit_balance):
    """What the customer may still take on credit: the limit less the balance, never below 0."""
    return max(credit_limit - credit_balance, 0)


class Cluster(models.Model):
    """A grouping of customers the shop chooses (a farmers' group, a route, a cooperative)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=255, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("cluster")
        verbose_name_plural = _("clusters")

    def __str__(self):
        return self.name


class CustomerGroup(models.Model):
    """Walk-in, Regular, Wholesale, Corporate: created by a data migration, edited in admin."""

    WALK_IN = "walk-in"

    slug = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=60, unique=True)
    uses_wholesale_prices = models.BooleanField(_("buys at wholesale prices"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")

    def __str__(self):
        return self.name


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=150)
    # Stored in E.164 (+2547...), unique on that stored value whatever way it was typed.
    phone = PhoneNumberField(_("phone"), unique=True, region="KE")
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    village = models.CharField(_("village"), max_length=100, blank=True)
    tax_pin = models.CharField(
        _("Tax PIN"), max_length=11, blank=True, validators=[tax_pin_validator]
    )
    clusters = models.ManyToManyField(
        Cluster, verbose_name=_("clusters"), related_name="customers", blank=True
    )
    group = models.ForeignKey(
        CustomerGroup,
        verbose_name=_("customer group"),
        on_delete=models.PROTECT,
        related_name="customers",
    )
    send_sms = models.BooleanField(_("send SMS"), default=False)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    notes = models.TextField(_("notes"), blank=True)

    # Credit: changed only by credit.services, under a row lock, with a ledger entry.
    credit_limit = MoneyField(_("credit limit"), default=0, validators=[MinValueValidator(0)])
    credit_balance = MoneyField(_("credit balance"), default=0, editable=False)

    # Visit figures: kept by sales.services in the same transaction as each sale, and rebuilt
    # from the sales by `manage.py rebuild_visit_figures`. Stored so the table sorts by an index.
    first_visit_at = models.DateTimeField(_("first visit"), null=True, blank=True, editable=False)
    last_visit_at = models.DateTimeField(_("last visit"), null=True, blank=True, editable=False)
    total_visits = models.PositiveIntegerField(_("total visits"), default=0, editable=False)
    total_spent = FigureField(_("total spent"), default=0, editable=False)
    last_cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last cashier"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # The last cashier's name as the table shows it (core.staff.staff_name), stored with the
    # cashier so the table sorts by it from an index: sorting through the users table reads
    # every customer. Empty (NULL) until the customer's first sale, so it sorts last both ways.
    last_cashier_name = models.CharField(  # noqa: DJ001 (NULL: no cashier yet, sorted last)
        _("last cashier name"), max_length=301, null=True, blank=True, editable=False
    )

    # Opening figures: visits from before this system (a shop's old POS, imported), counted in
    # the visit figures above with the sales; never changed by a sale.
    opening_visits = models.PositiveIntegerField(_("visits before this system"), default=0)
    opening_spent = MoneyField(
        _("spent before this system"), default=0, validators=[MinValueValidator(0)]
    )
    opening_first_visit_at = models.DateTimeField(
        _("first visit before this system"), null=True, blank=True
    )
    opening_last_visit_at = models.DateTimeField(
        _("last visit before this system"), null=True, blank=True
    )

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # Clusters are part of "what changed"; visit figures are not (they move with every sale).
    history = HistoricalRecords(
        m2m_fields=[clusters],
        excluded_fields=[
            "first_visit_at",
            "last_visit_at",
            "total_visits",
            "total_spent",
            "last_cashier",
            "last_cashier_name",
            "credit_balance",
            "updated_at",
        ],
    )

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [
            ("export_customer", _("Can export customer lists (CSV, SMS upload)")),
            ("set_credit_limit", _("Can set a customer's credit limit")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tax_pin"], condition=~Q(tax_pin=""), name="customer_tax_pin_unique"
            ),
            models.CheckConstraint(
                condition=Q(credit_limit__gte=0), name="customer_credit_limit_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(credit_balance__gte=0), name="customer_credit_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(total_spent__gte=0), name="customer_total_spent_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__isnull=False,
                    longitude__isnull=False,
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="customer_location_complete_and_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["name", "id"], name="customer_name_idx"),
            models.Index(fields=["village", "id"], name="customer_village_idx"),
            models.Index(fields=["last_visit_at", "id"], name="customer_last_visit_idx"),
            models.Index(fields=["first_visit_at", "id"], name="customer_first_visit_idx"),
            models.Index(fields=["total_visits", "id"], name="customer_total_visits_idx"),
            models.Index(fields=["total_spent", "id"], name="customer_total_spent_idx"),
            models.Index(fields=["credit_balance", "id"], name="customer_credit_balance_idx"),
            models.Index(fields=["credit_limit", "id"], name="customer_credit_limit_idx"),
            models.Index(fields=["send_sms", "id"], name="customer_send_sms_idx"),
            models.Index(fields=["last_cashier_name", "id"], name="customer_last_cashier_idx"),
            # Newest first with never-bought last (DESC NULLS LAST) needs indexes of its own on
            # PostgreSQL; SQLite cannot declare one: migration 0010 adds them there.
            # The dashboard's "customers added this week".
            models.Index(fields=["created_at"], name="customer_created_at_idx"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("customers:customer_detail", args=[self.pk])

    @property
    def has_location(self) -> bool:
        return location_is_set(self.latitude, self.longitude)

    @property
    def missing_details(self) -> list[str]:
        """What the back-office form requires that a till quick-add left out."""
        missing = [
            str(self._meta.get_field(name).verbose_name)
            for name in ("village", "tax_pin")
            if not getattr(self, name)
        ]
        if self.pk and not self.clusters.all():  # reads prefetched clusters if any
            missing.append(str(self._meta.get_field("clusters").verbose_name))
        return missing

    @property
    def available_credit(self):
        return available_credit(self.credit_limit, self.credit_balance)


class CustomerImport(ImportRecord):
    """One spreadsheet of customers brought in: who, when, which file, and what it did (the
    import's audit record, core.models.ImportRecord)."""

    create_clusters = models.BooleanField(_("create clusters named in the file"), default=False)

    class Meta(ImportRecord.Meta):
        verbose_name = _("customer import")
        verbose_name_plural = _("customer imports")

    def get_absolute_url(self):
        return reverse("customers:customer_import_detail", args=[self.pk])
