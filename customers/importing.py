"""Bringing a shop's existing customers in from a spreadsheet, with django-import-export as the
engine: a dry run that says what each row would do (new, update, unchanged or why not), then the
same import for real, every row in one transaction or nothing.

Rows are matched to existing customers by phone in E.164, never by an internal id. The file's
columns are our own template's (`TEMPLATE_COLUMNS`, case and spaces ignored); other columns are
left out, and the preview says so.
"""

from datetime import datetime
from decimal import Decimal, InvalidOperation

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, CharField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from import_export import fields, widgets
from phonenumber_field.phonenumber import PhoneNumber

from core.bulk import chunks, sql_in
from core.importing import (
    BulkImportResource,
    Importer,
    ImportReport,
    MoneyWidget,
    UpperCaseWidget,
    YesNoWidget,
    formula_errors,
    header_key,
    import_check,
    import_confirm,
    import_run,
    import_sheet,
    import_upload,
    template_columns,
)
from core.phones import validate_typed_phone_digits
from core.progress import Progress
from core.tabular import Sheet
from customers.models import Cluster, Customer, CustomerGroup, CustomerImport
from customers.selectors import customer_group_default
from sales.figures import CLUSTER_MEMBERS, figures_move_customer, figures_move_first_visits
from sales.selectors import visit_figures_from_sales, visit_figures_without_sales

CLUSTER_SEPARATORS = (";", "|")

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
OPENING_ATTRIBUTES = tuple(
    attribute for column, attribute in TEMPLATE_COLUMNS if column in OPENING_COLUMNS
)
# What an update may change: never the money, the visit figures or anything else.
IMPORTED_ATTRIBUTES = tuple(attribute for _column, attribute in TEMPLATE_COLUMNS)


class CheckedPhoneNumber(PhoneNumber):
    """A phone the import has checked already. phonenumber_field checks a number's validity
    again each time it is shown or saved (about 60 microseconds): at 100,000 rows, seconds."""

    def is_valid(self):
        return True


class PhoneWidget(widgets.Widget):
    """A Kenyan phone as people type it, to E.164 (what customers are matched on).

    Each row's phone is read several times (the file-wide checks, the match, the field); the
    answer for a text is kept, as parsing is a good part of a row's cost."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.read: dict[str, CheckedPhoneNumber | ValueError] = {}

    def clean(self, value, row=None, **kwargs) -> CheckedPhoneNumber:
        value = (value or "").strip()
        if value not in self.read:
            try:
                self.read[value] = self._checked(value)
            except ValueError as error:
                self.read[value] = error
        answer = self.read[value]
        if isinstance(answer, ValueError):
            raise ValueError(str(answer))
        return answer

    @staticmethod
    def _checked(value: str) -> CheckedPhoneNumber:
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
        phone = CheckedPhoneNumber()
        phone.merge_from(number)
        phone.e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return phone

    def render(self, value, obj=None, **kwargs):
        return str(value or "")


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
        text = header_key(value or "")
        if not text:
            return None
        if not hasattr(self, "groups"):  # read once per import, not once per row
            self.groups = list(CustomerGroup.objects.order_by("name"))
        for group in self.groups:
            if text in (header_key(group.name), header_key(group.slug)):
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
    """Clusters by name (case ignored), as their ids; created when the manager ticked that
    option, else an unknown name is refused (checked before anything is saved:
    CustomerImportResource.before_import_row)."""

    def __init__(self, *, create: bool, **kwargs):
        super().__init__(Cluster, separator=CLUSTER_SEPARATORS[0], field="name", **kwargs)
        self.create = create

    def clean(self, value, row=None, **kwargs):
        if not hasattr(self, "existing"):  # read once per import, not once per row
            self.existing = {
                header_key(cluster.name): cluster.pk for cluster in Cluster.objects.all()
            }
        chosen = set()
        for name in cluster_names(value):
            cluster_id = self.existing.get(header_key(name))
            if cluster_id is None and self.create:
                cluster_id = self.existing[header_key(name)] = Cluster.objects.create(name=name).pk
            if cluster_id is not None:
                chosen.add(cluster_id)
        return sorted(chosen)


class CustomerImportResource(BulkImportResource):
    """Our template's columns onto Customer, matched by phone (core.importing.BulkImportResource
    writes them in bulk, here with their clusters and report figures)."""

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

    def __init__(
        self, *, actor, create_clusters: bool, columns: set[str], progress: Progress | None = None
    ):
        attributes = [
            attribute
            for column, attribute in TEMPLATE_COLUMNS
            if column in columns and attribute != "clusters"
        ]
        super().__init__(actor=actor, columns=columns, attributes=attributes, progress=progress)
        self.create_clusters = create_clusters
        self.fields["clusters"] = fields.Field(
            attribute="clusters",
            column_name="Clusters",
            widget=ClustersWidget(create=create_clusters),
        )
        self.walk_in = customer_group_default()  # a new customer's group unless the file says
        # What an unchanged row leaves as it was (the phone matched: equal by definition).
        self.compared = [name for name in self.attributes if name != "phone"]
        self.opening_compared = [name for name in self.compared if name in OPENING_ATTRIBUTES]
        self.phones_seen: dict[str, int] = {}
        self.tax_pins_seen: dict[str, int] = {}
        self.known_clusters = {
            header_key(name) for name in Cluster.objects.values_list("name", flat=True)
        }
        # Read in before_import: the file's customers already here, by phone (self.existing);
        # their clusters ({customer id: {cluster id: membership row id}}); who holds the
        # file's Tax PINs.
        self.memberships_before: dict[int, dict[int, int]] = {}
        self.tax_pin_holders: dict[str, str] = {}

    def not_cleaned(self) -> list[str]:
        # The phone and group were checked by their widgets; Django's check of a group would
        # query it.
        return [*super().not_cleaned(), "phone", "group"]

    def match(self, row) -> str | None:
        return self._phone(row)

    def _phone(self, row) -> str | None:
        try:
            return self.fields["phone"].widget.clean(row.get("Phone")).e164
        except ValueError:
            return None

    def before_import(self, dataset, **kwargs):
        """Read every customer the file names in a few queries, locked (FOR NO KEY UPDATE, as
        the till does) when importing for real: a sale waits for the import, not the reverse."""
        phones = {}
        for row in dataset.dict:
            try:
                phone = self.fields["phone"].widget.clean(row.get("Phone"))
            except ValueError:
                continue
            phones[phone.e164] = phone
        # The phone column read as text and matched in plain SQL: the field would parse every
        # value again, both ways (a tenth of the import's time).
        customers = (
            Customer.objects.select_related("group")
            .order_by("pk")
            .defer("phone")
            .annotate(phone_text=Cast("phone", CharField()))
        )
        if not kwargs.get("dry_run"):
            customers = customers.select_for_update(no_key=True, of=("self",))
        column = f"{connection.ops.quote_name(Customer._meta.db_table)}.phone"
        for chunk in chunks(sorted(phones)):
            in_file = RawSQL(*sql_in(column, chunk), BooleanField())
            for customer in customers.filter(in_file):
                customer.phone = phones[customer.phone_text]
                self.existing[customer.phone_text] = customer
        ids = sorted(customer.pk for customer in self.existing.values())
        for chunk in chunks(ids):
            members = CLUSTER_MEMBERS.objects.filter(customer_id__in=chunk)
            for row_id, customer_id, cluster_id in members.values_list(
                "pk", "customer_id", "cluster_id"
            ):
                self.memberships_before.setdefault(customer_id, {})[cluster_id] = row_id
        if "Tax PIN" in self.columns:
            pins = sorted({pin for row in dataset.dict if (pin := _tax_pin(row))})
            for chunk in chunks(pins):
                holders = Customer.objects.filter(tax_pin__in=chunk).values_list("tax_pin", "phone")
                self.tax_pin_holders.update((pin, str(phone)) for pin, phone in holders)

    def before_import_row(self, row, **kwargs):
        """Refusals that need the whole file or that the widgets cannot see: formulas, the same
        phone or Tax PIN twice, unknown clusters. Each names its column."""
        errors = formula_errors(row, TEMPLATE_COLUMNS)
        if "phone" not in errors:
            try:
                phone = self.fields["phone"].widget.clean(row.get("Phone")).e164
            except ValueError as error:
                phone = None
                errors["phone"] = str(error)  # said here: this row stops at the first refusal
            if phone is not None:
                first = self.phones_seen.setdefault(phone, row["__row__"])
                if first != row["__row__"]:
                    errors["phone"] = _("The same phone as row %(row)s of this file.") % {
                        "row": first
                    }
        pin = _tax_pin(row)
        if pin and "tax_pin" not in errors:
            first = self.tax_pins_seen.setdefault(pin, row["__row__"])
            if first != row["__row__"]:
                errors["tax_pin"] = _("The same Tax PIN as row %(row)s of this file.") % {
                    "row": first
                }
        if not self.create_clusters and "clusters" not in errors:
            unknown = [
                name
                for name in cluster_names(row.get("Clusters", ""))
                if header_key(name) not in self.known_clusters
            ]
            if unknown:
                errors["clusters"] = _(
                    "No cluster is called %(names)s. Add it first, or tick “Create clusters "
                    "named in the file”."
                ) % {"names": ", ".join(f"“{name}”" for name in unknown)}
        if errors:
            raise ValidationError(errors)

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        if new:
            instance.group = self.walk_in
        instance._import_cluster_ids = None  # None: the file leaves their clusters alone

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "group" and not (row.get("Group") or "").strip():
            return  # empty: the customer keeps their group (a new one: Walk-in)
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if "Clusters" in self.columns:
            try:
                instance._import_cluster_ids = self.fields["clusters"].clean(row)
            except ValueError as error:
                errors["clusters"] = [str(error)]
        if errors:
            raise ValidationError(errors)

    def _cluster_ids_before(self, instance) -> list[int]:
        return sorted(self.memberships_before.get(instance.pk, {})) if instance.pk else []

    def skip_row(self, instance, original, row, import_validation_errors=None):
        ids = instance._import_cluster_ids
        if instance.pk and ids is not None and ids != self._cluster_ids_before(instance):
            return False
        return super().skip_row(instance, original, row, import_validation_errors)

    def more_errors(self, instance):
        """Tax PINs against what before_import read; the location rule; the opening days."""
        holder = self.tax_pin_holders.get(instance.tax_pin)
        if instance.tax_pin and holder and holder != instance.phone.e164:
            yield (
                "tax_pin",
                _("Another customer (%(phone)s) already has this Tax PIN.") % {"phone": holder},
            )
        if (instance.latitude is None) != (instance.longitude is None):
            yield (
                "longitude" if instance.longitude is None else "latitude",
                _("Give both latitude and longitude, or leave both empty."),
            )
        first, last = instance.opening_first_visit_at, instance.opening_last_visit_at
        if first and last and first > last:
            yield (
                "opening_last_visit_at",
                _("The last visit is before the first; check the two days."),
            )

    # --- beside the rows: visit figures, clusters, report figures ---

    def bulk_create(self, *args, **kwargs):
        for customer in self.create_instances:
            # A new customer has no sale here: their opening figures are their visit figures.
            for name, value in visit_figures_without_sales(customer).items():
                setattr(customer, name, value)
        super().bulk_create(*args, **kwargs)

    def write_related(self, customers, *, update: bool) -> None:
        self.memberships = self._write_clusters(customers)  # the history copies them

    def after_history(self, customers, *, update: bool) -> None:
        self._move_figures(customers, self.memberships, update=update)

    def _write_clusters(self, customers: list[Customer]) -> dict[int, dict[int, int]]:
        """Each customer's clusters as the file says (where it says), written; returns every
        customer's memberships after ({customer id: {cluster id: membership row id}})."""
        memberships = {
            customer.pk: dict(self.memberships_before.get(customer.pk, {}))
            for customer in customers
        }
        moving = [
            customer
            for customer in customers
            if customer._import_cluster_ids is not None
            and customer._import_cluster_ids != sorted(memberships[customer.pk])
        ]
        CLUSTER_MEMBERS.objects.filter(
            customer_id__in=[c.pk for c in moving if c.pk in self.memberships_before]
        ).delete()
        added = CLUSTER_MEMBERS.objects.bulk_create(
            CLUSTER_MEMBERS(customer_id=customer.pk, cluster_id=cluster_id)
            for customer in moving
            for cluster_id in customer._import_cluster_ids
        )
        for customer in moving:
            memberships[customer.pk] = {}
        for member in added:
            memberships[member.customer_id][member.cluster_id] = member.pk
        return memberships

    def _move_figures(self, customers: list[Customer], memberships, *, update: bool) -> None:
        """The report figures follow: a customer with visits who changed clusters takes them
        along; opening figures count in the visit figures and may move their first visit."""
        for customer in customers if update else ():
            before = self._cluster_ids_before(customer)
            if customer.first_visit_at is not None and sorted(memberships[customer.pk]) != before:
                figures_move_customer(customer, before, sorted(memberships[customer.pk]))
        if not self.columns & set(OPENING_COLUMNS):
            return
        # As read under the lock, or as counted when created (visit_figures_without_sales).
        after = {customer.pk: customer.first_visit_at for customer in customers}
        if update:
            ids = [  # only customers whose opening figures the file changes
                customer.pk
                for customer in customers
                if self.changed([customer], self.opening_compared)
            ]
            if ids:
                Customer.objects.filter(pk__in=ids).update(**visit_figures_from_sales())
                after.update(
                    Customer.objects.filter(pk__in=ids).values_list("pk", "first_visit_at")
                )
        figures_move_first_visits(
            # Before: as read under the lock (the UPDATE above does not change the object).
            (sorted(memberships[c.pk]), c.first_visit_at if update else None, after[c.pk])
            for c in customers
        )


def _tax_pin(row) -> str:
    return (row.get("Tax PIN") or "").strip().upper()


# --- the import --------------------------------------------------------------------------------


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
    by_key = {header_key(header): value for header, value in cells.items()}
    return next((by_key[header_key(name)] for name in names if header_key(name) in by_key), "")


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


# Where our columns come from in each export, so a refusal names the column the person sees.
OSPOS_SOURCES = {
    "Name": "First Name, Last Name",
    "Phone": "Phone Number",
    "Email": "Email",
    "Address": "Address 1, Address2",
    "Village": "City",
    "Send SMS": "Consent",
    "Notes": "Comments",
}
LOYVERSE_SOURCES = {
    "Name": "Customer name",
    "Phone": "Phone",
    "Email": "Email",
    "Address": "Address",
    "Village": "City",
    "Notes": "Note",
    "Opening visits": "Total visits",
    "Opening spent": "Total spent",
    "Opening first visit": "First visit",
    "Opening last visit": "Last visit",
}

OTHER_SYSTEMS = (
    # (what the preview calls it, columns that identify it, row -> our columns, their sources)
    (gettext_noop("an Open Source Point of Sale customer export"),
     ("First Name", "Last Name", "Phone Number"), _from_ospos, OSPOS_SOURCES),
    (gettext_noop("a Loyverse customer export"),
     ("First visit", "Total visits", "Total spent"), _from_loyverse, LOYVERSE_SOURCES),
)  # fmt: skip


def in_template_columns(sheet: Sheet) -> Sheet:
    """`sheet` itself when it has our columns; an export of another system (Open Source Point
    of Sale) turned into them, with a note saying so."""
    headers = {header_key(header): header for header in sheet.headers}
    for label, identifying, convert, sources in OTHER_SYSTEMS:
        if all(header_key(column) in headers for column in identifying):
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
                column_sources=sources,
            )
    return sheet


def _columns(sheet: Sheet) -> tuple[Sheet, dict[str, str], list[str]]:
    """The sheet in our template's columns (another system's export turned into them), which
    of them it has ({our column: the file's header}) and notes on how it was read. Raises
    MissingColumns when Name or Phone is not in the file."""
    sheet = in_template_columns(sheet)
    columns, notes = template_columns(
        sheet,
        TEMPLATE_COLUMNS,
        [COLUMN_OF_ATTRIBUTE[attribute] for attribute in REQUIRED_ATTRIBUTES],
        _(
            "The file has no %(columns)s column; every customer needs one. The first row "
            "should name the columns as the template does."
        ),
    )
    return sheet, columns, notes


def customer_import(
    sheet: Sheet, *, actor, confirm: bool, create_clusters: bool, progress: Progress | None = None
) -> ImportReport:
    """Import `sheet` (our template's columns, or another system's export that
    in_template_columns knows). With `confirm` False nothing is kept (a dry run for the
    preview); with True every row is written in one transaction, or none when any row is
    refused. `progress` advances a row at a time. Raises MissingColumns when Name or Phone is
    not in the file."""
    sheet, columns, notes = _columns(sheet)
    resource = CustomerImportResource(
        actor=actor, create_clusters=create_clusters, columns=set(columns), progress=progress
    )
    return import_sheet(
        resource,
        sheet,
        columns,
        notes,
        confirm=confirm,
        column_of_attribute=COLUMN_OF_ATTRIBUTE,
        name="Name",
        key="Phone",
    )


# --- the import's record (CustomerImport), its work done in the background --------------------


def _import_for_record(sheet, *, record, actor, confirm, progress) -> ImportReport:
    return customer_import(
        sheet,
        actor=actor,
        confirm=confirm,
        create_clusters=record.create_clusters,
        progress=progress,
    )


CUSTOMERS = Importer(
    path="customers.importing.CUSTOMERS",
    record_model=CustomerImport,
    check_columns=_columns,
    run=_import_for_record,
)


def customer_import_upload(*, actor, upload, create_clusters: bool) -> CustomerImport:
    """Take an uploaded customer file and queue the check of its rows (core.importing)."""
    return import_upload(CUSTOMERS, actor=actor, upload=upload, create_clusters=create_clusters)


def customer_import_confirm(*, actor, record: CustomerImport) -> CustomerImport:
    return import_confirm(CUSTOMERS, actor=actor, record=record)


def customer_import_check(record_id: int) -> None:
    import_check(CUSTOMERS, record_id)


def customer_import_run(record_id: int) -> None:
    import_run(CUSTOMERS, record_id)
