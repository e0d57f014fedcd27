"""What every spreadsheet import shares (customers, products): the widgets that read a shop's
cells, the report of what each row would do, and the import's record (core.models.ImportRecord)
from upload to imported, its work done by background jobs (core.tasks).

Each kind of import is an `Importer`: its record model, how it checks a sheet's columns, and
how it imports a sheet (django-import-export is the engine).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export import resources, widgets
from tablib import Dataset

from core.audit import audit_record
from core.bulk import bulk_update_rows, copy_history
from core.models import AuditAction
from core.money import ZERO, to_money
from core.progress import Progress
from core.tabular import Sheet, UnreadableFile, read_sheet

YES = {"yes", "y", "true", "1", "x"}
NO = {"no", "n", "false", "0", ""}
FORMULA_START = "="
FINDINGS_ERRORS_KEPT = 1000
FINDINGS_ROWS_KEPT = 200


def header_key(text: str) -> str:
    """A header or a name as compared: spaces and case ignored."""
    return " ".join(str(text).split()).casefold()


# --- cells ------------------------------------------------------------------------------------


class UpperCaseWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return (value or "").strip().upper()


class YesNoWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = header_key(value or "")
        if text in YES:
            return True
        if text in NO:
            return False
        raise ValueError(_("Write Yes or No, not “%(value)s”.") % {"value": value})


class MoneyWidget(widgets.Widget):
    """Shillings as people write them: 25,600.50, KES 300, Ksh 1 200; empty is none."""

    def clean(self, value, row=None, **kwargs):
        text = (value or "").strip()
        for noise in ("KES", "KSH", "KSHS", "/=", ",", " "):
            text = text.upper().replace(noise, "")
        if not text:
            return ZERO
        try:
            amount = to_money(text)
        except InvalidOperation as error:
            raise ValueError(
                _("Write an amount in shillings, not “%(value)s”.") % {"value": value}
            ) from error
        if amount < 0:
            raise ValueError(_("An amount cannot be below zero."))
        return amount


def formula_errors(row, columns) -> dict[str, str]:
    """{attribute: message} for the cells of `columns` ((column, attribute) pairs) that hold a
    spreadsheet formula instead of a value."""
    return {
        attribute: _("This looks like a spreadsheet formula; type the value itself.")
        for column, attribute in columns
        if str(row.get(column, "")).startswith(FORMULA_START)
    }


# --- the resource both imports build on ------------------------------------------------------


class BulkImportResource(resources.ModelResource):
    """django-import-export in bulk mode (use_bulk) with our writes, for imports of thousands of
    rows: the objects the file names are read once before the first row (`before_import` fills
    `self.existing`, by what `match(row)` gives), each row is checked in Python without a query,
    a row is unchanged when the file's values equal what was read, and every thousand rows are
    written with a few statements (core.bulk), with their history. Nothing is written in a dry
    run. A row-by-row import paid eight queries and a savepoint a row."""

    class Meta:
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        # Unchanged rows are found by skip_row, against what was read: import-export's own diff
        # copies every object (and reads its many-to-many rows one object at a time).
        skip_diff = True
        use_transactions = True
        use_bulk = True
        batch_size = 1000

    def __init__(self, *, actor, columns: set[str], attributes, progress: Progress | None = None):
        super().__init__()
        self.actor = actor
        self.columns = columns  # the template columns the file has: the others are left alone
        self.attributes = list(attributes)  # what the file sets (and an update writes)
        self.compared = self.attributes  # what an unchanged row leaves as it was
        self.progress = progress
        self.existing: dict = {}

    def match(self, row):
        """The key `self.existing` is read by (a customer's phone, a product's code)."""
        raise NotImplementedError

    def get_import_fields(self):
        if not hasattr(self, "import_fields"):  # asked for every row
            self.import_fields = [
                field for field in super().get_import_fields() if field.column_name in self.columns
            ]
        return self.import_fields

    def after_import_row(self, row, row_result, **kwargs):
        if self.progress is not None:
            self.progress.advance()

    def get_instance(self, instance_loader, row):
        return self.existing.get(self.match(row))

    def after_init_instance(self, instance, new, row, **kwargs):
        if not new:  # what skip_row compares the row's values with
            instance._import_before = {name: getattr(instance, name) for name in self.compared}

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if instance.pk is None or import_validation_errors:
            return False
        return all(
            getattr(instance, name) == value for name, value in instance._import_before.items()
        )

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """Django's field checks, without their queries (uniqueness and constraints: the match
        and `more_errors`, against what before_import read)."""
        errors = dict(import_validation_errors or {})
        try:
            instance.full_clean(
                exclude=[*errors, *self.not_cleaned()],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for attribute, message in self.more_errors(instance):
            errors.setdefault(attribute, []).append(message)
        if errors:
            raise ValidationError(errors)

    def not_cleaned(self) -> list[str]:
        """Fields Django's checks leave alone: by default those the file does not set."""
        return [f.name for f in self._meta.model._meta.fields if f.name not in self.attributes]

    def more_errors(self, instance):
        """(attribute, message) refusals of the kind's own rules."""
        return ()

    # --- the writes, a batch at a time ---

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        objects, self.create_instances = list(self.create_instances), []
        if objects and not dry_run:
            try:
                self._meta.model.objects.bulk_create(objects)
                self._after_write(objects, update=False)
            except Exception as error:  # import-export's contract: the whole import rolls back
                self.handle_import_error(result, error, raise_errors)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        objects, self.update_instances = list(self.update_instances), []
        if objects and not dry_run:
            try:
                now = timezone.now()
                for obj in objects:
                    obj.updated_at = now  # a bulk write does not run auto_now
                # Only what the file changed in this batch: the rest is as read, under the lock.
                bulk_update_rows(objects, [*self.changed(objects), "updated_at"])
                self._after_write(objects, update=True)
            except Exception as error:
                self.handle_import_error(result, error, raise_errors)

    def changed(self, objects, names=None) -> list[str]:
        """Which of `names` (by default what an unchanged row leaves as it was) the file
        changes on any of `objects` (all read before the file)."""
        return [
            name
            for name in (self.compared if names is None else names)
            if any(getattr(obj, name) != obj._import_before[name] for obj in objects)
        ]

    def _after_write(self, objects, *, update: bool) -> None:
        self.write_related(objects, update=update)
        copy_history(
            self._meta.model,
            [obj.pk for obj in objects],
            history_type="~" if update else "+",
            user_id=self.actor.pk,
            moment=timezone.now(),
        )
        self.after_history(objects, update=update)

    def write_related(self, objects, *, update: bool) -> None:
        """What the kind writes beside the rows, before their history is copied."""

    def after_history(self, objects, *, update: bool) -> None:
        """What the kind writes once the batch and its history are in."""


# --- what an import does, row by row -----------------------------------------------------------


@dataclass
class RowReport:
    number: int  # as the person sees it in Excel
    action: str  # new, update, unchanged, error
    name: str = ""
    key: str = ""  # what the row is matched on (a customer's phone, a product's code)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)


@dataclass
class ImportReport:
    rows: list[RowReport]
    notes: list[str]
    written: bool

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def errors(self) -> list[RowReport]:
        return [row for row in self.rows if row.action == "error"]


class MissingColumns(Exception):
    """The file lacks a column every row needs; str() names it."""


class ImportRefused(Exception):
    """The file or the request cannot be imported; str() says why."""


def row_report(
    number: int, row_result, values: dict, *, name: str, key: str, column_of: Callable
) -> RowReport:
    """One row of import-export's result as the preview shows it; `column_of(attribute)` names
    the column a refusal is about, as the file has it."""
    report = RowReport(
        number=number,
        action={"new": "new", "update": "update", "skip": "unchanged"}.get(
            row_result.import_type, "error"
        ),
        name=values.get(name, ""),
        key=values.get(key, ""),
    )
    if row_result.validation_error is not None:
        for attribute, messages in row_result.validation_error.message_dict.items():
            report.errors.extend((column_of(attribute), message) for message in messages)
    for error in row_result.errors:
        report.errors.append(
            ("", _("This row could not be saved: %(error)s") % {"error": error.error})
        )
    return report


def template_columns(
    sheet: Sheet, columns, required, missing_message: str
) -> tuple[dict[str, str], list[str]]:
    """Which of a template's `columns` ((column, attribute) pairs) the sheet has ({ours: the
    file's header}, case and spaces ignored) and notes on how it was read, the file's other
    columns among them. Raises MissingColumns with `missing_message` (%(columns)s) when a
    `required` column is missing."""
    known = {header_key(column): column for column, _attribute in columns}
    found = {known[header_key(h)]: h for h in sheet.headers if header_key(h) in known}
    missing = [column for column in required if column not in found]
    if missing:
        raise MissingColumns(
            missing_message % {"columns": _(" or ").join(f"“{column}”" for column in missing)}
        )
    notes = list(sheet.notes)
    ignored = [h for h in sheet.headers if h and header_key(h) not in known]
    if ignored:
        notes.append(
            _("These columns are not ours and were left out: %(columns)s.")
            % {"columns": ", ".join(f"“{header}”" for header in ignored)}
        )
    return found, notes


def import_sheet(
    resource,
    sheet: Sheet,
    columns: dict[str, str],
    notes: list[str],
    *,
    confirm: bool,
    column_of_attribute: dict[str, str],
    name: str,
    key: str,
) -> ImportReport:
    """Run `resource` (import-export) over the sheet's `columns`: a dry run, or with `confirm`
    every row in one transaction or none. Each row keeps its Excel number (`__row__`), and a
    refusal names its column as the file has it ("Total visits" in a Loyverse export)."""
    dataset = Dataset(headers=[*columns, "__row__"])
    numbers = []
    for number, cells in sheet.numbered_rows():
        dataset.append([*(cells[header] for header in columns.values()), number])
        numbers.append(number)
    with transaction.atomic():
        result = resource.import_data(
            dataset,
            dry_run=not confirm,
            use_transactions=True,
            rollback_on_validation_errors=True,
            raise_errors=False,
        )
        written = confirm and not (result.has_errors() or result.has_validation_errors())
    shown = {column: sheet.column_sources.get(column, header) for column, header in columns.items()}

    def column_of(attribute: str) -> str:
        column = column_of_attribute.get(attribute, "")
        return shown.get(column, column)

    rows = [
        row_report(number, row_result, values, name=name, key=key, column_of=column_of)
        for number, row_result, values in zip(numbers, result.rows, dataset.dict, strict=True)
    ]
    notes = [
        *notes,
        *(
            _("The database refused the import: %(error)s") % {"error": error.error}
            for error in result.base_errors
        ),
    ]
    return ImportReport(rows=rows, notes=notes, written=written)


# --- the import's record: upload, check (the preview), confirm, import ----------------------
#
# Upload reads the file at once (a file that cannot be read, or lacks a column every row needs,
# is refused on the upload page); checking every row and the import itself run as background
# jobs (core.tasks), the page following their progress (core.progress).


@dataclass(frozen=True)
class Importer:
    """One kind of import."""

    path: str  # where this object is, for the background jobs ("customers.importing.X")
    record_model: type
    # Raises MissingColumns when the sheet lacks a column every row needs.
    check_columns: Callable[[Sheet], object]
    # (sheet, *, record, actor, confirm, progress) -> ImportReport; with `confirm` False, a dry
    # run that writes nothing; with True, every row in one transaction or none.
    run: Callable[..., ImportReport]


def progress_key(record) -> str:
    return f"import-{record._meta.label_lower}-{record.pk}"


def _record_findings(record, report: ImportReport) -> None:
    record.rows = len(report.rows)
    record.rows_new = report.count("new")
    record.rows_updated = report.count("update")
    record.rows_unchanged = report.count("unchanged")
    record.rows_refused = report.count("error")
    record.findings = {
        "notes": [str(note) for note in report.notes],
        "errors": [
            [row.number, column, message] for row in report.errors for column, message in row.errors
        ][:FINDINGS_ERRORS_KEPT],
        "rows": [
            [row.number, row.action, row.name, row.key] for row in report.rows[:FINDINGS_ROWS_KEPT]
        ],
    }


def _queue(importer: Importer, record, status: str, job) -> None:
    """Hand `record` to a background job, queued in this transaction: the job starts once the
    record is saved, and not at all if it is not."""
    record.status = status
    record.queued_at = timezone.now()
    record.save()
    job.enqueue(importer.path, record.pk)


@transaction.atomic
def import_upload(importer: Importer, *, actor, upload, **options):
    """Take an uploaded file: read it and check its columns, then queue the check of every row
    (the preview). `options` are the record's own fields (create_clusters). Raises
    ImportRefused when the file cannot be read or lacks a column; nothing is kept then."""
    from core.tasks import check_import  # the tasks call back into this module

    try:
        sheet = read_sheet(upload)
        importer.check_columns(sheet)
    except (UnreadableFile, MissingColumns) as error:
        raise ImportRefused(str(error)) from error
    upload.seek(0)
    record = importer.record_model(
        created_by=actor,
        file_name=(upload.name or "")[:255],
        content=upload.read(),
        rows=len(sheet.rows),
        **options,
    )
    _queue(importer, record, record.Status.CHECKING, check_import)
    audit_record(
        actor=actor,
        action=AuditAction.IMPORT_UPLOADED,
        target=record,
        details=_("%(count)d rows") % {"count": record.rows},
    )
    return record


@transaction.atomic
def import_confirm(importer: Importer, *, actor, record):
    """The manager confirms a previewed file: queue its import. Raises ImportRefused when it
    is not (or no longer) waiting for that."""
    from core.tasks import run_import

    record = type(record).objects.select_for_update().get(pk=record.pk)
    if record.status != record.Status.PREVIEWED or record.rows_refused:
        raise ImportRefused(
            _("This file cannot be imported now (%(status)s). Upload it again to import it.")
            % {"status": record.get_status_display().lower()}
        )
    record.imported_by = actor
    _queue(importer, record, record.Status.IMPORTING, run_import)
    audit_record(actor=actor, action=AuditAction.IMPORT_CONFIRMED, target=record)
    return record


def _run_job(importer: Importer, record_id: int, status: str, work) -> None:
    """Run a background job's `work` on the record if it is still waiting for it; a job that
    fails leaves the record refused, saying so, with nothing written."""
    model = importer.record_model
    record = model.objects.filter(pk=record_id, status=status).first()
    if record is None:
        return  # already done (a job run twice) or the record is gone
    try:
        upload = SimpleUploadedFile(record.file_name, bytes(record.content))
        work(record, read_sheet(upload), Progress(progress_key(record), record.rows))
    except Exception as error:
        notes = record.findings.get("notes", [])
        model.objects.filter(pk=record.pk).update(
            status=model.Status.REFUSED,
            content=b"",
            findings={
                **record.findings,
                "notes": [
                    *notes,
                    _("The job stopped on an error; nothing was written (%(error)s).")
                    % {"error": f"{type(error).__name__}: {error}"[:300]},
                ],
            },
        )
        raise


def import_check(importer: Importer, record_id: int) -> None:
    """The background check of every row (a dry run: nothing is written): the record then holds
    what importing would do, and waits for the manager's confirmation."""

    def check(record, sheet, progress):
        report = importer.run(
            sheet, record=record, actor=record.created_by, confirm=False, progress=progress
        )
        _record_findings(record, report)
        record.status = record.Status.PREVIEWED
        record.save()

    _run_job(importer, record_id, importer.record_model.Status.CHECKING, check)


def import_run(importer: Importer, record_id: int) -> None:
    """The background import of a confirmed file: every row in one transaction, or none (the
    record then says why: the data may have changed since the preview). The file's bytes are
    cleared either way."""

    def run(record, sheet, progress):
        with transaction.atomic():
            # Locked for the import: a second job for the same record waits, then finds it done.
            record = type(record).objects.select_for_update().get(pk=record.pk)
            if record.status != record.Status.IMPORTING:
                return
            report = importer.run(
                sheet, record=record, actor=record.imported_by, confirm=True, progress=progress
            )
            _record_findings(record, report)
            record.status = record.Status.IMPORTED if report.written else record.Status.REFUSED
            record.imported_at = timezone.now()
            record.content = b""
            record.save()
            audit_record(
                actor=record.imported_by,
                action=AuditAction.IMPORT_FINISHED,
                target=record,
                details=_(
                    "%(status)s: %(new)d new, %(updated)d updated, %(unchanged)d unchanged, "
                    "%(refused)d refused"
                )
                % {
                    "status": record.get_status_display(),
                    "new": record.rows_new,
                    "updated": record.rows_updated,
                    "unchanged": record.rows_unchanged,
                    "refused": record.rows_refused,
                },
            )

    _run_job(importer, record_id, importer.record_model.Status.IMPORTING, run)
