"""Receipts (80 mm roll) and tax invoices (A4 page and PDF)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from core.html import WithoutIndentationMixin
from core.views import StaffPermissionRequiredMixin
from sales.invoice_pdf import invoice_pdf
from sales.models import Invoice, PaymentMethod, Sale
from sales.selectors import (
    DOCUMENT_DATETIME_FORMAT,
    document_lines,
    invoice_display_number,
    invoice_document,
    sale_credit_entry,
    sale_for_receipt,
)
from sales.services import invoice_issue


def _sale_or_404(pk: int) -> Sale:
    try:
        return sale_for_receipt(pk)
    except Sale.DoesNotExist as error:
        raise Http404(_("No such sale.")) from error


def _invoice_document_or_404(pk: int):
    try:
        return invoice_document(pk)
    except Invoice.DoesNotExist as error:
        raise Http404(_("No such invoice.")) from error


class SaleReceiptView(WithoutIndentationMixin, StaffPermissionRequiredMixin, TemplateView):
    """The receipt for a sale, laid out for an 80 mm thermal roll."""

    permission_required = "sales.view_sale"
    template_name = "sales/receipt.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        sale = _sale_or_404(self.kwargs["pk"])
        invoice = getattr(sale, "invoice", None)
        credit_entry = (
            sale_credit_entry(sale) if sale.payment_method == PaymentMethod.CREDIT else None
        )
        context.update(
            sale=sale,
            lines=document_lines(sale),
            payment=getattr(sale, "payment", None),
            credit_entry=credit_entry,
            invoice=invoice,
            invoice_number=invoice_display_number(invoice.number) if invoice else "",
            datetime_format=DOCUMENT_DATETIME_FORMAT,
        )
        return context


class InvoiceIssueView(StaffPermissionRequiredMixin, TemplateView):
    """GET asks for confirmation (or opens the sale's invoice); POST issues it."""

    permission_required = "sales.add_invoice"
    template_name = "sales/invoice_confirm.html"

    def get(self, request, *args, **kwargs):
        sale = _sale_or_404(kwargs["pk"])
        invoice = getattr(sale, "invoice", None)
        if invoice is not None:
            return redirect(invoice)
        return self.render_to_response(self.get_context_data(sale=sale))

    def post(self, request, *args, **kwargs):
        sale = _sale_or_404(kwargs["pk"])
        already_issued = getattr(sale, "invoice", None) is not None
        try:
            invoice = invoice_issue(actor=request.user, sale=sale)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("sales:sale_detail", pk=sale.pk)
        if not already_issued:
            messages.success(
                request,
                _("Tax invoice %(number)s issued.")
                % {"number": invoice_display_number(invoice.number)},
            )
        return redirect(invoice)


class InvoiceDetailView(StaffPermissionRequiredMixin, TemplateView):
    """A tax invoice as an A4 page to print."""

    permission_required = "sales.view_invoice"
    template_name = "sales/invoice.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            document=_invoice_document_or_404(self.kwargs["pk"]),
            datetime_format=DOCUMENT_DATETIME_FORMAT,
        )
        return context


class InvoicePdfView(StaffPermissionRequiredMixin, View):
    """The same invoice as a PDF download."""

    permission_required = "sales.view_invoice"

    def get(self, request, *args, **kwargs):
        document = _invoice_document_or_404(kwargs["pk"])
        response = HttpResponse(invoice_pdf(document), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
        # It carries a customer's personal details: not for shared caches.
        response["Cache-Control"] = "private, no-store"
        return response
