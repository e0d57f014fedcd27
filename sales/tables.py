"""django-tables2 tables for the back-office lists of products and sales."""

import django_tables2 as tables
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from core.staff import staff_name
from core.tables import BaseTable, LocalDateTimeColumn
from customers.tables import CashierColumn
from sales.models import OfflineSaleRefusal, PaymentMethod, Product, Sale

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


# --- refused offline sales ------------------------------------------------------------------


class OfflineRefusalTable(BaseTable):
    """The sales the till made offline that the server refused, for a manager to deal with.
    Every cell reads the row itself (lines and names as kept with the refusal): no query per
    row."""

    sold_at = LocalDateTimeColumn(verbose_name=_("Sold at"), format="d M Y H:i")
    received_at = LocalDateTimeColumn(verbose_name=_("Received"), format="d M Y H:i")
    cashier = CashierColumn(
        verbose_name=_("Cashier"), order_by=("cashier__first_name", "cashier__last_name")
    )
    customer = tables.Column(
        verbose_name=_("Customer"), order_by=("customer__name",), empty_values=()
    )
    payment = tables.Column(
        verbose_name=_("Payment"), accessor="payment_method", order_by=("payment_method",)
    )
    total = tables.Column(
        verbose_name=_("Total"), attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}}
    )
    lines = tables.Column(verbose_name=_("Lines"), orderable=False)
    reason = tables.Column(verbose_name=_("Why it was refused"), orderable=False)
    status = tables.Column(
        verbose_name=_("Status"),
        accessor="dealt_with_at",
        order_by=("dealt_with_at",),
        empty_values=(),
    )

    class Meta(BaseTable.Meta):
        model = OfflineSaleRefusal
        fields = (
            "sold_at",
            "received_at",
            "cashier",
            "customer",
            "payment",
            "total",
            "lines",
            "reason",
            "status",
        )
        empty_text = _("No refused offline sales match these filters.")

    def __init__(self, *args, can_deal: bool = False, **kwargs):
        self.can_deal = can_deal
        super().__init__(*args, **kwargs)

    def render_customer(self, value, record):
        if value is not None:
            return value.name
        if record.payload.get("customer") is not None:
            return _("Customer no longer exists")
        return _("Walk-in")

    def render_payment(self, value, record):
        label = PaymentMethod(value).label if value in PaymentMethod.values else value
        if record.mpesa_code:
            return format_html("{} <code>{}</code>", label, record.mpesa_code)
        return label

    def render_total(self, value):
        return f"{value:,.2f}"

    def render_lines(self, value):
        return format_html_join(
            mark_safe("<br>"),
            "{} × {} @ {}",
            (
                (
                    line.get("name") or _("Product %(id)s") % {"id": line.get("product")},
                    line.get("quantity"),
                    line.get("unit_price"),
                )
                for line in value
            ),
        )

    def render_status(self, value, record):
        if value is None:
            badge = format_html(
                '<span class="badge text-bg-warning">{}</span>', _("Waiting for a manager")
            )
            if not self.can_deal:
                return badge
            return format_html(
                '{} <a class="btn btn-sm btn-outline-primary ms-1" href="{}">{}</a>',
                badge,
                reverse("sales:offline_refusal_deal", args=[record.pk]),
                _("Deal with it"),
            )
        when = formats.date_format(timezone.template_localtime(value), "d M Y H:i")
        return format_html(
            '<span class="badge text-bg-success">{}</span><div class="small">{}</div>'
            '<div class="small text-body-secondary">{}</div>',
            _("Dealt with"),
            _("by %(name)s at %(when)s") % {"name": staff_name(record.dealt_with_by), "when": when},
            record.note,
        )
