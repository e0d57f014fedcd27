"""django-import-export resources: the one definition of each export's columns."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources

from core.money import to_money
from customers.models import Customer


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _yes_no(value: bool) -> str:
    return str(_("Yes")) if value else str(_("No"))


class CustomerTableResource(resources.ModelResource):
    """The customer table's columns, in its order (Export to CSV)."""

    name = fields.Field(attribute="name", column_name=_("Name"))
    phone = fields.Field(column_name=_("Phone"))
    last_cashier = fields.Field(column_name=_("Last Cashier Name"))
    clusters = fields.Field(column_name=_("Clusters"))
    village = fields.Field(attribute="village", column_name=_("Village"))
    send_sms = fields.Field(column_name=_("Send SMS"))
    has_location = fields.Field(column_name=_("Has Location Data"))
    first_visit_at = fields.Field(column_name=_("First Visit"))
    last_visit_at = fields.Field(column_name=_("Last Visit"))
    total_visits = fields.Field(attribute="total_visits", column_name=_("Total Visits"))
    total_spent = fields.Field(attribute="total_spent", column_name=_("Total Spent"))
    credit_balance = fields.Field(attribute="credit_balance", column_name=_("Credit Balance"))
    credit_limit = fields.Field(attribute="credit_limit", column_name=_("Credit Limit"))
    available_credit = fields.Field(column_name=_("Available Credit"))

    class Meta:
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
        export_order = fields

    def dehydrate_phone(self, customer):
        return customer.phone.as_e164 if customer.phone else ""

    def dehydrate_available_credit(self, customer):
        return to_money(customer.available_credit)  # "0.00", not "0", when nothing is left

    def dehydrate_last_cashier(self, customer):
        cashier = customer.last_cashier
        return (cashier.get_full_name() or cashier.get_username()) if cashier else ""

    def dehydrate_clusters(self, customer):
        # .all() reads the prefetched clusters: no query per row.
        return ", ".join(cluster.name for cluster in customer.clusters.all())

    def dehydrate_send_sms(self, customer):
        return _yes_no(customer.send_sms)

    def dehydrate_has_location(self, customer):
        return _yes_no(customer.has_location)

    def dehydrate_first_visit_at(self, customer):
        return _local(customer.first_visit_at)

    def dehydrate_last_visit_at(self, customer):
        return _local(customer.last_visit_at)


class CustomerSmsUploadResource(resources.ModelResource):
    """Phone in E.164 (as bulk-SMS gateways such as Africa's Talking require), then name."""

    phone = fields.Field(column_name=_("Phone"))
    name = fields.Field(attribute="name", column_name=_("Name"))

    class Meta:
        model = Customer
        fields = ("phone", "name")
        export_order = fields

    def dehydrate_phone(self, customer):
        return customer.phone.as_e164
