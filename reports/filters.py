"""django-filter FilterSets and forms for the credit reports."""

from datetime import date

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from credit.models import CreditPayment, CreditPaymentMethod
from credit.selectors import BUCKETS, ageing_by_customer
from customers.models import Cluster, Customer, CustomerGroup
from customers.selectors import customer_search
from sales.filters import SaleFilterForm, StaffChoiceFilter, shop_day_start
from sales.selectors import sale_cashier_choices

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AsOfForm(forms.Form):
    """The day a report is run "as of": today unless a past day is asked for."""

    as_of = forms.DateField(label=_("As of"), required=False, widget=DATE_INPUT)

    def clean_as_of(self):
        value = self.cleaned_data.get("as_of")
        if value and value > timezone.localdate():
            raise ValidationError(
                _("The report cannot look ahead: pick today or an earlier day."),
                code="as_of_in_future",
            )
        return value


def requested_as_of(data) -> date:
    """The as-of day in a request's GET data; today when none (or an unusable one) is given."""
    form = AsOfForm(data)
    if form.is_valid() and form.cleaned_data["as_of"]:
        return form.cleaned_data["as_of"]
    return timezone.localdate()


def filter_pk_in(queryset: QuerySet, pks) -> QuerySet:
    """`pk IN (...)` with the ids written into the SQL as integers.

    PostgreSQL's server-side binding (on in settings) takes at most 65,535 parameters, and a
    bucket may hold 100,000 customers. The ids come from our own database and are cast to int
    here, so nothing a user typed reaches the SQL.
    """
    ids = sorted({int(pk) for pk in pks})
    if not ids:
        return queryset.none()
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    column = connection.ops.quote_name(queryset.model._meta.pk.column)
    listed = ",".join(str(pk) for pk in ids)
    sql = f"SELECT {column} FROM {table} WHERE {column} IN ({listed})"
    return queryset.filter(pk__in=RawSQL(sql, ()))


class CreditReportFilterSet(django_filters.FilterSet):
    """Filters of the per-customer credit report. The queryset it narrows is already the
    customers owing as of the chosen day (the view reads `as_of` first)."""

    as_of = django_filters.DateFilter(label=_("As of"), method="filter_as_of", widget=DATE_INPUT)
    cluster = django_filters.ModelChoiceFilter(
        label=_("Cluster"),
        field_name="clusters",
        queryset=Cluster.objects.all(),
        empty_label=_("All clusters"),
    )
    group = django_filters.ModelChoiceFilter(
        label=_("Customer group"),
        queryset=CustomerGroup.objects.all(),
        empty_label=_("All groups"),
    )
    village = django_filters.CharFilter(
        label=_("Village"),
        lookup_expr="icontains",
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    # Last: it computes the ageing of every customer the other filters left.
    bucket = django_filters.ChoiceFilter(
        label=_("Ageing bucket"),
        choices=BUCKETS,
        empty_label=_("Any age"),
        method="filter_bucket",
    )

    class Meta:
        model = Customer
        form = AsOfForm
        fields = ["as_of", "cluster", "group", "village", "bucket"]

    def filter_as_of(self, queryset, name, value):
        return queryset  # chosen before filtering: it decides who owes and how much

    def filter_bucket(self, queryset, name, value):
        """Customers with something owed in that bucket: the one filter that needs everyone's
        ageing (one pass over their ledger), not just the page's."""
        as_of = self.form.cleaned_data.get("as_of") or timezone.localdate()
        ageing = ageing_by_customer(as_of, customers=queryset)
        return filter_pk_in(queryset, (pk for pk, row in ageing.items() if row.bucket(value) > 0))


class PaymentFilterForm(SaleFilterForm):
    """The sales list's check that the "to" date is not before the "from" date."""


class CreditPaymentFilterSet(django_filters.FilterSet):
    date_from = django_filters.DateFilter(
        label=_("From"), method="filter_date_from", widget=DATE_INPUT
    )
    date_to = django_filters.DateFilter(label=_("To"), method="filter_date_to", widget=DATE_INPUT)
    method = django_filters.ChoiceFilter(
        label=_("Method"), choices=CreditPaymentMethod.choices, empty_label=_("All methods")
    )
    cashier = StaffChoiceFilter(
        label=_("Received by"),
        field_name="received_by",
        queryset=sale_cashier_choices(),
        empty_label=_("All staff"),
    )
    # A text box, not a dropdown: a shop may have a million customers.
    customer = django_filters.CharFilter(
        label=_("Customer"),
        method="filter_customer",
        widget=forms.TextInput(attrs={"placeholder": _("Name or phone"), "type": "search"}),
    )

    class Meta:
        model = CreditPayment
        form = PaymentFilterForm
        fields = ["date_from", "date_to", "method", "cashier", "customer"]

    def filter_date_from(self, queryset, name, value):
        start = shop_day_start(value)
        return queryset.filter(received_at__gte=start) if start else queryset

    def filter_date_to(self, queryset, name, value):
        # Inclusive: everything before midnight at the end of the "to" day (Africa/Nairobi).
        end = shop_day_start(value, days_later=1)
        return queryset.filter(received_at__lt=end) if end else queryset

    def filter_customer(self, queryset, name, value):
        return queryset.filter(customer__in=customer_search(Customer.objects.all(), value))
