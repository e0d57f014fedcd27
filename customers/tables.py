import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from core.staff import staff_name
from core.tables import STICKY_FIRST_COLUMN_ATTRS, BaseTable, LocalDateTimeColumn
from customers.models import Customer


class CashierColumn(tables.Column):
    """A member of staff (a user) by name: the sales' cashier, who took a payment."""

    def render(self, value):
        return staff_name(value)


class CustomerTable(BaseTable):
    """The eleven columns of the Mwingi customer table, plus balance, limit and available credit."""

    name = tables.Column(verbose_name=_("Name"), linkify=True)
    phone = tables.Column(verbose_name=_("Phone"))
    # Stored with the cashier (Customer.last_cashier_name): sorted from an index.
    last_cashier = tables.Column(verbose_name=_("Last Cashier Name"), accessor="last_cashier_name")
    clusters = tables.ManyToManyColumn(
        verbose_name=_("Clusters"), orderable=False, transform=lambda cluster: cluster.name
    )
    village = tables.Column(verbose_name=_("Village"))
    send_sms = tables.BooleanColumn(verbose_name=_("Send SMS"))
    has_location = tables.BooleanColumn(
        verbose_name=_("Has Location Data"), accessor="has_location", orderable=False
    )
    first_visit_at = LocalDateTimeColumn(verbose_name=_("First Visit"), format="d M Y")
    last_visit_at = LocalDateTimeColumn(verbose_name=_("Last Visit"), format="d M Y")
    total_visits = tables.Column(
        verbose_name=_("Total Visits"), attrs={"td": {"class": "text-end"}}
    )
    total_spent = tables.Column(verbose_name=_("Total Spent"), attrs={"td": {"class": "text-end"}})
    credit_balance = tables.Column(
        verbose_name=_("Credit Balance"), attrs={"td": {"class": "text-end"}}
    )
    credit_limit = tables.Column(
        verbose_name=_("Credit Limit"), attrs={"td": {"class": "text-end"}}
    )
    # Computed on the row (limit - balance, never below 0): no query, but no index to sort by.
    available_credit = tables.Column(
        verbose_name=_("Available Credit"),
        accessor="available_credit",
        orderable=False,
        attrs={"td": {"class": "text-end"}},
    )

    class Meta(BaseTable.Meta):
        model = Customer
        fields = (
            "name",
            "phone",
            "last_cashier",
            "clusters",
            "village",
            "send_sms",
            "has_location",
            "first_visit_at",
            "last_visit_at",
            "total_visits",
            "total_spent",
            "credit_balance",
            "credit_limit",
            "available_credit",
        )
        attrs = STICKY_FIRST_COLUMN_ATTRS
        # The whole row opens the customer (static/js/app.js), like the Mwingi table.
        row_attrs = {"data-href": lambda record: record.get_absolute_url()}
        empty_text = _("No customers match these filters.")

    def render_total_spent(self, value):
        return f"{value:,.2f}"

    def render_credit_balance(self, value):
        return f"{value:,.2f}"

    def render_credit_limit(self, value):
        return f"{value:,.2f}"

    def render_available_credit(self, value):
        return f"{value:,.2f}"
