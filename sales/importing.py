"""Bringing a shop's price list in from a spreadsheet: code, name, retail and wholesale price,
the same way as customers (core.importing): a dry run that says what each row would do, then
every row in one transaction or none, written in bulk with each product's history.

Rows are matched to products by code (upper-case, as the till's scanner types it).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, widgets

from core.bulk import chunks
from core.importing import (
    BulkImportResource,
    Importer,
    ImportReport,
    MoneyWidget,
    UpperCaseWidget,
    YesNoWidget,
    formula_errors,
    import_check,
    import_confirm,
    import_run,
    import_sheet,
    import_upload,
    template_columns,
)
from core.progress import Progress
from core.tabular import Sheet
from sales.models import Product, ProductImport

# The template's columns, in its order: (column, the Product attribute it fills). A file
# format, so not translated.
TEMPLATE_COLUMNS = (
    ("Code", "code"),
    ("Name", "name"),
    ("Retail price", "retail_price"),
    ("Wholesale price", "wholesale_price"),
    ("On sale", "is_active"),
)
TEMPLATE_EXAMPLE_ROWS = (
    ("6161101230011", "DAP fertiliser 50 kg", "4,200", "3,950", "Yes"),
    ("SEED-H614-2", "H614 maize seed 2 kg", "650", "600", "Yes"),
)
REQUIRED_COLUMNS = ("Code", "Name", "Retail price", "Wholesale price")
COLUMN_OF_ATTRIBUTE = {attribute: column for column, attribute in TEMPLATE_COLUMNS}


class RequiredMoneyWidget(MoneyWidget):
    def clean(self, value, row=None, **kwargs):
        if not (value or "").strip():
            raise ValueError(_("The price is missing."))
        return super().clean(value, row, **kwargs)


class ProductImportResource(BulkImportResource):
    """Our template's columns onto Product, matched by code (core.importing.BulkImportResource
    writes them in bulk)."""

    code = fields.Field(attribute="code", column_name="Code", widget=UpperCaseWidget())
    name = fields.Field(attribute="name", column_name="Name", widget=widgets.CharWidget())
    retail_price = fields.Field(
        attribute="retail_price", column_name="Retail price", widget=RequiredMoneyWidget()
    )
    wholesale_price = fields.Field(
        attribute="wholesale_price", column_name="Wholesale price", widget=RequiredMoneyWidget()
    )
    is_active = fields.Field(attribute="is_active", column_name="On sale", widget=YesNoWidget())

    class Meta:
        model = Product
        import_id_fields = ("code",)
        fields = tuple(attribute for _column, attribute in TEMPLATE_COLUMNS)

    def __init__(self, *, actor, columns: set[str], progress: Progress | None = None):
        attributes = [a for column, a in TEMPLATE_COLUMNS if column in columns]
        super().__init__(actor=actor, columns=columns, attributes=attributes, progress=progress)
        self.codes_seen: dict[str, int] = {}

    def match(self, row) -> str:
        return _code(row)

    def before_import(self, dataset, **kwargs):
        """Every product the file names, read in one query a few thousand (locked when
        importing for real: a sale at the till sees the old price or the new one)."""
        codes = sorted({_code(row) for row in dataset.dict if _code(row)})
        products = Product.objects.order_by("pk")
        if not kwargs.get("dry_run"):
            products = products.select_for_update()
        for chunk in chunks(codes):
            for product in products.filter(code__in=chunk):
                self.existing[product.code] = product

    def before_import_row(self, row, **kwargs):
        errors = formula_errors(row, TEMPLATE_COLUMNS)
        code = _code(row)
        if not code and "code" not in errors:
            errors["code"] = _("The code is missing: the product's SKU or barcode.")
        elif code and "code" not in errors:
            first = self.codes_seen.setdefault(code, row["__row__"])
            if first != row["__row__"]:
                errors["code"] = _("The same code as row %(row)s of this file.") % {"row": first}
        if not (row.get("Name") or "").strip() and "name" not in errors:
            errors["name"] = _("The product's name is missing.")
        if errors:
            raise ValidationError(errors)

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "is_active" and not (row.get("On sale") or "").strip():
            return  # empty: the product stays as it is (a new one: on sale)
        super().import_field(field, instance, row, is_m2m, **kwargs)


def _code(row) -> str:
    return (row.get("Code") or "").strip().upper()


def _columns(sheet: Sheet) -> tuple[dict[str, str], list[str]]:
    """Which of our columns the sheet has ({ours: the file's header}) and notes on how it was
    read. Raises MissingColumns when a column every product needs is missing."""
    return template_columns(
        sheet,
        TEMPLATE_COLUMNS,
        REQUIRED_COLUMNS,
        _(
            "The file has no %(columns)s column; every product needs one. The first row "
            "should name the columns as the template does."
        ),
    )


def product_import(
    sheet: Sheet, *, actor, confirm: bool, progress: Progress | None = None
) -> ImportReport:
    """Import `sheet` (our template's columns). With `confirm` False nothing is kept (the
    preview); with True every row is written in one transaction, or none when any row is
    refused. Raises MissingColumns when Code, Name or a price column is not in the file."""
    columns, notes = _columns(sheet)
    resource = ProductImportResource(actor=actor, columns=set(columns), progress=progress)
    return import_sheet(
        resource,
        sheet,
        columns,
        notes,
        confirm=confirm,
        column_of_attribute=COLUMN_OF_ATTRIBUTE,
        name="Name",
        key="Code",
    )


# --- the import's record (ProductImport), its work done in the background ----------------------


def _import_for_record(sheet, *, record, actor, confirm, progress) -> ImportReport:
    return product_import(sheet, actor=actor, confirm=confirm, progress=progress)


PRODUCTS = Importer(
    path="sales.importing.PRODUCTS",
    record_model=ProductImport,
    check_columns=_columns,
    run=_import_for_record,
)


def product_import_upload(*, actor, upload) -> ProductImport:
    """Take an uploaded price list and queue the check of its rows (core.importing)."""
    return import_upload(PRODUCTS, actor=actor, upload=upload)


def product_import_confirm(*, actor, record: ProductImport) -> ProductImport:
    return import_confirm(PRODUCTS, actor=actor, record=record)


def product_import_check(record_id: int) -> None:
    import_check(PRODUCTS, record_id)


def product_import_run(record_id: int) -> None:
    import_run(PRODUCTS, record_id)
