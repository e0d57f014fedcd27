"""Bringing a shop's existing customers in from a spreadsheet, with django-import-export as the
engine: a dry run that says what each row would do (new, update, unchanged or why not), then the
same import for real, every row in one transaction or nothing.

Rows are matched to existing customers by phone in E.164, never by an internal id. The file's
columns are our own template's (`TEMPLATE_COLUMNS`, case and spaces ignored); other columns are
left out, and the preview says so.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from import_export import fields, resources, widgets
from tablib import Dataset

from core.money import ZERO, to_money
from core.phones import validate_typed_phone_digits
from core.tabular import Sheet, UnreadableFile, read_sheet
from customers.models import Cluster, Customer, CustomerGroup, CustomerImport
from customers.selectors import customer_group_default
from customers.services import customer_cluster_ids, customer_lock
from sales.figures import figures_move_customer, figures_move_first_visit
from sales.selectors import visit_figures_from_sales

CLUSTER_SEPARATORS = (";", "|")
YES = {"yes", "y", "true", "1", "x"}
NO = {"no", "n", "false", "0", ""}
FORMULA_START = "="

# The template's columns, in its order: (column, the Customer attribute it fills). A file
# format, so not translated: a file written in one language imports in another.
TEMPLATE_COLUMNS = (
    ("Name", "name"),
    ("Phone", "phone"),
    ("Email", "email"),
    ("Address", "address"),
    ("Village", "village"),
    ("Tax PIN", "tax_pin"),
    ("Clusters", "clusters"),
    ("Group", "group"),
    ("Send SMS", "send_sms"),
    ("Latitude", "latitude"),
    ("Longitude", "longitude"),
    ("Notes", "notes"),
    # Figures from before this system (an old POS, a paper book), counted in the visit figures.
    ("Opening visits", "opening_visits"),
    ("Opening spent", "opening_spent"),
    ("Opening first visit", "opening_first_visit_at"),
    ("Opening last visit", "opening_last_visit_at"),
)
# What the downloadable template shows under its header.
TEMPLATE_EXAMPLE_ROWS = (
    (
        "Mutua Kilonzo",
        "0712 345 678",
        "",
        "Box 44",
        "Mwingi",
        "A123456789Z",
        "Dairy farmers; Maize growers",
        "Regular",
        "Yes",
        "-0.9322",
        "38.0601",
        "",
    ),
    (
        "Kyuso Secondary School",
        "+254 733 100 200",
        "bursar@example.com",
        "",
        "Kyuso",
        "P051234567X",
        "Schools & institutions",
        "Corporate",
        "No",
        "",
        "",
        "Pays at month end",
    ),
)
REQUIRED_ATTRIBUTES = ("name", "phone")
OPENING_COLUMNS = (
    "Opening visits",
    "Opening spent",
    "Opening first visit",
    "Opening last visit",
)
# What an update may change: never the money, the visit figures or anything else.
IMPORTED_ATTRIBUTES = tuple(attribute for _column, attribute in TEMPLATE_COLUMNS)


def _key(text: str) -> str:
    return " ".join(str(text).split()).casefold()


class PhoneWidget(widgets.Widget):
    """A Kenyan phone as people type it, to E.164 (what customers are matched on)."""

    def clean(self, value, row=None, **kwargs):
        value = (value or "").strip()
        if not value:
            raise ValueError(_("The phone is missing."))
        try:
            validate_typed_phone_digits(value)
            number = phonenumbers.parse(value, "KE")
        except ValidationError as error:
            raise ValueError(" ".join(error.messages)) from error
        except phonenumbers.NumberParseException as error:
            raise ValueError(_("“%(value)s” is not a phone number.") % {"value": value}) from error
        if not phonenumbers.is_valid_number(number):
            raise ValueError(_("“%(value)s” is not a valid phone number.") % {"value": value})
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def render(self, value, obj=None, **kwargs):
        return str(value or "")


class UpperCaseWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return (value or "").strip().upper()


class YesNoWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = _key(value or "")
        if text in YES:
            return True
        if text in NO:
            return False
        raise ValueError(_("Write Yes or No, not “%(value)s”.") % {"value": value})


class CountWidget(widgets.Widget):
    """A whole number of visits; empty is none."""

    def clean(self, value, row=None, **kwargs):
        text = (value or "").replace(",", "").replace(" ", "")
        if not text:
            return 0
        try:
            number = Decimal(text)
        except InvalidOperation as error:
            raise ValueError(
                _("Write a number of visits, not “%(value)s”.") % {"value": value}
            ) from error
        if number < 0 or number != number.to_integral_value():
            raise ValueError(
                _("Write a whole number of visits, not “%(value)s”.") % {"value": value}
            )
        return int(number)


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
            raise ValueError(_("An amount spent cannot be below zero."))
        return amount


MOMENT_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y %H:%M", "%d/%m/%Y",
    "%d.%m.%Y", "%b %d, %Y", "%d %b %Y",
)  # fmt: skip


class MomentWidget(widgets.Widget):
    """A day (or a day and time) in the shop's time zone: 2024-03-01, 01/03/2024, Mar 1, 2024;
    empty is none; never in the future."""

    def clean(self, value, row=None, **kwargs):
        text = " ".join((value or "").split())
        if not text:
            return None
        for pattern in MOMENT_FORMATS:
            try:
                moment = datetime.strptime(text, pattern)
            except ValueError:
                continue
            moment = timezone.make_aware(moment)
            if moment > timezone.now():
                raise ValueError(_("%(value)s is in the future.") % {"value": value})
            return moment
        raise ValueError(
            _("Write the day as 2024-03-31 or 31/03/2024, not “%(value)s”.") % {"value": value}
        )


class GroupWidget(widgets.ForeignKeyWidget):
    """A customer group by its name or code; empty: left as it is (a new customer: Walk-in)."""

    def __init__(self, **kwargs):
        super().__init__(CustomerGroup, field="name", **kwargs)

    def clean(self, value, row=None, **kwargs):
        text = _key(value or "")
        if not text:
            return None
        if not hasattr(self, "groups"):  # read once per import, not once per row
            self.groups = list(CustomerGroup.objects.order_by("name"))
        for group in self.groups:
            if text in (_key(group.name), _key(group.slug)):
                return group
        names = ", ".join(group.name for group in self.groups)
        raise ValueError(
            _("There is no customer group “%(value)s”; use one of %(names)s.")
            % {"value": value, "names": names}
        )


def cluster_names(value: str) -> list[str]:
    """Cluster names in a cell, separated by semicolons (or |)."""
    text = value or ""
    for separator in CLUSTER_SEPARATORS[1:]:
        text = text.replace(separator, CLUSTER_SEPARATORS[0])
    return [" ".join(name.split()) for name in text.split(CLUSTER_SEPARATORS[0]) if name.strip()]


class ClustersWidget(widgets.ManyToManyWidget):
    """Clusters by name (case ignored); created when the manager ticked that option, else an
    unknown name is refused (checked before anything is saved: CustomerImportResource)."""

    def __init__(self, *, create: bool, **kwargs):
        super().__init__(Cluster, separator=CLUSTER_SEPARATORS[0], field="name", **kwargs)
        self.create = create

    def clean(self, value, row=None, **kwargs):
        names = cluster_names(value)
        if not hasattr(self, "existing"):  # read once per import, not once per row
            self.existing = {_key(cluster.name): cluster for cluster in Cluster.objects.all()}
        existing = self.existing
        chosen = []
        for name in names:
            cluster = existing.get(_key(name))
            if cluster is None and self.create:
                cluster = existing[_key(name)] = Cluster.objects.create(name=name)
            if cluster is not None:
                chosen.append(cluster.pk)
        return Cluster.objects.filter(pk__in=chosen)


class CustomerImportResource(resources.ModelResource):
    """Our template's columns onto Customer, matched by phone."""

    name = fields.Field(attribute="name", column_name="Name", widget=widgets.CharWidget())
    phone = fields.Field(attribute="phone", column_name="Phone", widget=PhoneWidget())
    email = fields.Field(attribute="email", column_name="Email", widget=widgets.CharWidget())
    address = fields.Field(attribute="address", column_name="Address", widget=widgets.CharWidget())
    village = fields.Field(attribute="village", column_name="Village", widget=widgets.CharWidget())
    tax_pin = fields.Field(attribute="tax_pin", column_name="Tax PIN", widget=UpperCaseWidget())
    group = fields.Field(attribute="group", column_name="Group", widget=GroupWidget())
    send_sms = fields.Field(attribute="send_sms", column_name="Send SMS", widget=YesNoWidget())
    latitude = fields.Field(
        attribute="latitude", column_name="Latitude", widget=widgets.DecimalWidget()
    )
    longitude = fields.Field(
        attribute="longitude", column_name="Longitude", widget=widgets.DecimalWidget()
    )
    notes = fields.Field(attribute="notes", column_name="Notes", widget=widgets.CharWidget())
    opening_visits = fields.Field(
        attribute="opening_visits", column_name="Opening visits", widget=CountWidget()
    )
    opening_spent = fields.Field(
        attribute="opening_spent", column_name="Opening spent", widget=MoneyWidget()
    )
    opening_first_visit_at = fields.Field(
        attribute="opening_first_visit_at",
        column_name="Opening first visit",
        widget=MomentWidget(),
    )
    opening_last_visit_at = fields.Field(
        attribute="opening_last_visit_at",
        column_name="Opening last visit",
        widget=MomentWidget(),
    )

    class Meta:
        model = Customer
        import_id_fields = ("phone",)
        fields = IMPORTED_ATTRIBUTES
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        skip_html_diff = True  # the comparison that finds unchanged rows, not its HTML
        use_transactions = True

    def __init__(self, *, actor, create_clusters: bool, columns: set[str]):
        super().__init__()
        self.actor = actor
        self.create_clusters = create_clusters
        self.fields["clusters"] = fields.Field(
            attribute="clusters",
            column_name="Clusters",
            widget=ClustersWidget(create=create_clusters),
        )
        self.columns = columns  # the template columns the file has: the others are left alone
        self.phones_seen: dict[str, int] = {}
        self.known_clusters = {
            _key(name) for name in Cluster.objects.values_list("name", flat=True)
        }
        self.clusters_before: dict[int, list[int]] = {}
        self.first_visit_before: dict[int, datetime | None] = {}

    def get_import_fields(self):
        return [field for field in super().get_import_fields() if field.column_name in self.columns]

    def before_import_row(self, row, **kwargs):
        """Refusals that need the whole file or that the widgets cannot see: formulas, the same
        phone twice, unknown clusters. Each names its column."""
        errors = {}
        for column, attribute in TEMPLATE_COLUMNS:
            if str(row.get(column, "")).startswith(FORMULA_START):
                errors[attribute] = _(
                    "This looks like a spreadsheet formula; type the value itself."
                )
        if "phone" not in errors:
            try:
                phone = PhoneWidget().clean(row.get("Phone"))
            except ValueError as error:
                phone = None
                errors["phone"] = str(error)  # said here: this row stops at the first refusal
            if phone is not None:
                first = self.phones_seen.setdefault(phone, row["__row__"])
                if first != row["__row__"]:
                    errors["phone"] = _("The same phone as row %(row)s of this file.") % {
                        "row": first
                    }
        if not self.create_clusters and "clusters" not in errors:
            unknown = [
                name
                for name in cluster_names(row.get("Clusters", ""))
                if _key(name) not in self.known_clusters
            ]
            if unknown:
                errors["clusters"] = _(
                    "No cluster is called %(names)s. Add it first, or tick “Create clusters "
                    "named in the file”."
                ) % {"names": ", ".join(f"“{name}”" for name in unknown)}
        if errors:
            raise ValidationError(errors)

    def get_or_init_instance(self, instance_loader, row):
        # The phone finds the customer: a phone that cannot be read is the row's error, named
        # by its column, not a failure of the whole row.
        try:
            return super().get_or_init_instance(instance_loader, row)
        except ValueError as error:
            raise ValidationError({"phone": str(error)}) from error

    def after_init_instance(self, instance, new, row, **kwargs):
        if new:
            instance.group = customer_group_default()

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "group" and not (row.get("Group") or "").strip():
            return  # empty: the customer keeps their group (a new one: Walk-in)
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        first, last = instance.opening_first_visit_at, instance.opening_last_visit_at
        if first and last and first > last and "opening_last_visit_at" not in errors:
            errors["opening_last_visit_at"] = _(
                "The last visit is before the first; check the two days."
            )
        super().validate_instance(instance, errors, validate_unique)

    def before_save_instance(self, instance, row, **kwargs):
        instance._history_user = self.actor
        if instance.pk is not None:
            # A sale at the till waits for this row (and the reverse).
            locked = customer_lock(instance.pk)
            self.clusters_before[instance.pk] = customer_cluster_ids(instance)
            self.first_visit_before[instance.pk] = locked.first_visit_at

    def do_instance_save(self, instance, is_create):
        if is_create:
            instance.save(force_insert=True)
        else:
            # Only what the file may change: a sale may have moved the balance or the visit
            # figures since this row was read.
            instance.save(
                update_fields=[
                    *(name for name in IMPORTED_ATTRIBUTES if name != "clusters"),
                    "updated_at",
                ]
            )

    def save_m2m(self, instance, row, **kwargs):
        super().save_m2m(instance, row, **kwargs)
        instance.first_visit_at = self.first_visit_before.get(instance.pk)
        if "Clusters" in self.columns:
            before = self.clusters_before.get(instance.pk, [])
            figures_move_customer(instance, before, customer_cluster_ids(instance))
        if self.columns & set(OPENING_COLUMNS):
            # The visit figures count the opening figures with the sales; a first visit that
            # moves moves the customer among the reports' new customers.
            Customer.objects.filter(pk=instance.pk).update(**visit_figures_from_sales())
            after = Customer.objects.values_list("first_visit_at", flat=True).get(pk=instance.pk)
            figures_move_first_visit(instance.pk, instance.first_visit_at, after)


# --- the import --------------------------------------------------------------------------------


@dataclass
class RowReport:
    number: int  # as the person sees it in Excel
    action: str  # new, update, unchanged, error
    name: str = ""
    phone: str = ""
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


COLUMN_OF_ATTRIBUTE = {attribute: column for column, attribute in TEMPLATE_COLUMNS}


# --- other systems' exports, turned into our template's columns --------------------------------

# OSPOS columns with no place of their own in ours: kept in Notes as "Label: value".
OSPOS_TO_NOTES = (
    ("Gender", gettext_noop("Gender")),
    ("State", gettext_noop("State")),
    ("Zip", gettext_noop("Zip")),
    ("Country", gettext_noop("Country")),
    ("Company", gettext_noop("Company")),
    ("Account Number", gettext_noop("Account number")),
    ("Discount", gettext_noop("Discount")),
    ("Discount_Type", gettext_noop("Discount type")),
    ("Taxable", gettext_noop("Taxable")),
)


def _joined(*parts: str, separator: str = " ") -> str:
    return separator.join(part for part in (part.strip() for part in parts) if part)


def _cell(cells: dict, *names: str) -> str:
    """The first of `names` the row has (headers compared without case or spaces)."""
    by_key = {_key(header): value for header, value in cells.items()}
    return next((by_key[_key(name)] for name in names if _key(name) in by_key), "")


def _labelled(cells: dict, columns) -> list[str]:
    return [
        f"{_(label)}: {_cell(cells, column)}" for column, label in columns if _cell(cells, column)
    ]


def _from_ospos(cells: dict) -> dict[str, str]:
    """An Open Source Point of Sale customer row in our template's columns."""
    return {
        "Name": _joined(_cell(cells, "First Name"), _cell(cells, "Last Name")),
        "Phone": _cell(cells, "Phone Number"),
        "Email": _cell(cells, "Email"),
        "Address": _joined(_cell(cells, "Address 1"), _cell(cells, "Address2"), separator=", "),
        "Village": _cell(cells, "City"),
        "Send SMS": _cell(cells, "Consent"),  # consent to be contacted, 1 or 0
        "Notes": _joined(
            _cell(cells, "Comments"), *_labelled(cells, OSPOS_TO_NOTES), separator="\n"
        ),
    }


LOYVERSE_TO_NOTES = (
    ("Customer code", gettext_noop("Loyverse customer code")),
    ("Province", gettext_noop("Province")),
    ("Region", gettext_noop("Region")),
    ("Postal code", gettext_noop("Postal code")),
    ("Country", gettext_noop("Country")),
    ("Points balance", gettext_noop("Points balance")),
)


def _from_loyverse(cells: dict) -> dict[str, str]:
    """A Loyverse customer export row in our template's columns; its visit figures become the
    customer's opening figures."""
    return {
        "Name": _cell(cells, "Customer name", "Name"),
        "Phone": _cell(cells, "Phone"),
        "Email": _cell(cells, "Email"),
        "Address": _cell(cells, "Address"),
        "Village": _cell(cells, "City"),
        "Notes": _joined(
            _cell(cells, "Note", "Notes"), *_labelled(cells, LOYVERSE_TO_NOTES), separator="\n"
        ),
        "Opening visits": _cell(cells, "Total visits"),
        "Opening spent": _cell(cells, "Total spent"),
        "Opening first visit": _cell(cells, "First visit"),
        "Opening last visit": _cell(cells, "Last visit"),
    }


OTHER_SYSTEMS = (
    # (what the preview calls it, columns that identify it, row -> our columns)
    (gettext_noop("an Open Source Point of Sale customer export"),
     ("First Name", "Last Name", "Phone Number"), _from_ospos),
    (gettext_noop("a Loyverse customer export"),
     ("First visit", "Total visits", "Total spent"), _from_loyverse),
)  # fmt: skip


def in_template_columns(sheet: Sheet) -> Sheet:
    """`sheet` itself when it has our columns; an export of another system (Open Source Point
    of Sale) turned into them, with a note saying so."""
    headers = {_key(header): header for header in sheet.headers}
    for label, identifying, convert in OTHER_SYSTEMS:
        if all(_key(column) in headers for column in identifying):
            rows = []
            for number, cells in sheet.numbered_rows():
                ours = convert(cells)
                rows.append((number, [ours.get(column, "") for column, _a in TEMPLATE_COLUMNS]))
            return Sheet(
                headers=[column for column, _attribute in TEMPLATE_COLUMNS],
                rows=rows,
                encoding=sheet.encoding,
                delimiter=sheet.delimiter,
                blank_rows_skipped=sheet.blank_rows_skipped,
                notes=[*sheet.notes, _("Read as %(system)s.") % {"system": _(label)}],
            )
    return sheet


def customer_import(sheet: Sheet, *, actor, confirm: bool, create_clusters: bool) -> ImportReport:
    """Import `sheet` (our template's columns, or another system's export that
    in_template_columns knows). With `confirm` False nothing is kept (a dry run for the
    preview); with True every row is written in one transaction, or none when any row is
    refused. Raises MissingColumns when Name or Phone is not in the file."""
    sheet = in_template_columns(sheet)
    known = {_key(column): column for column, _attribute in TEMPLATE_COLUMNS}
    columns = {known[_key(header)]: header for header in sheet.headers if _key(header) in known}
    missing = [
        COLUMN_OF_ATTRIBUTE[attribute]
        for attribute in REQUIRED_ATTRIBUTES
        if COLUMN_OF_ATTRIBUTE[attribute] not in columns
    ]
    if missing:
        raise MissingColumns(
            _(
                "The file has no %(columns)s column; every customer needs one. The first row "
                "should name the columns as the template does."
            )
            % {"columns": _(" or ").join(f"“{column}”" for column in missing)}
        )
    notes = list(sheet.notes)
    ignored = [header for header in sheet.headers if header and _key(header) not in known]
    if ignored:
        notes.append(
            _("These columns are not ours and were left out: %(columns)s.")
            % {"columns": ", ".join(f"“{header}”" for header in ignored)}
        )
    dataset = Dataset(headers=[*columns, "__row__"])
    numbers = []
    for number, cells in sheet.numbered_rows():
        dataset.append([*(cells[header] for header in columns.values()), number])
        numbers.append(number)
    resource = CustomerImportResource(
        actor=actor, create_clusters=create_clusters, columns=set(columns)
    )
    with transaction.atomic():
        result = resource.import_data(
            dataset,
            dry_run=not confirm,
            use_transactions=True,
            rollback_on_validation_errors=True,
            raise_errors=False,
        )
        written = confirm and not (result.has_errors() or result.has_validation_errors())
    reports = [
        _row_report(number, row_result, dataset.dict[index])
        for index, (number, row_result) in enumerate(zip(numbers, result.rows, strict=True))
    ]
    return ImportReport(rows=reports, notes=notes, written=written)


def _row_report(number: int, row_result, values: dict) -> RowReport:
    report = RowReport(
        number=number,
        action={"new": "new", "update": "update", "skip": "unchanged"}.get(
            row_result.import_type, "error"
        ),
        name=values.get("Name", ""),
        phone=values.get("Phone", ""),
    )
    if row_result.validation_error is not None:
        for attribute, messages in row_result.validation_error.message_dict.items():
            column = COLUMN_OF_ATTRIBUTE.get(attribute, "")
            report.errors.extend((column, message) for message in messages)
    for error in row_result.errors:
        report.errors.append(
            ("", _("This row could not be saved: %(error)s") % {"error": error.error})
        )
    return report


# --- the import's record (CustomerImport): preview, then confirm ---------------------------------

FINDINGS_ERRORS_KEPT = 1000
FINDINGS_ROWS_KEPT = 200


class ImportRefused(Exception):
    """The file or the request cannot be imported; str() says why."""


def _record_findings(record: CustomerImport, report: ImportReport) -> None:
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
            [row.number, row.action, row.name, row.phone]
            for row in report.rows[:FINDINGS_ROWS_KEPT]
        ],
    }


def customer_import_preview(*, actor, upload, create_clusters: bool) -> CustomerImport:
    """Read an uploaded file and dry-run it: the CustomerImport that records what importing it
    would do (no customer is written). Raises ImportRefused when the file cannot be read."""
    try:
        sheet = read_sheet(upload)
        upload.seek(0)
        report = customer_import(sheet, actor=actor, confirm=False, create_clusters=create_clusters)
    except (UnreadableFile, MissingColumns) as error:
        raise ImportRefused(str(error)) from error
    upload.seek(0)
    record = CustomerImport(
        created_by=actor,
        file_name=(upload.name or "")[:255],
        content=upload.read(),
        create_clusters=create_clusters,
    )
    _record_findings(record, report)
    record.save()
    return record


@transaction.atomic
def customer_import_confirm(*, actor, record: CustomerImport) -> CustomerImport:
    """Import a previewed file for real: every row in one transaction, or none (the record then
    says why: the customers may have changed since the preview). Its file is cleared either
    way. Raises ImportRefused when it was already imported or refused."""
    record = CustomerImport.objects.select_for_update().get(pk=record.pk)
    if record.status != CustomerImport.Status.PREVIEWED:
        raise ImportRefused(
            _("This file was already %(status)s; upload it again to import it again.")
            % {"status": record.get_status_display().lower()}
        )
    upload = SimpleUploadedFile(record.file_name, bytes(record.content))
    try:
        report = customer_import(
            read_sheet(upload), actor=actor, confirm=True, create_clusters=record.create_clusters
        )
    except (UnreadableFile, MissingColumns) as error:
        raise ImportRefused(str(error)) from error
    _record_findings(record, report)
    record.status = (
        CustomerImport.Status.IMPORTED if report.written else CustomerImport.Status.REFUSED
    )
    record.imported_by = actor
    record.imported_at = timezone.now()
    record.content = b""
    record.save()
    return record
