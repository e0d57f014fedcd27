"""django-filter FilterSets and forms for the credit reports."""

from datetime import date

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.models import AuditAction, AuditEvent
from core.widgets import QuickSelect
from credit.models import CreditPayment, CreditPaymentMethod
from credit.selectors import BUCKETS, ageing_by_customer
from customers.models import Cluster, Customer, CustomerGroup
from customers.selectors import customer_search
from reports.selectors import ReportPeriod
from sales.filters import (
    DATE_INPUT,
    DayRangeFilterForm,
    DayRangeFilterSet,
    StaffChoiceFilter,
)
from sales.models import CustomerSalesTotal, SalesPeriod
from sales.selectors import sale_cashier_choices


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
        widget=QuickSelect,
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


class CreditPaymentFilterSet(DayRangeFilterSet):
    day_field = "received_at"
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
        form = DayRangeFilterForm
        fields = ["date_from", "date_to", "method", "cashier", "customer"]

    def filter_customer(self, queryset, name, value):
        return queryset.filter(customer__in=customer_search(Customer.objects.all(), value))


# --- report periods (VIP, activity) ---
# Reports over sales cover a calendar year or month: the figures kept with the sales
# (sales.figures) are per month and per year, so any of them reads a few rows.

REPORT_EARLIEST = date(2000, 1, 1)


class ReportPeriodForm(forms.Form):
    """A report's period: a calendar year or month, chosen from a list that runs from this
    month back to the first sale; this year (or this month, `default`) unless chosen.
    Anything else (a typed URL, a month to come) is refused with a message."""

    period = forms.ChoiceField(label=_("Period"), required=False)

    def __init__(
        self, *args, first_sale_day: date | None, default: str = SalesPeriod.YEAR, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.today = timezone.localdate()
        self.default = default
        self.fields["period"].choices = report_period_choices(self.today, first_sale_day)
        self.fields["period"].initial = self.default_period().value  # shown selected
        self.fields["period"].error_messages["invalid_choice"] = _(
            "Pick a year or a month from the list: %(value)s is not one the shop has sales for."
        )

    def default_period(self) -> ReportPeriod:
        if self.default == SalesPeriod.MONTH:
            return ReportPeriod.of_month(self.today.year, self.today.month)
        return ReportPeriod.of_year(self.today.year)

    def chosen_period(self) -> ReportPeriod | None:
        """The chosen period; the default when none was chosen; None while refused."""
        if not self.is_bound:
            return self.default_period()
        if not self.is_valid():
            return None
        return report_period_from_value(self.cleaned_data["period"]) or self.default_period()


def report_period_from_value(value: str) -> ReportPeriod | None:
    """ "2026" -> the year 2026, "2026-11" -> November 2026, anything else -> None."""
    try:
        if len(value) == 4:
            return ReportPeriod.of_year(int(value))
        if len(value) == 7 and value[4] == "-":
            return ReportPeriod.of_month(int(value[:4]), int(value[5:]))
    except ValueError:
        return None
    return None


def report_period_choices(today: date, first_sale_day: date | None) -> list:
    """Each year from this one back to the first sale's, then each year's months, newest
    first: [(group label, [(value, label), ...])] for a <select>."""
    first_year = max((first_sale_day or today).year, REPORT_EARLIEST.year)
    years = range(today.year, first_year - 1, -1)
    choices = [
        (
            _("Years"),
            [
                (
                    f"{year}",
                    _("%(year)s (so far)") % {"year": year} if year == today.year else f"{year}",
                )
                for year in years
            ],
        )
    ]
    for year in years:
        last_month = today.month if year == today.year else 12
        first_month = first_sale_day.month if first_sale_day and year == first_year else 1
        choices.append(
            (
                _("Months of %(year)s") % {"year": year},
                [
                    (f"{year}-{month:02d}", date_format(date(year, month, 1), "F Y"))
                    for month in range(last_month, first_month - 1, -1)
                ],
            )
        )
    return choices


class ActivityCustomerFilterSet(django_filters.FilterSet):
    """The period (this month unless chosen) and a cluster. The queryset it is given is the
    period's customer totals; it is replaced in filter_queryset by the chosen period's."""

    period = django_filters.CharFilter(label=_("Period"), method="filter_nothing")
    cluster = django_filters.ModelChoiceFilter(
        label=_("Cluster"),
        method="filter_nothing",
        queryset=Cluster.objects.all(),
        widget=QuickSelect,
        empty_label=_("All clusters"),
    )

    class Meta:
        model = CustomerSalesTotal
        fields = ["period", "cluster"]

    def __init__(self, data=None, *args, first_sale_day: date | None, **kwargs):
        self.period_form = ReportPeriodForm(
            {"period": data.get("period")} if data and data.get("period") else None,
            first_sale_day=first_sale_day,
            default=SalesPeriod.MONTH,
        )
        if data is not None and not data.get("period"):
            # The default period, written in, so the list shows it chosen.
            data = data.copy()
            data["period"] = self.period_form.default_period().value
        super().__init__(data, *args, **kwargs)
        self.form.fields["period"] = self.period_form.fields["period"]

    def filter_nothing(self, queryset, name, value):
        return queryset  # both decide the rows in filter_queryset

    def is_valid(self):
        return super().is_valid() and self.period_form.chosen_period() is not None

    @property
    def chosen_period(self) -> ReportPeriod:
        return self.period_form.chosen_period()

    @property
    def chosen_cluster(self) -> Cluster | None:
        return self.form.cleaned_data.get("cluster")

    def filter_queryset(self, queryset):
        from reports.selectors import customer_activity

        return customer_activity(self.chosen_period, self.chosen_cluster)


# --- the audit log ---
class AuditEventFilterSet(DayRangeFilterSet):
    day_field = "occurred_at"
    action = django_filters.ChoiceFilter(
        label=_("What"), choices=AuditAction.choices, empty_label=_("Everything")
    )
    actor = StaffChoiceFilter(
        label=_("Who"), queryset=sale_cashier_choices(), empty_label=_("All staff")
    )

    class Meta:
        model = AuditEvent
        form = DayRangeFilterForm
        fields = ["date_from", "date_to", "action", "actor"]
