"""Keyset pagination for the back office's tables: a page is "the rows after this one" in the
table's order, never "skip the first N".

At a million customers OFFSET 500,000 reads and throws away half a million rows (about a second
here); a keyset page starts from the (column, id) index at the last row shown, so page 20,000
costs what page 2 costs. Links carry the boundary row's sort values (a cursor), so the table
offers First, Previous, Next and Last instead of page numbers, and never counts the rows.

The order is the table's (core.tables.StableOrderingQuerysetData): sort keys ending with the
primary key, empty values last both ways.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import F, OrderBy, Q, QuerySet
from django.http import QueryDict

AFTER = "after"  # the rows after the cursor's row: Next
BEFORE = "before"  # the rows before it: Previous
LAST = "last"  # the table's last page
PAGE_PARAMETERS = (AFTER, BEFORE, LAST, "page")
NOTHING = Q(pk__in=[])  # a condition no row meets


@dataclass(frozen=True)
class SortKey:
    name: str  # a field, a path through relations ("customer__name") or an annotation
    descending: bool
    nulls_last: bool  # where rows without a value go; only for keys that may be empty
    nullable: bool

    def reversed(self) -> "SortKey":
        return SortKey(self.name, not self.descending, not self.nulls_last, self.nullable)

    def value_of(self, row):
        try:
            return attrgetter(self.name.replace("__", "."))(row)
        except AttributeError:  # a relation that is empty (a walk-in sale has no customer)
            return None


def is_nullable(model, name: str) -> bool:
    """Whether the sort key `name` may have no value: a path through a relation or an
    annotation may, a field may when it is declared null."""
    if "__" in name:
        return True
    try:
        return model._meta.get_field(name).null
    except FieldDoesNotExist:
        return True


def sort_keys(queryset: QuerySet) -> list[SortKey]:
    """The keys `queryset` is ordered by, the primary key last (added when missing, so the
    order is total and a cursor names exactly one row)."""
    model = queryset.model
    ordering = list(queryset.query.order_by) or list(model._meta.ordering)
    keys = []
    for item in ordering:
        if isinstance(item, OrderBy) and isinstance(item.expression, F):
            name, descending = item.expression.name, item.descending
        elif isinstance(item, str) and item.lstrip("-") and "?" not in item:
            name, descending = item.lstrip("-"), item.startswith("-")
        else:
            continue  # an expression the table never sorts by
        if name == "id":
            name = "pk"
        nullable = name != "pk" and is_nullable(model, name)
        keys.append(SortKey(name, descending, nulls_last=True, nullable=nullable))
        if name == "pk":
            break  # nothing after the primary key changes the order
    if not keys or keys[-1].name != "pk":
        # Ties break the way the sort runs: newest first shows the later-made row first.
        descending = bool(keys) and keys[0].descending
        keys.append(SortKey("pk", descending, nulls_last=True, nullable=False))
    return keys


def stable_order(queryset: QuerySet) -> QuerySet:
    """`queryset` in a total order that pages cleanly: its sort keys, empty values last both
    ways (a customer who never bought has no Last Visit, and belongs at the end whichever way
    it is sorted), then the primary key, so rows with equal values never skip or repeat from
    one page to the next, and the (column, id) indexes serve the query."""
    return queryset.order_by(*(_order_of(key) for key in sort_keys(queryset)))


def _beyond(key: SortKey, value) -> Q:
    """Rows whose `key` comes after `value` in the key's own order."""
    if value is None:
        # Empty values sort together; after them come the values only when they sort first.
        return NOTHING if key.nulls_last else Q(**{f"{key.name}__isnull": False})
    condition = Q(**{f"{key.name}__{'lt' if key.descending else 'gt'}": value})
    if key.nullable and key.nulls_last:
        condition |= Q(**{f"{key.name}__isnull": True})
    return condition


def _equal(key: SortKey, value) -> Q:
    return Q(**{f"{key.name}__isnull": True}) if value is None else Q(**{key.name: value})


def _after(keys: list[SortKey], values: list) -> Q:
    """Rows after the one with `values`: beyond it on the first key, or equal on the first
    keys and beyond it on the next."""
    condition, equal = NOTHING, Q()
    for key, value in zip(keys, values, strict=True):
        condition |= equal & _beyond(key, value)
        equal &= _equal(key, value)
    return condition


def _segments_after(keys: list[SortKey], values: list) -> list[Q]:
    """The rows after `values`, as conditions to read one after the other, each a range the
    (column, id) index answers exactly: first the rows sharing the cursor's first-key value
    (`name = 'Mwangi' AND id > 5120`), then those beyond it (`name > 'Mwangi'`), then, when
    they sort last, the rows without a value. One condition with OR would make the database
    walk every row sharing the value (thousands of customers who have spent 0); a row
    comparison `(name, id) > (...)` is estimated from its first column alone, and the planner
    then sorts every match."""
    lead, value = keys[0], values[0]
    rest = _after(keys[1:], values[1:])
    empty = Q(**{f"{lead.name}__isnull": True})
    if value is None:
        return [empty & rest, *([] if lead.nulls_last else [~empty])]
    same = Q(**{lead.name: value}) & rest
    beyond = Q(**{f"{lead.name}__{'lt' if lead.descending else 'gt'}": value})
    return [same, beyond, *([empty] if lead.nullable and lead.nulls_last else [])]


def _reversed(queryset: QuerySet, keys: list[SortKey]) -> QuerySet:
    return queryset.order_by(*(_order_of(key.reversed()) for key in keys))


def _order_of(key: SortKey):
    expression = F(key.name)
    if not key.nullable:
        return expression.desc() if key.descending else expression.asc()
    nulls = {"nulls_last": True} if key.nulls_last else {"nulls_first": True}
    return expression.desc(**nulls) if key.descending else expression.asc(**nulls)


def encode_cursor(keys: list[SortKey], row) -> str:
    """The cursor of `row`: its values of the sort keys, with the keys' names so that a link
    made under one sort is not read under another."""
    payload = {"keys": _signature(keys), "values": [key.value_of(row) for key in keys]}
    text = json.dumps(payload, cls=_ExactEncoder, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(keys: list[SortKey], cursor: str) -> list | None:
    """The values a cursor carries, or None when it is not one of this sort's (tampered with,
    cut short, or made under another sort). Values come back as JSON text; the database
    lookups turn them into the keys' types (DateTimeField parses the ISO text)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeError):
        return None
    if not isinstance(payload, dict) or payload.get("keys") != _signature(keys):
        return None
    values = payload.get("values")
    if not isinstance(values, list) or len(values) != len(keys):
        return None
    if any(isinstance(value, (list, dict)) for value in values):
        return None
    return values


class _ExactEncoder(json.JSONEncoder):
    """Sort values as text that reads back exactly: DjangoJSONEncoder cuts datetimes to
    milliseconds, and a cursor a microsecond off repeats or skips its row."""

    def default(self, o):
        if isinstance(o, (datetime, date)):
            return o.isoformat()
        if isinstance(o, Decimal):
            return str(o)
        return str(o)  # a phone number, a UUID: their text is what the database compares


def _signature(keys: list[SortKey]) -> str:
    return ",".join(f"{'-' if key.descending else ''}{key.name}" for key in keys)


@dataclass
class KeysetPage:
    """One page of a table: its rows, and the query strings of the links around it."""

    object_list: object  # the rows (django-tables2 BoundRows once the table takes them)
    has_next: bool
    has_previous: bool
    next_query: str = ""
    previous_query: str = ""
    first_query: str = ""
    last_query: str = ""

    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous


def keyset_page(queryset: QuerySet, per_page: int, request_query: QueryDict) -> KeysetPage:
    """The page of `queryset` (ordered) that the request's after/before/last asks for; the
    first page when it asks for none, or for one this order cannot read (an old or tampered
    link). Reads per_page + 1 rows to know whether there is more, and never counts."""
    ordered = stable_order(queryset)
    keys = sort_keys(ordered)
    after, before = request_query.get(AFTER), request_query.get(BEFORE)
    wants_last = request_query.get(LAST) == "1"
    rows = None
    if after or before:
        values = decode_cursor(keys, after or before)
        if values is not None:
            backwards = bool(before) and not after
            rows = _rows_beyond(ordered, keys, values, per_page, backwards=backwards)
            if rows is not None:
                more = len(rows) > per_page
                rows = rows[:per_page]
                if backwards:
                    rows.reverse()
                    has_next, has_previous = True, more
                else:
                    has_next, has_previous = more, True
    if rows is None and wants_last:
        rows = list(_reversed(ordered, keys)[: per_page + 1])
        has_previous, has_next = len(rows) > per_page, False
        rows = rows[:per_page][::-1]
    if rows is None:
        rows = list(ordered[: per_page + 1])
        has_next, has_previous = len(rows) > per_page, False
        rows = rows[:per_page]
    if not rows:
        has_next = has_previous = False
    return _with_links(
        KeysetPage(object_list=rows, has_next=has_next, has_previous=has_previous),
        keys,
        request_query,
    )


def _rows_beyond(ordered, keys, values, per_page: int, *, backwards: bool) -> list | None:
    """Up to per_page + 1 rows after (or, backwards, before: nearest first) the cursor's
    row; None when its values do not fit the keys' types."""
    if backwards:
        ordered, keys = _reversed(ordered, keys), [key.reversed() for key in keys]
    rows: list = []
    try:
        for condition in _segments_after(keys, values):
            rows += list(ordered.filter(condition)[: per_page + 1 - len(rows)])
            if len(rows) > per_page:
                break
    except (ValidationError, ValueError, TypeError, OverflowError):
        return None  # a value the key's field cannot read: a tampered link
    return rows


def _with_links(page: KeysetPage, keys: list[SortKey], request_query: QueryDict) -> KeysetPage:
    def query(**parameters) -> str:
        kept = request_query.copy()
        for name in PAGE_PARAMETERS:
            kept.pop(name, None)
        for name, value in parameters.items():
            kept[name] = value
        return kept.urlencode()

    rows = page.object_list
    page.first_query = query()
    page.last_query = query(**{LAST: "1"})
    if page.has_next:
        page.next_query = query(**{AFTER: encode_cursor(keys, rows[-1])})
    if page.has_previous:
        page.previous_query = query(**{BEFORE: encode_cursor(keys, rows[0])})
    return page
