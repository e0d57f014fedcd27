"""Request-wide rules: bodies larger than the back office ever needs are refused unread, and
every download of an export is recorded in the audit log."""

from django.conf import settings
from django.shortcuts import render

from core.audit import audit_record
from core.models import AuditAction


class RequestBodyLimitMiddleware:
    """A request whose body is larger than settings.MAX_REQUEST_BODY_BYTES gets 413 and a page
    that says so, before Django reads a byte of it: without this a 2 GB upload would be
    written to a temporary file first and only then refused by the import (core.tabular reads
    at most 10 MB). Bodies without a size (chunked) are left to the server in front
    (gunicorn, a proxy) and to Django's own DATA_UPLOAD_MAX_MEMORY_SIZE for form fields."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            size = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size = 0
        if size > settings.MAX_REQUEST_BODY_BYTES:
            return render(
                request,
                "413.html",
                {
                    "size_mb": size / 2**20,
                    "limit_mb": settings.MAX_REQUEST_BODY_BYTES // 2**20,
                },
                status=413,
            )
        return self.get_response(request)


class ExportAuditMiddleware:
    """Every export is recorded in the audit log: who, when, which file, with which filters.
    Every export (customers, SMS Upload, sales, the reports) streams through
    core.export.stream_resource_csv, which marks its response; recording it here rather than in
    each export view means a new export cannot forget it. Recorded when the download starts
    (the rows are streamed after)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 200
            and getattr(response, "is_export", False)  # core.export.stream_resource_csv
            and getattr(request, "user", None) is not None
            and request.user.is_authenticated
        ):
            disposition = response.get("Content-Disposition", "")
            filename = disposition.partition("filename=")[2].strip('"')
            query = request.META.get("QUERY_STRING", "")
            audit_record(
                actor=request.user,
                action=AuditAction.EXPORT,
                target_type="export",
                target_text=filename,
                details=request.path + (f"?{query}" if query else ""),
            )
        return response
