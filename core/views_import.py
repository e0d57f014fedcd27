"""The import pages every kind of import shares (customers, products): upload with the recent
imports listed (the audit), the record's page (progress while a job works, then the preview or
what was imported), confirm, and the template to fill in. Each kind subclasses them with its
`ImportPages`."""

import codecs
import csv
import io
from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.generic import DetailView, FormView, View

from core.forms import SpreadsheetUploadForm
from core.importing import ImportRefused, progress_key
from core.progress import progress_of
from core.views import StaffPermissionRequiredMixin

RECENT_IMPORTS = 20
REFRESH_SECONDS = 2
# A job not started after this long: no worker is running (the page says how to start one).
WORKER_EXPECTED_WITHIN = timedelta(seconds=15)


@dataclass(frozen=True)
class ImportPages:
    """What the shared pages say and link to for one kind of import (labels are lazy
    translations)."""

    record_model: type
    permission: str
    title: str  # "Import customers"
    upload_url: str  # URL names
    template_url: str
    confirm_url: str
    list_url: str
    list_link: str  # "Open the customer list"
    key_label: str  # the column rows are matched on: "Phone"
    new_label: str  # "New customer"
    update_label: str  # "Updates a customer"
    help_items: tuple[str, ...]
    # The template: its columns, example rows and file name.
    columns: tuple[str, ...]
    example_rows: tuple[tuple[str, ...], ...]
    template_file: str


class ImportPagesMixin(StaffPermissionRequiredMixin):
    pages: ImportPages

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if hasattr(cls, "pages"):  # each page of a kind asks for that kind's permission
            cls.permission_required = cls.pages.permission

    def get_context_data(self, **kwargs):
        return super().get_context_data(pages=self.pages, **kwargs)


class ImportUploadView(ImportPagesMixin, FormView):
    """Upload a spreadsheet: it is read at once, its rows checked in the background, and the
    record's page shows what importing it would do."""

    template_name = "imports/upload.html"
    form_class = SpreadsheetUploadForm

    def upload(self, form):
        """The kind's upload service: the record, or ImportRefused."""
        raise NotImplementedError

    def form_valid(self, form):
        try:
            record = self.upload(form)
        except ImportRefused as error:
            form.add_error("file", str(error))
            return self.form_invalid(form)
        return redirect(record)

    def get_context_data(self, **kwargs):
        imports = self.pages.record_model.objects.select_related("created_by", "imported_by")
        return super().get_context_data(
            imports=imports.defer("content", "findings")[:RECENT_IMPORTS], **kwargs
        )


class ImportDetailView(ImportPagesMixin, DetailView):
    """What the file would do (or did): counts, notes, every refused row with its column and
    reason, the first rows; Import when nothing is refused. While a background job checks or
    imports it, how far it has got (the page reloads itself)."""

    template_name = "imports/detail.html"
    context_object_name = "record"

    def get_queryset(self):
        records = self.pages.record_model.objects.select_related("created_by", "imported_by")
        return records.defer("content")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        record = self.object
        if record.status in record.WORKING:
            context["progress"] = progress_of(progress_key(record))
            waited = timezone.now() - (record.queued_at or record.created_at)
            context["worker_missing"] = (
                context["progress"] is None and waited > WORKER_EXPECTED_WITHIN
            )
            context["refresh_seconds"] = REFRESH_SECONDS
        return context


class ImportConfirmView(ImportPagesMixin, View):
    def confirm(self, record):
        """The kind's confirm service (queues the import), or ImportRefused."""
        raise NotImplementedError

    def post(self, request, pk):
        record = get_object_or_404(self.pages.record_model, pk=pk)
        try:
            self.confirm(record)
        except ImportRefused as error:
            messages.error(request, str(error))
        return redirect(record)


class ImportTemplateView(ImportPagesMixin, View):
    """The kind's columns and example rows, as CSV that Excel opens in UTF-8."""

    def get(self, request):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(self.pages.columns)
        writer.writerows(self.pages.example_rows)
        response = HttpResponse(
            codecs.BOM_UTF8 + buffer.getvalue().encode(), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{self.pages.template_file}"'
        return response
