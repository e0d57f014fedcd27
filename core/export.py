"""CSV exports that stream row by row and are safe to open in a spreadsheet.

Columns are defined once, by a django-import-export resource; this module only writes the rows
of a queryset through it without building the whole file in memory.
"""

import csv
import re
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A bare number (an E.164 phone such as +254712345678, an amount such as -5.00) cannot run
# anything; leaving it alone keeps phone numbers usable by bulk-SMS gateways.
PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
EXPORT_CHUNK_SIZE = 2000


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
    writer = csv.writer(_Echo())
    yield writer.writerow([neutralise_formula(h) for h in headers])
    for row in rows:
        yield writer.writerow([neutralise_formula(cell) for cell in row])


def resource_rows(resource, queryset) -> Iterator[list]:
    """Each object of `queryset` as the resource's export row, fetched in chunks.

    `iterator(chunk_size=...)` keeps memory flat and still runs prefetch_related per chunk.
    """
    for instance in queryset.iterator(chunk_size=EXPORT_CHUNK_SIZE):
        yield resource.export_resource(instance)


def stream_resource_csv(resource, queryset, filename_stem: str) -> StreamingHttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        csv_rows(resource.get_export_headers(), resource_rows(resource, queryset)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename_stem}-{stamp}.csv"'
    return response
