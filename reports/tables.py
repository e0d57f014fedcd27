"""django-tables2 tables of the credit reports."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from core.models import AuditEvent
from core.tables import STICKY_FIRST_COLUMN_ATTRS, BaseTable, LocalDateTimeColumn
from credit.models import CreditPayment
from customers.models import Customer
from customers.tables import CashierColumn
from sales.models import CustomerSalesTotal

MONEY_ATTRS = {"td": {"class": "text-end"}, "th": {"class": "text-end"}}


class MoneyColumn(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", MONEY_ATTRS)
        super().__init__(*args, **kwargs)

    def render(self, value):
        return f"{value:,.2f}"


class AgeingColumn(MoneyColumn):
    """A figure computed for the page's rows only (the view attaches `record.ageing`), so the
    database cannot sort by it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("orderable", False)
        kwargs.setdefault("default", "0.00")
        super().__init__(*args, **kwargs)


class CreditReportTable(BaseTable):
    """Per-customer balances with limit, oldest unpaid date and ageing buckets."""

    name = tables.Column(verbose_name=_("Name"), linkify=True)
    phone = tables.Column(verbose_name=_("Phone"), orderable=False)
    village = tables.Column(verbose_name=_("Village"))
    group = tables.Column(verbose_name=_("Group"), accessor="group__name", orderable=False)
    balance = MoneyColumn(verbose_name=_("Balance"))
    credit_limit = MoneyColumn(verbose_name=_("Credit limit"))
    oldest_unpaid = LocalDateTimeColumn(
        verbose_name=_("Oldest unpaid"),
        accessor="ageing__oldest_unpaid_at",
        format="d M Y",
        orderable=False,
    )
    current = AgeingColumn(verbose_name=_("Current"), accessor="ageing__current")
    days_31_60 = AgeingColumn(verbose_name=_("31-60"), accessor="ageing__days_31_60")
    days_61_90 = AgeingColumn(verbose_name=_("61-90"), accessor="ageing__days_61_90")
    over_90 = AgeingColumn(verbose_name=_("Over 90"), accessor="ageing__over_90")

    class Meta(BaseTable.Meta):
        model = Customer
        fields = (
            "name",
            "phone",
            "village",
            "group",
            "balance",
            "credit_limit",
            "oldest_unpaid",
            "current",
            "days_31_60",
            "days_61_90",
            "over_90",
        )
        attrs = STICKY_FIRST_COLUMN_ATTRS
        empty_text = _("Nobody owes anything on these filters.")


class CreditPaymentTable(BaseTable):
    """Payments on account, newest first."""

    received_at = LocalDateTimeColumn(verbose_name=_("Time"), format="d M Y H:i")
    customer = tables.Column(
        verbose_name=_("Customer"),
        order_by=("customer__name",),
        linkify=lambda record: record.customer.get_absolute_url() if record.customer else None,
        default="—",
    )
    method = tables.Column(verbose_name=_("Method"))
    mpesa_code = tables.Column(verbose_name=_("M-Pesa code"), orderable=False)
    amount = MoneyColumn(verbose_name=_("Amount"))
    balance_after = MoneyColumn(verbose_name=_("Balance after"), orderable=False)
    received_by = CashierColumn(
        verbose_name=_("Received by"),
        order_by=("received_by__first_name", "received_by__last_name"),
    )

    class Meta(BaseTable.Meta):
        model = CreditPayment
        fields = (
            "received_at",
            "customer",
            "method",
            "mpesa_code",
            "amount",
            "balance_after",
            "received_by",
        )
        empty_text = _("No payments match these filters.")

    def render_customer(self, value):
        return value.name


# --- activity ---
class ActivityCustomerTable(BaseTable):
    """The period's customers (CustomerSalesTotal rows with their customer), most revenue
    first; sortable by the figures the ranking indexes keep in order."""

    name = tables.Column(
        verbose_name=_("Name"),
        accessor="customer__name",
        linkify=lambda record: record.customer.get_absolute_url(),
        orderable=False,
    )
    visits = tables.Column(verbose_name=_("Visits"), attrs=MONEY_ATTRS, order_by=("-visits",))
    revenue = MoneyColumn(verbose_name=_("Revenue"), order_by=("-revenue", "customer_id"))
    average_basket = MoneyColumn(verbose_name=_("Average basket"), orderable=False)
    first_visit_at = LocalDateTimeColumn(
        verbose_name=_("First visit"),
        accessor="customer__first_visit_at",
        format="d M Y",
        orderable=False,
    )

    class Meta(BaseTable.Meta):
        model = CustomerSalesTotal
        fields = ("name", "visits", "revenue", "average_basket", "first_visit_at")
        order_by = ("revenue",)
        empty_text = _("No customer visited in this period.")

    def render_average_basket(self, record):
        from reports.selectors import average_basket

        return f"{average_basket(record.revenue, record.visits):,.2f}"


# --- the audit log ---
class AuditEventTable(BaseTable):
    """Who did what and when, newest first."""

    occurred_at = LocalDateTimeColumn(verbose_name=_("When"), format="d M Y H:i")
    actor_name = tables.Column(verbose_name=_("Who"), default="—")
    action = tables.Column(verbose_name=_("What"))
    target = tables.Column(verbose_name=_("On"), orderable=False, default="—")
    amount = MoneyColumn(verbose_name=_("Amount"), orderable=False, default="")
    details = tables.Column(verbose_name=_("Details"), orderable=False, default="")

    class Meta(BaseTable.Meta):
        model = AuditEvent
        fields = ("occurred_at", "actor_name", "action", "target", "amount", "details")
        order_by = ("-occurred_at",)
        empty_text = _("Nothing recorded matches these filters.")
