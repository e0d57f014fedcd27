"""django-tables2 tables for the back-office lists of products and sales."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.tables import BaseTable, LocalDateTimeColumn
from customers.tables import CashierColumn
from sales.models import Product, Sale

# --- products -----------------------------------------------------------------------------


class ProductTable(BaseTable):
    name = tables.Column(verbose_name=_("Name"), linkify=True)
    code = tables.Column(verbose_name=_("Code"))
    retail_price = tables.Column(
        verbose_name=_("Retail price"), attrs={"td": {"class": "text-end"}}
    )
    wholesale_price = tables.Column(
        verbose_name=_("Wholesale price"), attrs={"td": {"class": "text-end"}}
    )
    is_active = tables.BooleanColumn(verbose_name=_("On sale"))

    class Meta(BaseTable.Meta):
        model = Product
        fields = ("name", "code", "retail_price", "wholesale_price", "is_active")
        # The whole row opens the product (static/js/app.js), like the customer table.
        row_attrs = {"data-href": lambda record: record.get_absolute_url()}
        empty_text = _("No products match these filters.")

    def render_retail_price(self, value):
        return f"{value:,.2f}"

    def render_wholesale_price(self, value):
        return f"{value:,.2f}"


# --- sales --------------------------------------------------------------------------------


class SaleTable(BaseTable):
    number = tables.Column(verbose_name=_("Sale number"), accessor="pk", linkify=True)
    sold_at = LocalDateTimeColumn(verbose_name=_("Time"), format="d M Y H:i")
    customer = tables.Column(
        verbose_name=_("Customer"), order_by=("customer__name",), default=_("Walk-in")
    )
    cashier = CashierColumn(
        verbose_name=_("Cashier"), order_by=("cashier__first_name", "cashier__last_name")
    )
    payment_method = tables.Column(verbose_name=_("Payment method"))
    total = tables.Column(
        verbose_name=_("Total"), attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}}
    )
    # empty_values=(): a sale that is not voided (voided_at empty) still shows "Completed".
    status = tables.Column(
        verbose_name=_("Status"), accessor="voided_at", order_by=("voided_at",), empty_values=()
    )

    class Meta(BaseTable.Meta):
        model = Sale
        fields = (
            "number",
            "sold_at",
            "customer",
            "cashier",
            "payment_method",
            "total",
            "status",
        )
        # The whole row opens the sale (static/js/app.js), like the customer table.
        row_attrs = {
            "data-href": lambda record: record.get_absolute_url(),
            "class": lambda record: "sale-voided text-body-secondary" if record.is_voided else "",
        }
        empty_text = _("No sales match these filters.")

    def render_customer(self, value):
        return value.name

    def render_total(self, value):
        return f"{value:,.2f}"

    def render_status(self, value):
        if value is None:
            return _("Completed")
        return format_html('<span class="badge text-bg-danger">{}</span>', _("Voided"))
