"""CSV exports that stream row by row and are safe to open in a spreadsheet.

Columns are defined once, by a django-import-export resource; this module only writes the rows
of a queryset through it without building the whole file in memory.

Two ways to read the rows, the same bytes out:
- the values path, for resources whose every column is a `ValuesField`: plain database values
  (one `values_list` query, streamed) turned into cells column by column. Model instances,
  prefetches and a Python call per cell are what held the customer export to about 17,000 rows
  a second; this path is measured by `manage.py bench`.
- the instance path, for any other resource: each model instance (or row object) through the
  resource's dehydrate methods, as django-import-export's own export() does.
"""

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from itertools import islice, starmap
from operator import itemgetter

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import CharField, F, OuterRef, QuerySet, Subquery, TextField
from django.db.models.functions import Cast, Substr, TruncMinute
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import fields

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A bare number (an E.164 phone such as +254712345678, an amount such as -5.00) cannot run
# anything; leaving it alone keeps phone numbers usable by bulk-SMS gateways.
PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
EXPORT_CHUNK_SIZE = 2000
LINES_PER_PIECE = 500
# The values path fetches and writes this many rows at a time: one piece of a few hundred KB
# to the socket, and a fixed, small amount of memory however long the file.
VALUES_CHUNK_SIZE = 5000


def neutralise_formula(value) -> str:
    """Return the cell as text, prefixed with ' if a spreadsheet would execute it."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS) and not PLAIN_NUMBER.match(text):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a generator."""

    def write(self, value):
        return value


def csv_rows(headers: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The CSV text, a few hundred lines per piece: one piece per row would make 100,000 writes
    to the socket for a 100,000-row export."""
    writer = csv.writer(_Echo())
    yield writer.writerow([neutralise_formula(h) for h in headers])
    lines = []
    for row in rows:
        lines.append(writer.writerow([neutralise_formula(cell) for cell in row]))
        if len(lines) >= LINES_PER_PIECE:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def _chunks(objects, size: int) -> Iterator[list]:
    rows = objects.iterator(chunk_size=size) if isinstance(objects, QuerySet) else iter(objects)
    while chunk := list(islice(rows, size)):
        yield chunk


def resource_rows(resource, objects, *, prepare_chunk: Callable | None = None) -> Iterator[list]:
    """Each object of `objects` (a queryset or any iterable) as the resource's export row, fetched
    in chunks.

    `iterator(chunk_size=...)` keeps memory flat and still runs prefetch_related per chunk.
    `prepare_chunk(objects)`, if given, runs once per chunk before its rows are written: for
    figures computed in one query per chunk rather than one per row (the credit report's ageing).
    """
    readers = _cell_readers(resource)
    for chunk in _chunks(objects, EXPORT_CHUNK_SIZE):
        if prepare_chunk is not None:
            prepare_chunk(chunk)
        for instance in chunk:
            yield [read(instance) for read in readers]


def _cell_readers(resource) -> list[Callable]:
    """What Resource.export_field() calls for each column (the dehydrate_<name> method, else the
    field's own export), resolved once: export_field() looks the field's name up among all the
    fields for every cell, a third of the time of a 100,000-row export."""
    readers = []
    for field in resource.get_export_fields():
        method = field.get_dehydrate_method(resource.get_field_name(field))
        if not callable(method):
            method = getattr(resource, method, None)
        readers.append(method or field.export)
    return readers


# --- The values path ------------------------------------------------------------------------


class ValuesField(fields.Field):
    """A resource column that can also be written from plain database values.

    `values`: what the cell needs, in the order `format` takes them: `values_list` paths
    ("name", "last_cashier__username") or expressions (`Cast`, `JoinedText`). By default the
    field's attribute.
    `format`: the cell from those values, called once per row; by default the one value as it
    is (None written as ""). It must give the text the field's instance path gives (its
    dehydrate method, or its attribute): the export tests compare the two byte for byte.
    `formula_safe`: the cell can never start like a formula (a number, a date), so the export
    spends no time neutralising it; anything a person typed must leave it False.

    django-import-export's own export() and the instance path ignore all three. Subclasses
    that depend on the request (its language, its time zone) or on the database decide their
    values and format per export, in `export_values()` and `values_formatter()`.
    """

    def __init__(self, *args, values=None, format=None, formula_safe=False, **kwargs):
        super().__init__(*args, **kwargs)
        if values is None and self.attribute is not None:
            values = (self.attribute,)
        self.values = tuple(values or ())
        self.format = format
        self.formula_safe = formula_safe

    def export_values(self) -> tuple:
        """What to read for this export."""
        return self.values

    def values_formatter(self) -> Callable | None:
        """The per-cell function for this export."""
        return self.format


class YesNoField(ValuesField):
    """Yes when `test(*values)` holds (by default: the one value is true), else No.

    The words are translated once per export, in the language of the request: translating
    them cell by cell cost 3 microseconds each, a third of a row's budget.
    """

    def __init__(self, *args, test: Callable = bool, **kwargs):
        super().__init__(*args, formula_safe=True, **kwargs)
        self.test = test

    def values_formatter(self) -> Callable:
        yes, no = neutralise_formula(_("Yes")), neutralise_formula(_("No"))
        test = self.test
        return lambda *values: yes if test(*values) else no


class LocalMinuteField(ValuesField):
    """A moment (the `attribute`) as the shop reads it: "YYYY-MM-DD HH:MM" in the current time
    zone (settings.TIME_ZONE unless one is activated), "" for none; what
    `timezone.localtime(value).strftime("%Y-%m-%d %H:%M")` gives.

    The database converts and writes it (Django's TruncMinute with the zone, as text): a Python
    datetime cost 5 microseconds a cell (psycopg's parse under Django's time-zone loader, then
    astimezone and strftime), half a row's budget.
    """

    def __init__(self, attribute: str, **kwargs):
        super().__init__(attribute=attribute, formula_safe=True, **kwargs)

    def export_values(self) -> tuple:
        local = TruncMinute(self.attribute, tzinfo=timezone.get_current_timezone())
        return (Substr(Cast(local, output_field=CharField()), 1, 16),)


class JoinedText(Subquery):
    """A one-column subquery's values joined into one text by `separator` (NULL when none).

    The queryset must name its column `joined_value`: `.values(joined_value=F(...))`. One
    correlated subquery keeps the export to one query that streams in the outer query's order.
    """

    output_field = TextField()

    def __init__(self, queryset, separator: str):
        super().__init__(queryset, output_field=TextField())
        self.separator = separator

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = super().as_sql(compiler, connection, **extra_context)
        return f"(SELECT GROUP_CONCAT(joined_value, %s) FROM {sql})", (self.separator, *params)

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = super().as_sql(compiler, connection, **extra_context)
        # ARRAY_TO_STRING gives '' for no values where GROUP_CONCAT gives NULL: both write "".
        return f"ARRAY_TO_STRING(ARRAY{sql}, %s)", (*params, self.separator)


class RelatedNamesField(ValuesField):
    """The names of a row's many-to-many related objects, in the related model's own order,
    joined by `separator`: what `separator.join(x.<name_field> for x in row.<m2m>.all())` gives
    after a prefetch (neutralised like any cell). `many_to_many` is the model's descriptor,
    e.g. `Customer.clusters`.

    The database gives each row's related ids only (an index-only scan of the link table; its
    names too cost 16 microseconds a row, PostgreSQL scanning the related table for every row).
    The names are read once per export, in their order; each distinct set of ids is joined
    once and remembered (`_JoinedNames`).
    """

    def __init__(self, many_to_many, *, name_field: str, separator: str, **kwargs):
        field = many_to_many.field
        link = field.remote_field.through
        ids = link._default_manager.filter(**{field.m2m_field_name(): OuterRef("pk")}).values(
            joined_value=F(field.m2m_reverse_field_name() + "_id")
        )
        # Neutralised once per set of ids, by _JoinedNames, rather than once per cell.
        super().__init__(values=[JoinedText(ids, ",")], formula_safe=True, **kwargs)
        self.related_model = field.related_model
        self.name_field = name_field
        self.separator = separator

    def read_positions(self) -> dict[str, tuple[int, str]]:
        """Each related object's id, as the database writes it, to (place in order, name)."""
        names = self.related_model._default_manager.values_list("pk", self.name_field)
        return {str(pk): (place, name) for place, (pk, name) in enumerate(names)}

    def values_formatter(self) -> Callable:
        # A dict lookup in C for every set of ids seen before: no Python call per cell.
        return _JoinedNames(self).__getitem__


class _JoinedNames(dict):
    """Ids as the database joined them ("12,40") -> the cell: names in order, neutralised."""

    REMEMBERED = 100_000  # sets of ids; about 15 MB of text at most

    def __init__(self, field: RelatedNamesField):
        super().__init__({None: "", "": ""})
        self.field = field
        self.positions = field.read_positions()

    def __missing__(self, ids: str) -> str:
        try:
            ordered = sorted(self.positions[pk] for pk in ids.split(","))
        except KeyError:
            # Added since the names were read (a statement earlier): read them again.
            self.positions = self.field.read_positions()
            ordered = sorted(self.positions[pk] for pk in ids.split(","))
        text = neutralise_formula(self.field.separator.join(name for _place, name in ordered))
        if len(self) < self.REMEMBERED:
            self[ids] = text
        return text


def reads_values(resource) -> bool:
    """Whether every column of the resource's export can be written from database values."""
    export_fields = resource.get_export_fields()
    return bool(export_fields) and all(isinstance(f, ValuesField) for f in export_fields)


def _values_columns(resource) -> tuple[list, list[Callable]]:
    """What to read (`values_list` arguments, each path once) and, per column, a function from
    a chunk of value rows to that column's cells."""
    lookups: list = []
    position_of_path: dict[str, int] = {}
    columns = []
    for field in resource.get_export_fields():
        positions = []
        for value in field.export_values():
            if isinstance(value, str):
                if value not in position_of_path:
                    position_of_path[value] = len(lookups)
                    lookups.append(value)
                positions.append(position_of_path[value])
            else:
                positions.append(len(lookups))
                lookups.append(value)
        columns.append(_column_reader(positions, field.values_formatter(), field.formula_safe))
    return lookups, columns


def _column_reader(positions: list[int], format: Callable | None, formula_safe: bool) -> Callable:
    if format is None and len(positions) > 1:
        raise ValueError("A column of several values needs a format.")
    # map/starmap over itemgetter run in C: no Python frame per cell except `format` itself.
    pick = itemgetter(*positions)
    apply = starmap if len(positions) > 1 else map

    def read(chunk: list[tuple]) -> Iterator:
        cells = map(pick, chunk)
        if format is not None:
            cells = apply(format, cells)
        # csv.writer writes None as "", as neutralise_formula does.
        return cells if formula_safe else map(neutralise_formula, cells)

    return read


def values_csv(headers: list[str], resource, queryset: QuerySet) -> Iterator[str]:
    """The CSV text of `queryset` through the resource's `ValuesField`s, one chunk per piece:
    the same bytes as csv_rows(headers, resource_rows(resource, queryset))."""
    lookups, columns = _values_columns(resource)
    header = io.StringIO()
    csv.writer(header).writerow([neutralise_formula(h) for h in headers])
    yield header.getvalue()
    # prefetch_related(None): a prefetch cannot run on value rows (and is not needed).
    rows = _value_rows(queryset.prefetch_related(None).values_list(*lookups))
    while chunk := list(islice(rows, VALUES_CHUNK_SIZE)):
        piece = io.StringIO()
        csv.writer(piece).writerows(zip(*(column(chunk) for column in columns), strict=True))
        yield piece.getvalue()


def _value_rows(queryset: QuerySet) -> Iterator[tuple]:
    """The rows of a values_list queryset, read as they are written.

    On PostgreSQL, through psycopg's stream() in chunks (libpq 17 and later) when the query's
    plan gives rows from the start: the server goes on producing rows while this process
    formats the ones it has, where a server-side cursor (QuerySet.iterator) waits for each
    FETCH in turn, so the two costs add up (at 1,000,000 customers 12-13 s against 16-18 s).
    A plan that sorts every row before the first (the SMS upload: 0.6 s at 600,000 rows) goes
    through the cursor instead, which PostgreSQL plans for a quick first row (an index in the
    sort's order where there is one: 40 ms). Elsewhere, and with an older libpq, iterator().
    """
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        yield from queryset.iterator(chunk_size=VALUES_CHUNK_SIZE)
        return
    compiler = queryset.query.get_compiler(queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # e.g. .none(): no query to run
        return
    # In a transaction, closed when the response is: outside one Django declares the cursor
    # WITH HOLD, and PostgreSQL then runs the whole query and keeps every row before sending
    # the first.
    with transaction.atomic(using=queryset.db), connection.cursor() as cursor:
        if _libpq_version() < 170000 or not _plan_starts_at_once(cursor, sql, params):
            yield from queryset.iterator(chunk_size=VALUES_CHUNK_SIZE)
            return

        def stream(sql, params, many, context):
            return cursor.cursor.stream(sql, params, size=VALUES_CHUNK_SIZE)

        # Through the connection's execute wrappers, as Django's own queries go: they see it.
        for wrapper in reversed(connection.execute_wrappers):
            stream = partial(wrapper, stream)
        rows = stream(sql, params, False, {"connection": connection, "cursor": cursor})
        try:
            # results_iter applies the fields' from_db_value converters, as iterator() would.
            yield from compiler.results_iter(results=[rows], tuple_expected=True)
        finally:
            # A download stopped half way: psycopg cancels the query and frees the connection
            # when its generator is closed, which the chain results_iter returns never does.
            rows.close()


def _plan_starts_at_once(cursor, sql: str, params) -> bool:
    """Whether PostgreSQL's plan for the query costs little before its first row (estimates
    only: planned, not run)."""
    cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
    plan = cursor.fetchone()[0][0]["Plan"]
    return plan["Startup Cost"] <= 0.1 * plan["Total Cost"]


def _libpq_version() -> int:
    from psycopg import pq

    return pq.version()


def stream_resource_csv(
    resource, objects, filename_stem: str, *, prepare_chunk: Callable | None = None
) -> StreamingHttpResponse:
    """The export as a streamed CSV download: through the values path when the resource's
    every column declares its values and `objects` is a queryset, else through instances."""
    headers = resource.get_export_headers()
    if prepare_chunk is None and isinstance(objects, QuerySet) and reads_values(resource):
        pieces = values_csv(headers, resource, objects)
    else:
        pieces = csv_rows(headers, resource_rows(resource, objects, prepare_chunk=prepare_chunk))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(pieces, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename_stem}-{stamp}.csv"'
    response.is_export = True  # recorded in the audit log (core.middleware.ExportAuditMiddleware)
    return response
