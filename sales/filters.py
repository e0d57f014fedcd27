"""django-filter FilterSets for the back-office lists of products and sales."""

from datetime import UTC, date, datetime, time, timedelta

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.staff import staff_name
from core.widgets import QuickSelect
from customers.models import Cluster, Customer
from customers.selectors import customer_search
from sales.models import OfflineSaleRefusal, PaymentMethod, Product, Sale
from sales.selectors import product_search, sale_cashier_choices

# --- products -----------------------------------------------------------------------------


class ProductFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(attrs={"placeholder": _("Name or code"), "type": "search"}),
    )
    on_sale = django_filters.ChoiceFilter(
        label=_("On sale"),
        choices=[("yes", _("On sale")), ("no", _("Not on sale"))],
        empty_label=_("All"),
        method="filter_on_sale",
    )

    class Meta:
        model = Product
        fields = ["q", "on_sale"]

    def filter_search(self, queryset, name, value):
        return product_search(queryset, value)

    def filter_on_sale(self, queryset, name, value):
        if value == "yes":
            return queryset.filter(is_active=True)
        if value == "no":
            return queryset.filter(is_active=False)
        return queryset


# --- sales --------------------------------------------------------------------------------

SALE_STATUS_CHOICES = [("completed", _("Completed")), ("voided", _("Voided"))]


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return staff_name(obj)


class StaffChoiceFilter(django_filters.ModelChoiceFilter):
    """A user chosen by full name (the username when no name is set)."""

    field_class = StaffChoiceField


# --- a range of the shop's days: the sales list, the payment history, the audit log ---------

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def shop_day_start(day: date, *, days_later: int = 0) -> datetime | None:
    """Midnight starting `day` (plus `days_later`) in the shop's time zone (Africa/Nairobi), in
    UTC; None at the calendar's ends (year 1, year 9999), which bound nothing."""
    try:
        local = datetime.combine(day + timedelta(days=days_later), time.min)
        return local.replace(tzinfo=timezone.get_default_timezone()).astimezone(UTC)
    except OverflowError:
        return None


class DayRangeFilterForm(forms.Form):
    """A day range's filter form: the "to" day may not come before the "from" day."""

    def clean(self):
        cleaned_data = super().clean()
        start, end = cleaned_data.get("date_from"), cleaned_data.get("date_to")
        if start and end and end < start:
            self.add_error(
                "date_to",
                _("The “to” date is before the “from” date. Pick a “to” date on or after it."),
            )
        return cleaned_data


class DayRangeFilterSet(django_filters.FilterSet):
    """From and To, whole days in the shop's time zone, both included, on the `day_field`
    timestamp. Subclasses name `day_field` and use `DayRangeFilterForm` as their Meta.form."""

    day_field = ""
    date_from = django_filters.DateFilter(
        label=_("From"), method="filter_date_from", widget=DATE_INPUT
    )
    date_to = django_filters.DateFilter(label=_("To"), method="filter_date_to", widget=DATE_INPUT)

    def filter_date_from(self, queryset, name, value):
        start = shop_day_start(value)
        return queryset.filter(**{f"{self.day_field}__gte": start}) if start else queryset

    def filter_date_to(self, queryset, name, value):
        # Inclusive: everything before midnight at the end of the "to" day.
        end = shop_day_start(value, days_later=1)
        return queryset.filter(**{f"{self.day_field}__lt": end}) if end else queryset


class SaleFilterSet(DayRangeFilterSet):
    day_field = "sold_at"
    cashier = StaffChoiceFilter(
        label=_("Cashier"), queryset=sale_cashier_choices(), empty_label=_("All cashiers")
    )
    # A text box, not a dropdown: a shop may have a million customers.
    customer = django_filters.CharFilter(
        label=_("Customer"),
        method="filter_customer",
        widget=forms.TextInput(attrs={"placeholder": _("Name or phone"), "type": "search"}),
    )
    payment_method = django_filters.ChoiceFilter(
        label=_("Payment method"), choices=PaymentMethod.choices, empty_label=_("All methods")
    )
    cluster = django_filters.ModelChoiceFilter(
        label=_("Cluster"),
        field_name="customer__clusters",
        queryset=Cluster.objects.all(),
        widget=QuickSelect,
        empty_label=_("All clusters"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=SALE_STATUS_CHOICES,
        empty_label=_("All"),
        method="filter_status",
    )

    class Meta:
        model = Sale
        form = DayRangeFilterForm
        fields = [
            "date_from",
            "date_to",
            "cashier",
            "customer",
            "payment_method",
            "cluster",
            "status",
        ]

    def filter_customer(self, queryset, name, value):
        return queryset.filter(customer__in=customer_search(Customer.objects.all(), value))

    def filter_status(self, queryset, name, value):
        if value == "completed":
            return queryset.filter(voided_at__isnull=True)
        if value == "voided":
            return queryset.filter(voided_at__isnull=False)
        return queryset


# --- refused offline sales ------------------------------------------------------------------

OFFLINE_REFUSAL_STATUS_CHOICES = [
    ("waiting", _("Waiting for a manager")),
    ("dealt_with", _("Dealt with")),
]


class OfflineRefusalFilterSet(DayRangeFilterSet):
    """The refused offline sales by the day they were sold, status and cashier."""

    day_field = "sold_at"
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=OFFLINE_REFUSAL_STATUS_CHOICES,
        empty_label=_("All"),
        method="filter_status",
    )
    cashier = StaffChoiceFilter(
        label=_("Cashier"), queryset=sale_cashier_choices(), empty_label=_("All cashiers")
    )

    class Meta:
        model = OfflineSaleRefusal
        form = DayRangeFilterForm
        fields = ["date_from", "date_to", "status", "cashier"]

    def filter_status(self, queryset, name, value):
        if value == "waiting":
            return queryset.filter(dealt_with_at__isnull=True)
        if value == "dealt_with":
            return queryset.filter(dealt_with_at__isnull=False)
        return queryset
