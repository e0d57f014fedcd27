"""Reading a spreadsheet a shop uploads into a header row and data rows, or a clear message why
it cannot be read. Shops arrive with whatever their old system or Excel wrote: CSV in UTF-8 (with
or without the byte-order mark Excel adds), Windows Latin-1 or UTF-16 ("Unicode text"), separated
by commas, semicolons (Excel in many locales) or tabs, or an Excel .xlsx workbook.

Nothing here knows about customers or products: the imports map the columns and check the rows.
Cells are returned as text, as the person typed them; a cell that is an Excel formula comes back
as its formula ("=SUM(B2:B9)"), for the import to refuse by row and column.
"""

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
XLSX_SIGNATURE = b"PK\x03\x04"
DELIMITERS = (",", ";", "\t")
# A text file with more than this share of control characters is not a spreadsheet.
GARBAGE_SHARE = 0.01
DELIMITER_NAMES = {
    ",": gettext_noop("commas"),
    ";": gettext_noop("semicolons"),
    "\t": gettext_noop("tabs"),
}


class UnreadableFile(Exception):
    """The upload cannot be read as a spreadsheet; str() says why, for the person."""


@dataclass
class Sheet:
    """The upload's header row and its data rows, all text, each with its row number as the
    person sees it in Excel (the header is row 1; blank rows are skipped but still counted)."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]
    # How it was read, for the preview to say ("UTF-8 with BOM, separated by semicolons").
    encoding: str
    delimiter: str | None = None
    blank_rows_skipped: int = 0
    notes: list[str] = field(default_factory=list)
    # A sheet converted from another system's export: the export's column(s) each of its
    # columns came from, for messages that name what the person sees in their file.
    column_sources: dict[str, str] = field(default_factory=dict)

    def numbered_rows(self):
        """(row number, {header: cell}) for each data row; missing cells are ""."""
        for number, row in self.rows:
            cells = dict(zip(self.headers, row, strict=False))
            for header in self.headers[len(row) :]:
                cells[header] = ""
            yield number, cells


def read_sheet(upload, *, max_bytes: int = MAX_UPLOAD_BYTES) -> Sheet:
    """The first sheet of an uploaded CSV or .xlsx file. Raises UnreadableFile with a message a
    shop's manager can act on: too large, empty, header only, not a spreadsheet."""
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise UnreadableFile(_too_large(size, max_bytes))
    content = upload.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise UnreadableFile(_too_large(len(content), max_bytes))
    if not content.strip():
        raise UnreadableFile(_("The file is empty: there is nothing to import."))
    if content.startswith(XLSX_SIGNATURE):
        headers, rows, encoding, delimiter = (*_read_xlsx(content), "Excel workbook", None)
    else:
        text, encoding = _decode(content)
        delimiter = _delimiter(text)
        headers, rows = _read_csv(text, delimiter)
    return _sheet(headers, rows, encoding, delimiter)


def _too_large(size: int, max_bytes: int) -> str:
    return _(
        "The file is %(size).1f MB; the largest that can be imported is %(limit)d MB. Split it "
        "into smaller files and import them one after the other."
    ) % {"size": size / 2**20, "limit": max_bytes // 2**20}


def _not_a_spreadsheet() -> UnreadableFile:
    return UnreadableFile(
        _(
            "This does not look like a spreadsheet. Save it from Excel or your old system as "
            "CSV (comma or semicolon separated) or as an Excel workbook (.xlsx), then upload "
            "it again."
        )
    )


def _decode(content: bytes) -> tuple[str, str]:
    """The text and how it was encoded: UTF-8 (with or without BOM), UTF-16 with BOM, else
    Windows Latin-1, which every byte decodes under."""
    if content.startswith(codecs.BOM_UTF8):
        text, encoding = content[len(codecs.BOM_UTF8) :].decode("utf-8", "replace"), "UTF-8 (BOM)"
    elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, encoding = content.decode("utf-16", "replace"), "UTF-16"
    else:
        try:
            text, encoding = content.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            try:
                text, encoding = content.decode("cp1252"), "Windows Latin-1"
            except UnicodeDecodeError:
                text, encoding = content.decode("latin-1"), "Latin-1"
    controls = sum(1 for char in text if (char < " " and char not in "\t\r\n") or char == "\ufffd")
    if controls > max(1, len(text) * GARBAGE_SHARE):
        raise _not_a_spreadsheet()
    return text, encoding


def _delimiter(text: str) -> str:
    """The separator of the header line: whichever of comma, semicolon and tab it has most of
    outside quotes (a one-column file: comma)."""
    header = text.lstrip("\r\n").splitlines()[0] if text.strip() else ""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _read_csv(text: str, delimiter: str) -> tuple[list[str], list[list[str]]]:
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise _not_a_spreadsheet() from error
    return (rows[0] if rows else []), rows[1:]


def _read_xlsx(content: bytes) -> tuple[list[str], list[list[str]]]:
    import openpyxl  # imported here: only an .xlsx upload needs it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise UnreadableFile(
            _(
                "This .xlsx file cannot be opened: it may be damaged, or another kind of file "
                "renamed. Open it in Excel and save it again as an Excel workbook or as CSV."
            )
        ) from error
    try:
        sheet = workbook.worksheets[0]
        rows = [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    return (rows[0] if rows else []), rows[1:]


def _cell_text(value) -> str:
    """An Excel cell as the person would read it: whole numbers without ".0", days as
    YYYY-MM-DD, nothing as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(Decimal(str(value)))
    if isinstance(value, datetime):
        if value.hour == value.minute == value.second == 0:
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _sheet(headers, rows, encoding, delimiter) -> Sheet:
    headers = [header.strip() for header in headers]
    while headers and not headers[-1]:
        headers.pop()  # Excel often leaves empty columns at the right
    if not any(headers):
        raise UnreadableFile(_("The first row is empty: it should name the columns."))
    seen = set()
    for header in headers:
        if header and header.casefold() in seen:
            raise UnreadableFile(
                _("The column “%(name)s” appears twice in the first row.") % {"name": header}
            )
        seen.add(header.casefold())
    kept = [[cell.strip() for cell in row] for row in rows]
    data = [(number, row) for number, row in enumerate(kept, start=2) if any(row)]
    if not data:
        raise UnreadableFile(
            _("The file has a header row but no rows under it: there is nothing to import.")
        )
    notes = []
    if delimiter and delimiter != ",":
        notes.append(_("Read as separated by %(what)s.") % {"what": _(DELIMITER_NAMES[delimiter])})
    if encoding not in ("UTF-8", "Excel workbook"):
        notes.append(_("Read as %(encoding)s text.") % {"encoding": encoding})
    return Sheet(
        headers=headers,
        rows=data,
        encoding=encoding,
        delimiter=delimiter,
        blank_rows_skipped=len(kept) - len(data),
        notes=notes,
    )
