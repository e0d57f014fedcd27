"""Customer import pages: the shared import pages (core.views_import) for customers."""

from django.utils.translation import gettext_lazy as _

from core.views_import import (
    ImportConfirmView,
    ImportDetailView,
    ImportPages,
    ImportTemplateView,
    ImportUploadView,
)
from customers.forms import CustomerImportForm
from customers.importing import (
    TEMPLATE_COLUMNS,
    TEMPLATE_EXAMPLE_ROWS,
    customer_import_confirm,
    customer_import_upload,
)
from customers.models import CustomerImport

CUSTOMER_IMPORT_PAGES = ImportPages(
    record_model=CustomerImport,
    permission="customers.add_customerimport",
    title=_("Import customers"),
    upload_url="customers:customer_import",
    template_url="customers:customer_import_template",
    confirm_url="customers:customer_import_confirm",
    list_url="customers:customer_list",
    list_link=_("Open the customer list"),
    key_label=_("Phone"),
    new_label=_("New customer"),
    update_label=_("Updates a customer"),
    help_items=(
        _("Name and Phone are needed on every row; the other template columns may be left out "
          "or empty."),
        _("A customer already in the shop is found by phone, however it is typed, and "
          "updated; the rest are added."),
        _("Several clusters go in one cell, separated by semicolons."),
        _("If any row is refused, nothing is imported: fix those rows in the file and upload "
          "it again."),
    ),
    columns=tuple(column for column, _attribute in TEMPLATE_COLUMNS),
    example_rows=TEMPLATE_EXAMPLE_ROWS,
    template_file="customer-import-template.csv",
)  # fmt: skip


class CustomerImportView(ImportUploadView):
    pages = CUSTOMER_IMPORT_PAGES
    form_class = CustomerImportForm

    def upload(self, form):
        return customer_import_upload(
            actor=self.request.user,
            upload=form.cleaned_data["file"],
            create_clusters=form.cleaned_data["create_clusters"],
        )


class CustomerImportDetailView(ImportDetailView):
    pages = CUSTOMER_IMPORT_PAGES


class CustomerImportConfirmView(ImportConfirmView):
    pages = CUSTOMER_IMPORT_PAGES

    def confirm(self, record):
        return customer_import_confirm(actor=self.request.user, record=record)


class CustomerImportTemplateView(ImportTemplateView):
    pages = CUSTOMER_IMPORT_PAGES
