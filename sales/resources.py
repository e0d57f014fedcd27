"""django-import-export resources: the one definition of each export's columns (products and
sales)."""

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources

from core.staff import staff_name
from sales.models import Sale

# --- sales --------------------------------------------------------------------------------


class SaleTableResource(resources.ModelResource):
    """The sales table's columns, in its order (Export to CSV); times in Africa/Nairobi."""

    number = fields.Field(attribute="pk", column_name=_("Sale number"))
    sold_at = fields.Field(column_name=_("Time"))
    customer = fields.Field(column_name=_("Customer"))
    cashier = fields.Field(column_name=_("Cashier"))
    payment_method = fields.Field(column_name=_("Payment method"))
    total = fields.Field(attribute="total", column_name=_("Total"))
    status = fields.Field(column_name=_("Status"))

    class Meta:
        model = Sale
        fields = ("number", "sold_at", "customer", "cashier", "payment_method", "total", "status")
        export_order = fields

    def dehydrate_sold_at(self, sale):
        # The default time zone is the shop's (settings.TIME_ZONE, Africa/Nairobi).
        return timezone.localtime(sale.sold_at, timezone.get_default_timezone()).strftime(
            "%Y-%m-%d %H:%M"
        )

    def dehydrate_customer(self, sale):
        return sale.customer.name if sale.customer else gettext("Walk-in")

    def dehydrate_cashier(self, sale):
        return staff_name(sale.cashier)

    def dehydrate_payment_method(self, sale):
        return sale.get_payment_method_display()

    def dehydrate_total(self, sale):
        return f"{sale.total:.2f}"

    def dehydrate_status(self, sale):
        return gettext("Voided") if sale.is_voided else gettext("Completed")
