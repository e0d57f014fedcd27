"""django-import-export resources: the one definition of each export's columns.

Each column is read two ways (core.export): from a model instance, by its dehydrate method or
attribute (django-import-export's own export(), and any resource without declared values); and,
for the streamed CSV downloads, from the database `values` it declares through its `format`.
The dehydrate methods are the reference: tests/customers/test_export_values.py holds the values
path to the same bytes.
"""

from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import resources

from core.export import (
    LocalMinuteField,
    RelatedNamesField,
    ValuesField,
    YesNoField,
    neutralise_formula,
)
from core.money import to_money
from core.phones import e164_of_stored
from customers.models import Customer, available_credit, location_is_set


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _yes_no(value: bool) -> str:
    return str(_("Yes")) if value else str(_("No"))


def stored_phone():
    """The phone column as stored (E.164 text): a PhoneNumber parsed per row would cost more
    than the rest of the row."""
    return Cast("phone", output_field=CharField())


def phone_cell(stored) -> str:
    """The phone in E.164, neutralised: a stored E.164 number comes back as it is, a plain
    number no spreadsheet runs, so only anything else needs neutralise_formula (and its two
    regular expressions)."""
    text = e164_of_stored(stored)
    return text if text is stored else neutralise_formula(text)


def available_credit_text(credit_limit, credit_balance) -> str:
    # "0.00", not "0", when nothing is left.
    return str(to_money(available_credit(credit_limit, credit_balance)))


class CustomerTableResource(resources.ModelResource):
    """The customer table's columns, in its order (Export to CSV)."""

    name = ValuesField(attribute="name", column_name=_("Name"))
    phone = ValuesField(
        column_name=_("Phone"), values=[stored_phone()], format=phone_cell, formula_safe=True
    )
    last_cashier = ValuesField(attribute="last_cashier_name", column_name=_("Last Cashier Name"))
    clusters = RelatedNamesField(
        Customer.clusters, name_field="name", separator=", ", column_name=_("Clusters")
    )
    village = ValuesField(attribute="village", column_name=_("Village"))
    send_sms = YesNoField(column_name=_("Send SMS"), values=["send_sms"])
    # Only whether each is set matters: as text, not a Decimal apiece.
    has_location = YesNoField(
        column_name=_("Has Location Data"),
        values=[Cast("latitude", CharField()), Cast("longitude", CharField())],
        test=location_is_set,
    )
    first_visit_at = LocalMinuteField("first_visit_at", column_name=_("First Visit"))
    last_visit_at = LocalMinuteField("last_visit_at", column_name=_("Last Visit"))
    # Numbers, written as str() writes them ("1500.00"): never a formula.
    total_visits = ValuesField(
        attribute="total_visits", column_name=_("Total Visits"), formula_safe=True
    )
    total_spent = ValuesField(
        attribute="total_spent", column_name=_("Total Spent"), formula_safe=True
    )
    credit_balance = ValuesField(
        attribute="credit_balance", column_name=_("Credit Balance"), formula_safe=True
    )
    credit_limit = ValuesField(
        attribute="credit_limit", column_name=_("Credit Limit"), formula_safe=True
    )
    available_credit = ValuesField(
        column_name=_("Available Credit"),
        values=["credit_limit", "credit_balance"],
        format=available_credit_text,
        formula_safe=True,
    )

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

    phone = ValuesField(
        column_name=_("Phone"), values=[stored_phone()], format=phone_cell, formula_safe=True
    )
    name = ValuesField(attribute="name", column_name=_("Name"))

    class Meta:
        model = Customer
        fields = ("phone", "name")
        export_order = fields

    def dehydrate_phone(self, customer):
        return customer.phone.as_e164
