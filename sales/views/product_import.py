"""Product import pages: the shared import pages (core.views_import) for the price list."""

from django.utils.translation import gettext_lazy as _

from core.views_import import (
    ImportConfirmView,
    ImportDetailView,
    ImportPages,
    ImportTemplateView,
    ImportUploadView,
)
from sales.importing import (
    TEMPLATE_COLUMNS,
    TEMPLATE_EXAMPLE_ROWS,
    product_import_confirm,
    product_import_upload,
)
from sales.models import ProductImport

PRODUCT_IMPORT_PAGES = ImportPages(
    record_model=ProductImport,
    permission="sales.add_productimport",
    title=_("Import products"),
    upload_url="sales:product_import",
    template_url="sales:product_import_template",
    confirm_url="sales:product_import_confirm",
    list_url="sales:product_list",
    list_link=_("Open the product list"),
    key_label=_("Code"),
    new_label=_("New product"),
    update_label=_("Updates a product"),
    help_items=(
        _("Code, Name, Retail price and Wholesale price are needed on every row; On sale may "
          "be left out (a new product is on sale)."),
        _("A product already in the shop is found by its code (case ignored) and its name "
          "and prices updated; the rest are added."),
        _("Prices in shillings, as you write them: 4,200 or KES 4200."),
        _("If any row is refused, nothing is imported: fix those rows in the file and upload "
          "it again."),
    ),
    columns=tuple(column for column, _attribute in TEMPLATE_COLUMNS),
    example_rows=TEMPLATE_EXAMPLE_ROWS,
    template_file="product-import-template.csv",
)  # fmt: skip


class ProductImportView(ImportUploadView):
    pages = PRODUCT_IMPORT_PAGES

    def upload(self, form):
        return product_import_upload(actor=self.request.user, upload=form.cleaned_data["file"])


class ProductImportDetailView(ImportDetailView):
    pages = PRODUCT_IMPORT_PAGES


class ProductImportConfirmView(ImportConfirmView):
    pages = PRODUCT_IMPORT_PAGES

    def confirm(self, record):
        return product_import_confirm(actor=self.request.user, record=record)


class ProductImportTemplateView(ImportTemplateView):
    pages = PRODUCT_IMPORT_PAGES
