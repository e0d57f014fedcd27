"""Customer import pages: upload and preview, the preview's findings, confirm, the template."""

import codecs
import csv
import io

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, View

from core.views import StaffPermissionRequiredMixin
from customers.forms import CustomerImportForm
from customers.importing import (
    TEMPLATE_COLUMNS,
    TEMPLATE_EXAMPLE_ROWS,
    ImportRefused,
    customer_import_confirm,
    customer_import_preview,
)
from customers.models import CustomerImport

IMPORT_PERMISSION = "customers.add_customerimport"
RECENT_IMPORTS = 20


class CustomerImportView(StaffPermissionRequiredMixin, FormView):
    """Upload a spreadsheet: it is read and dry-run at once, and the preview shows what
    importing it would do. The shop's recent imports are listed below (the audit)."""

    permission_required = IMPORT_PERMISSION
    template_name = "customers/customer_import.html"
    form_class = CustomerImportForm

    def form_valid(self, form):
        try:
            record = customer_import_preview(
                actor=self.request.user,
                upload=form.cleaned_data["file"],
                create_clusters=form.cleaned_data["create_clusters"],
            )
        except ImportRefused as error:
            form.add_error("file", str(error))
            return self.form_invalid(form)
        return redirect(record)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["imports"] = CustomerImport.objects.select_related(
            "created_by", "imported_by"
        ).defer("content", "findings")[:RECENT_IMPORTS]
        return context


class CustomerImportDetailView(StaffPermissionRequiredMixin, DetailView):
    """What the file would do (or did): counts, notes, every refused row with its column and
    reason, the first rows; Import when nothing is refused."""

    permission_required = IMPORT_PERMISSION
    template_name = "customers/customer_import_detail.html"
    context_object_name = "record"

    def get_queryset(self):
        return CustomerImport.objects.select_related("created_by", "imported_by").defer("content")


class CustomerImportConfirmView(StaffPermissionRequiredMixin, View):
    permission_required = IMPORT_PERMISSION

    def post(self, request, pk):
        record = get_object_or_404(CustomerImport, pk=pk)
        try:
            record = customer_import_confirm(actor=request.user, record=record)
        except ImportRefused as error:
            messages.error(request, str(error))
            return redirect(record)
        if record.status == CustomerImport.Status.IMPORTED:
            messages.success(
                request,
                _(
                    "Imported %(file)s: %(new)d new customers, %(updated)d updated, %(same)d "
                    "unchanged."
                )
                % {
                    "file": record.file_name,
                    "new": record.rows_new,
                    "updated": record.rows_updated,
                    "same": record.rows_unchanged,
                },
            )
            return redirect("customers:customer_list")
        messages.error(
            request,
            _(
                "Nothing was imported: %(count)d rows are refused now (the customers changed "
                "since the preview). Fix them in the file and upload it again."
            )
            % {"count": record.rows_refused},
        )
        return redirect(record)


class CustomerImportTemplateView(StaffPermissionRequiredMixin, View):
    """Our columns and two example rows, as CSV that Excel opens in UTF-8."""

    permission_required = IMPORT_PERMISSION

    def get(self, request):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([column for column, _attribute in TEMPLATE_COLUMNS])
        writer.writerows(TEMPLATE_EXAMPLE_ROWS)
        response = HttpResponse(
            codecs.BOM_UTF8 + buffer.getvalue().encode(), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="customer-import-template.csv"'
        return response
