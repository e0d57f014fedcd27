"""django-import-export resources: the one definition of each credit report export's columns.

The credit report's rows carry their ageing as `customer.ageing` (credit.selectors.Ageing),
attached a chunk at a time by the view; the SMS reminders' rows also carry `as_of`.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources

from core.staff import staff_name
from credit.models import CreditPayment
from credit.selectors import Ageing
from customers.models import Customer
from sales.models import CustomerSalesTotal


def _money(value) -> str:
    return f"{value:.2f}"


def _local_date(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d") if value else ""


def _ageing(customer) -> Ageing:
    return getattr(customer, "ageing", None) or Ageing(customer_id=customer.pk)


class CreditReportResource(resources.ModelResource):
    """The credit report's columns, in its order: balance as of the report's day, then ageing.

    Each customer carries `balance` (credit.selectors.customers_owing_as_of), `ageing`, and, as
    plain text, `phone_e164` and `group_name` (reports.views.CreditReportExportView).
    """

    name = fields.Field(attribute="name", column_name=_("Name"))
    phone = fields.Field(attribute="phone_e164", column_name=_("Phone"))
    village = fields.Field(attribute="village", column_name=_("Village"))
    group = fields.Field(attribute="group_name", column_name=_("Group"))
    balance = fields.Field(column_name=_("Balance"))
    credit_limit = fields.Field(column_name=_("Credit limit"))
    oldest_unpaid = fields.Field(column_name=_("Oldest unpaid"))
    current = fields.Field(column_name=_("Current"))
    days_31_60 = fields.Field(column_name=_("31-60"))
    days_61_90 = fields.Field(column_name=_("61-90"))
    over_90 = fields.Field(column_name=_("Over 90"))

    class Meta:
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
        export_order = fields

    def dehydrate_balance(self, customer):
        return _money(customer.balance)

    def dehydrate_credit_limit(self, customer):
        return _money(customer.credit_limit)

    def dehydrate_oldest_unpaid(self, customer):
        return _local_date(_ageing(customer).oldest_unpaid_at)

    def dehydrate_current(self, customer):
        return _money(_ageing(customer).current)

    def dehydrate_days_31_60(self, customer):
        return _money(_ageing(customer).days_31_60)

    def dehydrate_days_61_90(self, customer):
        return _money(_ageing(customer).days_61_90)

    def dehydrate_over_90(self, customer):
        return _money(_ageing(customer).over_90)


class CreditAgeingResource(resources.Resource):
    """The ageing summary: one row per bucket (credit.selectors.ageing_summary), then a total."""

    bucket = fields.Field(attribute="label", column_name=_("Bucket"))
    amount = fields.Field(column_name=_("Amount"))
    share = fields.Field(column_name=_("Share %"))
    customers = fields.Field(attribute="customers", column_name=_("Customers"))

    class Meta:
        fields = ("bucket", "amount", "share", "customers")
        export_order = fields

    def dehydrate_amount(self, row):
        return _money(row["amount"])

    def dehydrate_share(self, row):
        return f"{row['share']:.1f}"


class CreditPaymentResource(resources.ModelResource):
    """The payment history's columns, in its order; times in Africa/Nairobi."""

    received_at = fields.Field(column_name=_("Time"))
    customer = fields.Field(column_name=_("Customer"))
    method = fields.Field(column_name=_("Method"))
    mpesa_code = fields.Field(attribute="mpesa_code", column_name=_("M-Pesa code"))
    amount = fields.Field(column_name=_("Amount"))
    balance_after = fields.Field(column_name=_("Balance after"))
    received_by = fields.Field(column_name=_("Received by"))

    class Meta:
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
        export_order = fields

    def dehydrate_received_at(self, payment):
        return timezone.localtime(payment.received_at).strftime("%Y-%m-%d %H:%M")

    def dehydrate_customer(self, payment):
        return payment.customer.name if payment.customer else ""

    def dehydrate_method(self, payment):
        return payment.get_method_display()

    def dehydrate_amount(self, payment):
        return _money(payment.amount)

    def dehydrate_balance_after(self, payment):
        return _money(payment.balance_after)

    def dehydrate_received_by(self, payment):
        return staff_name(payment.received_by)


class CreditSmsReminderResource(resources.ModelResource):
    """For a bulk-SMS upload: phone in E.164 first (as gateways such as Africa's Talking want),
    name, what the customer owes in all and how many days the oldest unpaid credit is overdue."""

    phone = fields.Field(column_name=_("Phone"))
    name = fields.Field(attribute="name", column_name=_("Name"))
    amount_owed = fields.Field(column_name=_("Amount owed"))
    days_overdue = fields.Field(column_name=_("Days overdue"))

    class Meta:
        model = Customer
        fields = ("phone", "name", "amount_owed", "days_overdue")
        export_order = fields

    def dehydrate_phone(self, customer):
        return customer.phone.as_e164

    def dehydrate_amount_owed(self, customer):
        return _money(customer.ageing.outstanding)

    def dehydrate_days_overdue(self, customer):
        return str(customer.ageing.days_overdue(customer.as_of))


# --- VIP ---


class VipResource(resources.Resource):
    """The VIP report: every ranked customer (reports.selectors.vip_ranking rows), in rank order."""

    rank = fields.Field(attribute="rank", column_name=_("Rank"))
    name = fields.Field(attribute="name", column_name=_("Name"))
    phone = fields.Field(attribute="phone", column_name=_("Phone"))
    visits = fields.Field(attribute="visits", column_name=_("Visits"))
    revenue = fields.Field(column_name=_("Revenue"))
    share = fields.Field(column_name=_("Share %"))
    cumulative_share = fields.Field(column_name=_("Cumulative share %"))

    class Meta:
        fields = ("rank", "name", "phone", "visits", "revenue", "share", "cumulative_share")
        export_order = fields

    def dehydrate_revenue(self, row):
        return _money(row["revenue"])

    def dehydrate_share(self, row):
        return f"{row['share']:.2f}"

    def dehydrate_cumulative_share(self, row):
        return f"{row['cumulative_share']:.2f}"


# --- activity ---
class ActivityCustomerResource(resources.ModelResource):
    """The activity-by-customer table's columns, in its order (CustomerSalesTotal rows with
    their customer, reports.selectors.customer_activity)."""

    name = fields.Field(attribute="customer__name", column_name=_("Name"))
    phone = fields.Field(column_name=_("Phone"))
    visits = fields.Field(attribute="visits", column_name=_("Visits"))
    revenue = fields.Field(column_name=_("Revenue"))
    average_basket = fields.Field(column_name=_("Average basket"))
    first_visit = fields.Field(column_name=_("First visit"))

    class Meta:
        model = CustomerSalesTotal
        fields = ("name", "phone", "visits", "revenue", "average_basket", "first_visit")
        export_order = fields

    def dehydrate_phone(self, total):
        return str(total.customer.phone or "")

    def dehydrate_revenue(self, total):
        return _money(total.revenue)

    def dehydrate_average_basket(self, total):
        from reports.selectors import average_basket

        return _money(average_basket(total.revenue, total.visits))

    def dehydrate_first_visit(self, total):
        return _local_date(total.customer.first_visit_at)


class ActivityClusterResource(resources.Resource):
    """Activity by cluster: one row per cluster, the walk-in sales, then the total
    (reports.selectors.activity_by_cluster)."""

    cluster = fields.Field(attribute="label", column_name=_("Cluster"))
    visits = fields.Field(attribute="visits", column_name=_("Visits"))
    revenue = fields.Field(column_name=_("Revenue"))
    active = fields.Field(attribute="active", column_name=_("Active customers"))
    new = fields.Field(attribute="new", column_name=_("New customers"))
    average_basket = fields.Field(column_name=_("Average basket"))

    class Meta:
        fields = ("cluster", "visits", "revenue", "active", "new", "average_basket")
        export_order = fields

    def dehydrate_revenue(self, row):
        return _money(row["revenue"])

    def dehydrate_average_basket(self, row):
        return _money(row["average_basket"])
