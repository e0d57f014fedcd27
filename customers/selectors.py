"""Reads of customers that are more than a `.get`."""

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from core.phones import phone_search_digits
from customers.models import Cluster, Customer, CustomerGroup


def customer_list_queryset() -> QuerySet[Customer]:
    """Everything the customer table shows, in a fixed number of queries whatever the page size."""
    return Customer.objects.select_related("last_cashier", "group").prefetch_related("clusters")


def customer_search(queryset: QuerySet[Customer], text: str) -> QuerySet[Customer]:
    """Name, village, email or Tax PIN containing `text`; or a phone typed in any format."""
    text = (text or "").strip()
    if not text:
        return queryset
    condition = (
        Q(name__icontains=text)
        | Q(village__icontains=text)
        | Q(email__icontains=text)
        | Q(tax_pin__icontains=text)
    )
    digits = phone_search_digits(text)
    if digits:
        condition |= Q(phone__contains=digits)
    return queryset.filter(condition)


def customer_suggestions(text: str, *, limit: int = 8) -> list[Customer]:
    """The first few customers matching what a cashier typed (name or phone), for the till."""
    text = (text or "").strip()
    if len(text) < 2:
        return []
    matches = customer_search(Customer.objects.select_related("group"), text)
    return list(matches.order_by("name", "pk")[:limit])


def customers_with_sale_since(queryset: QuerySet[Customer], days: int) -> QuerySet[Customer]:
    """Customers whose last sale falls within the last `days` days (0: since midnight today)."""
    if days == 0:
        since = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        since = timezone.now() - timedelta(days=days)
    return queryset.filter(last_visit_at__gte=since)


def customers_for_sms_upload() -> QuerySet[Customer]:
    """Every customer who agreed to SMS, whatever the table's filters: for bulk-SMS gateways."""
    return Customer.objects.filter(send_sms=True).order_by("name", "pk")


def customer_group_default() -> CustomerGroup:
    return CustomerGroup.objects.get(slug=CustomerGroup.WALK_IN)


def customer_with_phone(phone, *, exclude_pk=None) -> Customer | None:
    queryset = Customer.objects.filter(phone=phone)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.only("pk", "name").first()


def customer_history(customer: Customer, *, limit: int = 20) -> list[dict]:
    """The latest changes to a customer: who, when, what kind, and which fields changed."""
    records = list(
        customer.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    pairs = list(zip(records, records[1:] + [None], strict=True))[:limit]
    deltas = [
        newer.diff_against(older) if older is not None and newer.history_type == "~" else None
        for newer, older in pairs
    ]
    cluster_names = dict(Cluster.objects.values_list("pk", "name"))
    entries = []
    for (newer, _older), delta in zip(pairs, deltas, strict=True):
        changes = [
            {
                "field": Customer._meta.get_field(change.field).verbose_name,
                "old": _display(change.old, cluster_names),
                "new": _display(change.new, cluster_names),
            }
            for change in (delta.changes if delta else [])
        ]
        entries.append({"record": newer, "changes": changes})
    return entries


def _display(value, cluster_names: dict) -> str:
    if isinstance(value, list):  # clusters: simple-history gives the through rows as dicts
        return ", ".join(sorted(cluster_names.get(row.get("cluster"), "?") for row in value))
    return "" if value is None else str(value)


MAP_MARKER_LIMIT = 5000
MAP_FIELDS = ("pk", "name", "phone", "village", "latitude", "longitude", "group__name")


def customers_for_map(
    queryset: QuerySet[Customer] | None = None, *, limit: int = MAP_MARKER_LIMIT
) -> tuple[list[dict], bool]:
    """The located customers of `queryset` (all customers by default), as plain values holding
    only what the map shows, in one query; at most `limit` of them. Returns (rows, more): `more`
    is True when further located customers were left out."""
    if queryset is None:
        queryset = Customer.objects.all()
    rows = list(
        queryset.filter(latitude__isnull=False, longitude__isnull=False)
        .order_by("name", "pk")
        .values(*MAP_FIELDS)[: limit + 1]
    )
    return rows[:limit], len(rows) > limit
