"""Reads of customers that are more than a `.get`."""

from datetime import datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import CharField, Count, Func, Max, Q, QuerySet, Sum, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from core.phones import e164_of_stored, phone_search_digits
from customers.models import Cluster, Customer, CustomerGroup
from sales.models import Sale, SaleLine


def customer_list_queryset() -> QuerySet[Customer]:
    """Everything the customer table shows, in a fixed number of queries whatever the page size."""
    return Customer.objects.select_related("group").prefetch_related("clusters")


class CustomerSearchText(Func):
    """What the search box promises ("Name, phone, village, Tax PIN, email") as one line of
    text: `name village email tax_pin phone`, every column NOT NULL (blank is '').

    One expression rather than five columns ORed, for the planner's sake: it never estimates a
    LIKE to match fewer than 1 row in 10,000, so each column ORed in adds 100 rows at a million
    customers to what it expects even a search matching nobody to find; at the till's 8
    suggestions a search ORing eight LIKEs was then expected to be cheaper by walking the name
    index until 8 turned up, and walked all million rows (1.9 s). One LIKE keeps that estimate at
    its floor, and the trigram index on this expression (customers migration 0009) wins by a
    wide margin. A fragment may also run across two columns ("ruto kitui"): harmless, even
    handy.
    """

    template = "(%(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = TextField()

    def __init__(self):
        super().__init__("name", "village", "email", "tax_pin", "phone")


# A trigram index narrows "contains" only for three characters or more: a search for one or two
# letters matching nobody read the whole table (1.2-1.6 s at a million customers). Fewer
# characters than that match the start of a word instead, which the same index does narrow
# (" ka" is a trigram of every word starting with "ka"), and which is what the first keystrokes
# at the till are after anyway: "mw" for Mwangi, not for Kamwana.
WORD_START_BELOW = 3
# Planning: each search is planned with its own text, so PostgreSQL walks the (name, id) index
# for a fragment half the book matches and reads the trigram index for a rare one. That holds
# because Django leaves psycopg's prepared statements off (OPTIONS "prepare_threshold" unset);
# with them on, PostgreSQL may settle on one generic plan for every text, and the generic plan
# walks the name index: 1.8 s for a rare surname at a million customers.


def customer_search(queryset: QuerySet[Customer], text: str) -> QuerySet[Customer]:
    """Customers whose name, village, email or Tax PIN contains `text` (has a word starting
    with it, for one or two characters), or whose phone contains it typed in any format."""
    text = (text or "").strip()
    if not text:
        return queryset
    if len(text) < WORD_START_BELOW:
        condition = Q(search_text__istartswith=text) | Q(search_text__icontains=f" {text}")
    else:
        condition = Q(search_text__icontains=text)
    digits = phone_search_digits(text)
    if digits and digits != text:
        condition |= Q(search_text__icontains=digits)
    return queryset.alias(search_text=CustomerSearchText()).filter(condition)


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
    # Each record beside the one before it (None for the oldest); a customer written without
    # history (bulk-loaded, say) has no records at all.
    pairs = list(zip(records, [*records[1:], None], strict=False))[:limit]
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
MAP_FIELDS = ("pk", "name", "village", "latitude", "longitude", "group__name")
# The list under the map: the same customers as the markers, a page at a time.
MAP_LIST_PAGE_SIZE = 50


def _located(queryset: QuerySet[Customer] | None) -> QuerySet:
    """The located customers of `queryset` (all customers by default) in the map's order, as
    plain values holding only what the map shows."""
    if queryset is None:
        queryset = Customer.objects.all()
    return (
        queryset.filter(latitude__isnull=False, longitude__isnull=False)
        .order_by("name", "pk")
        # The stored text, not a parsed PhoneNumber: parsing 5,000 of them took 150 ms.
        .values(*MAP_FIELDS, stored_phone=Cast("phone", output_field=CharField()))
    )


def _with_e164_phone(rows) -> list[dict]:
    rows = list(rows)
    for row in rows:
        row["phone"] = e164_of_stored(row.pop("stored_phone"))
    return rows


def customers_for_map(
    queryset: QuerySet[Customer] | None = None, *, limit: int = MAP_MARKER_LIMIT
) -> tuple[list[dict], bool]:
    """The located customers of `queryset` (all customers by default), as plain values holding
    only what the map shows, in one query; at most `limit` of them, the phone as E.164 text.
    Returns (rows, more): `more` is True when further located customers were left out."""
    rows = _with_e164_phone(_located(queryset)[: limit + 1])
    return rows[:limit], len(rows) > limit


def located_customers_page(
    queryset: QuerySet[Customer] | None = None,
    *,
    page_number,
    per_page: int = MAP_LIST_PAGE_SIZE,
    limit: int = MAP_MARKER_LIMIT,
) -> tuple[Page, bool]:
    """One page of the customers `customers_for_map` returns, in its order (the list under the
    map), the phone as E.164 text. Returns (page, more) as customers_for_map does. The count
    is of at most `limit` rows, so it stays cheap however many customers the shop has."""
    located = _located(queryset)
    page = Paginator(located[:limit], per_page).get_page(page_number)
    page.object_list = _with_e164_phone(page.object_list)
    more = page.paginator.count == limit and located[limit : limit + 1].exists()
    return page, more


# The customer profile: purchases, favourites and visits, each read bounded to one customer
# (Sale's (customer, sold_at) index, then SaleLine's sale index), so the page stays fast however
# many customers and sales the shop has.


def customer_purchase_history(customer: Customer) -> QuerySet:
    """Every sale to the customer, voided ones included (the page marks them), newest first."""
    return (
        Sale.objects.filter(customer=customer).select_related("cashier").order_by("-sold_at", "-pk")
    )


def customer_favourite_products(customer: Customer, *, limit: int = 5) -> list[dict]:
    """The products the customer buys most often (voided sales do not count): product id, the
    name on its latest sale line, times bought (distinct sales) and total quantity."""
    rows = list(
        SaleLine.objects.filter(sale__customer=customer, sale__voided_at__isnull=True)
        .values("product_id")
        .annotate(times_bought=Count("sale_id", distinct=True), quantity=Sum("quantity"))
        .annotate(latest_line=Max("pk"))
        .order_by("-times_bought", "-quantity", "product_id")[:limit]
    )
    names = dict(
        SaleLine.objects.filter(pk__in=[row["latest_line"] for row in rows]).values_list(
            "pk", "product_name"
        )
    )
    return [
        {
            "product_id": row["product_id"],
            "name": names.get(row["latest_line"], ""),
            "times_bought": row["times_bought"],
            "quantity": row["quantity"],
        }
        for row in rows
    ]


def _month_start(day):
    return day.replace(day=1)


def _months_back(month, count: int):
    """The first day of the month `count` months before `month` (itself a first day)."""
    index = month.year * 12 + (month.month - 1) - count
    return month.replace(year=index // 12, month=index % 12 + 1)


def customer_visits_per_month(customer: Customer, *, months: int = 12) -> list[dict]:
    """Non-voided sales per calendar month (shop's time zone) for the last `months` months,
    oldest first, this month included, months without a visit as 0."""
    this_month = _month_start(timezone.localdate())
    first_month = _months_back(this_month, months - 1)
    since = timezone.make_aware(datetime.combine(first_month, datetime.min.time()))
    counts = {_months_back(this_month, back): 0 for back in range(months - 1, -1, -1)}
    sold_ats = Sale.objects.filter(
        customer=customer, voided_at__isnull=True, sold_at__gte=since
    ).values_list("sold_at", flat=True)
    for sold_at in sold_ats.order_by():
        month = _month_start(timezone.localtime(sold_at).date())
        if month in counts:
            counts[month] += 1
    return [{"month": month, "visits": visits} for month, visits in counts.items()]
