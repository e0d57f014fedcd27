"""CSV exports that stream row by row and are safe to open in a spreadsheet.

Columns are defined once, by a django-import-export resource; this module only writes the rows
of a queryset through it without building the whole file in memory.
"""

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A bare number (an E.164 phone such as +254712345678, an amount such as -5.00) cannot run
# anything; leaving it alone keeps phone numbers usable by bulk-SMS gateways.
PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
EXPORT_CHUNK_SIZE = 2000
LINES_PER_PIECE = 500


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


def stream_resource_csv(
    resource, objects, filename_stem: str, *, prepare_chunk: Callable | None = None
) -> StreamingHttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        csv_rows(
            resource.get_export_headers(),
            resource_rows(resource, objects, prepare_chunk=prepare_chunk),
        ),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename_stem}-{stamp}.csv"'
    return response
