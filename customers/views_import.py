"""Customer import pages: upload and preview, the preview's findings, confirm, the template."""

import codecs
import csv
import io
from datetime import timedelta

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.generic import DetailView, FormView, View

from core.importing import ImportRefused, progress_key
from core.progress import progress_of
from core.views import StaffPermissionRequiredMixin
from customers.forms import CustomerImportForm
from customers.importing import (
    TEMPLATE_COLUMNS,
    TEMPLATE_EXAMPLE_ROWS,
    customer_import_confirm,
    customer_import_upload,
)
from customers.models import CustomerImport

IMPORT_PERMISSION = "customers.add_customerimport"
RECENT_IMPORTS = 20
REFRESH_SECONDS = 2
# A job not started after this long: no worker is running (the page says how to start one).
WORKER_EXPECTED_WITHIN = timedelta(seconds=15)


class CustomerImportView(StaffPermissionRequiredMixin, FormView):
    """Upload a spreadsheet: it is read at once, its rows checked in the background, and the
    preview shows what importing it would do. The shop's recent imports are listed below (the
    audit)."""

    permission_required = IMPORT_PERMISSION
    template_name = "customers/customer_import.html"
    form_class = CustomerImportForm

    def form_valid(self, form):
        try:
            record = customer_import_upload(
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
    reason, the first rows; Import when nothing is refused. While a background job checks or
    imports it, how far it has got (the page reloads itself)."""

    permission_required = IMPORT_PERMISSION
    template_name = "customers/customer_import_detail.html"
    context_object_name = "record"

    def get_queryset(self):
        return CustomerImport.objects.select_related("created_by", "imported_by").defer("content")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        record = self.object
        if record.status in CustomerImport.WORKING:
            context["progress"] = progress_of(progress_key(record))
            waited = timezone.now() - (record.queued_at or record.created_at)
            context["worker_missing"] = (
                context["progress"] is None and waited > WORKER_EXPECTED_WITHIN
            )
            context["refresh_seconds"] = REFRESH_SECONDS
        return context


class CustomerImportConfirmView(StaffPermissionRequiredMixin, View):
    permission_required = IMPORT_PERMISSION

    def post(self, request, pk):
        record = get_object_or_404(CustomerImport, pk=pk)
        try:
            customer_import_confirm(actor=request.user, record=record)
        except ImportRefused as error:
            messages.error(request, str(error))
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
