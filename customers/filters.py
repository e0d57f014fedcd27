import copy

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from core.widgets import QuickSelect
from customers.models import Cluster, Customer, CustomerGroup
from customers.selectors import customer_search, customers_with_sale_since

LAST_SALE_CHOICES = [
    ("0", _("Today")),
    ("7", _("Last 7 days")),
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("365", _("Last 12 months")),
]


class CustomerFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={"placeholder": _("Name, phone, village, Tax PIN, email"), "type": "search"}
        ),
    )
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
    send_sms = django_filters.ChoiceFilter(
        label=_("Send SMS"),
        choices=[("yes", _("Send SMS only"))],
        empty_label=_("All"),
        method="filter_send_sms",
    )
    location = django_filters.ChoiceFilter(
        label=_("Location"),
        choices=[("yes", _("Has location")), ("no", _("No location"))],
        empty_label=_("All"),
        method="filter_location",
    )
    last_sale = django_filters.ChoiceFilter(
        label=_("Filter last sale"),
        choices=LAST_SALE_CHOICES,
        empty_label=_("Any time"),
        method="filter_last_sale",
    )

    class Meta:
        model = Customer
        fields = ["q", "cluster", "group", "send_sms", "location", "last_sale"]

    def filter_search(self, queryset, name, value):
        return customer_search(queryset, value)

    def filter_send_sms(self, queryset, name, value):
        return queryset.filter(send_sms=True) if value == "yes" else queryset

    def filter_location(self, queryset, name, value):
        if value == "yes":
            return queryset.filter(latitude__isnull=False, longitude__isnull=False)
        if value == "no":
            return queryset.filter(latitude__isnull=True)
        return queryset

    def filter_last_sale(self, queryset, name, value):
        return customers_with_sale_since(queryset, int(value))


class CustomerMapFilterSet(django_filters.FilterSet):
    """The customer map's filters: the customer list's cluster and group filters."""

    cluster = copy.deepcopy(CustomerFilterSet.declared_filters["cluster"])
    group = copy.deepcopy(CustomerFilterSet.declared_filters["group"])

    class Meta:
        model = Customer
        fields = ["cluster", "group"]
