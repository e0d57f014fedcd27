"""django-filter FilterSets and forms for the credit reports."""

from datetime import date, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from credit.models import CreditPayment, CreditPaymentMethod
from credit.selectors import BUCKETS, ageing_by_customer
from customers.models import Cluster, Customer, CustomerGroup
from customers.selectors import customer_search
from reports.selectors import VipPeriod
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


# --- report periods (VIP, activity) ---

REPORT_EARLIEST = date(2000, 1, 1)


def years_later(day: date, years: int) -> date:
    """The same day `years` later (28 February for a 29 February that does not exist)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class ReportPeriodForm(forms.Form):
    """A report's period, "from" and "to" both included, in Africa/Nairobi. Either may be left
    empty for the report's default. Refused with a message: reversed, before the shop's records
    (2000), ending after today, or longer than `max_years`."""

    max_years = 3
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE_INPUT)

    def fill_defaults(self, date_from: date | None, date_to: date | None) -> tuple[date, date]:
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        start, end = self.fill_defaults(cleaned.get("date_from"), cleaned.get("date_to"))
        if end < start:
            raise ValidationError(
                _(
                    "The period ends before it starts: the “to” date is before the “from” date. "
                    "Swap them or pick again."
                ),
                code="period_reversed",
            )
        if start < REPORT_EARLIEST:
            raise ValidationError(
                _("The shop's records start in 2000: pick dates from 1 January 2000 on."),
                code="period_too_early",
            )
        if end > timezone.localdate():
            raise ValidationError(
                _("The report cannot look ahead: pick today or an earlier day."),
                code="period_in_future",
            )
        if end > years_later(start, self.max_years):
            raise ValidationError(
                _("Pick a period of at most %(years)d years.") % {"years": self.max_years},
                code="period_too_long",
            )
        # Kept beside cleaned_data, not in it: a FilterSet reads every cleaned_data key as a filter.
        self.bounds = (start, end)
        return cleaned

    def period(self) -> tuple[date, date] | None:
        """(start, end) when the form is usable, else None. Unbound: the default period."""
        if not self.is_bound:
            return self.fill_defaults(None, None)
        if not self.is_valid():
            return None
        return self.bounds


class VipPeriodForm(forms.Form):
    """The VIP report's period: a calendar year or month, chosen from a list that runs from this
    month back to the first sale; this year unless chosen. Anything else (a typed URL, a month
    to come) is refused with a message."""

    period = forms.ChoiceField(label=_("Period"), required=False)

    def __init__(self, *args, first_sale_day: date | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = timezone.localdate()
        self.fields["period"].choices = vip_period_choices(self.today, first_sale_day)
        self.fields["period"].error_messages["invalid_choice"] = _(
            "Pick a year or a month from the list: %(value)s is not one the shop has sales for."
        )

    def chosen_period(self) -> VipPeriod | None:
        """The chosen period; this year when none was chosen; None while refused."""
        if not self.is_bound:
            return VipPeriod.of_year(self.today.year)
        if not self.is_valid():
            return None
        return vip_period_from_value(self.cleaned_data["period"]) or VipPeriod.of_year(
            self.today.year
        )


def vip_period_from_value(value: str) -> VipPeriod | None:
    """ "2026" -> the year 2026, "2026-11" -> November 2026, anything else -> None."""
    try:
        if len(value) == 4:
            return VipPeriod.of_year(int(value))
        if len(value) == 7 and value[4] == "-":
            return VipPeriod.of_month(int(value[:4]), int(value[5:]))
    except ValueError:
        return None
    return None


def vip_period_choices(today: date, first_sale_day: date | None) -> list:
    """Each year from this one back to the first sale's, then each year's months, newest
    first: [(value, label)] and [(year, [(value, label), ...])] groups for a <select>."""
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


# --- activity ---
# The period of the activity reports (reports.selectors.customer_activity, activity_by_cluster):
# "from" and "to" inclusive, in Africa/Nairobi; the last 30 days unless chosen.

ACTIVITY_DEFAULT_DAYS = 30


class ActivityPeriodForm(ReportPeriodForm):
    """The activity reports' period: "to" defaults to today, "from" to 29 days before "to";
    at most 3 years."""

    max_years = 3

    def fill_defaults(self, date_from, date_to):
        return activity_period({"date_from": date_from, "date_to": date_to})


def activity_period(cleaned_data) -> tuple[date, date]:
    """(first day, last day) of a valid period form's data, the defaults filled in."""
    end = cleaned_data.get("date_to") or timezone.localdate()
    start = cleaned_data.get("date_from") or end - timedelta(days=ACTIVITY_DEFAULT_DAYS - 1)
    return start, end


class ActivityCustomerFilterSet(django_filters.FilterSet):
    """The period and a cluster. The queryset it is given is every customer; `filter_queryset`
    narrows it to the cluster's, then keeps those with a visit in the period, with their figures
    (reports.selectors.customer_activity). Always bound (the view passes the GET data, even
    empty), so the default period applies on a first visit too."""

    date_from = django_filters.DateFilter(
        label=_("From"), method="filter_period", widget=DATE_INPUT
    )
    date_to = django_filters.DateFilter(label=_("To"), method="filter_period", widget=DATE_INPUT)
    cluster = django_filters.ModelChoiceFilter(
        label=_("Cluster"),
        method="filter_cluster",
        queryset=Cluster.objects.all(),
        empty_label=_("All clusters"),
    )

    class Meta:
        model = Customer
        form = ActivityPeriodForm
        fields = ["date_from", "date_to", "cluster"]

    def filter_period(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset: it decides the figures

    def filter_cluster(self, queryset, name, value):
        return in_cluster(queryset, value)

    @property
    def period(self) -> tuple[date, date]:
        return activity_period(self.form.cleaned_data)

    def filter_queryset(self, queryset):
        from reports.selectors import customer_activity

        return customer_activity(super().filter_queryset(queryset), *self.period)


def in_cluster(customers: QuerySet, cluster) -> QuerySet:
    """The customers in `cluster`, as EXISTS: no join that would repeat a customer's sales."""
    members = Customer.clusters.through.objects.filter(customer=OuterRef("pk"), cluster=cluster)
    return customers.filter(Exists(members))
