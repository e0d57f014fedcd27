"""The sales list, a sale's page and voiding."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView

from core.views import FilteredExportView, FilteredTableView, StaffPermissionRequiredMixin
from sales import services
from sales.filters import SaleFilterSet
from sales.forms import SaleVoidForm
from sales.models import Sale
from sales.resources import SaleTableResource
from sales.selectors import sale_for_receipt, sale_list_queryset
from sales.tables import SaleTable


class SaleListView(FilteredTableView):
    permission_required = "sales.view_sale"
    filterset_class = SaleFilterSet
    table_class = SaleTable
    template_name = "sales/sale_list.html"

    def get_queryset(self):
        return sale_list_queryset()


class SaleExportCsvView(SaleListView, FilteredExportView):
    """Export to CSV: the sales table as filtered and sorted on screen, every page."""

    permission_required = "sales.export_sale"
    resource_class = SaleTableResource
    export_filename = "sales"


def _related_or_none(instance, name: str):
    """A reverse one-to-one (a sale's payment or invoice), or None when there is none."""
    try:
        return getattr(instance, name)
    except ObjectDoesNotExist:
        return None


class SaleDetailView(StaffPermissionRequiredMixin, DetailView):
    permission_required = "sales.view_sale"
    template_name = "sales/sale_detail.html"
    context_object_name = "sale"

    def get_object(self, queryset=None):
        try:
            return sale_for_receipt(self.kwargs["pk"])
        except Sale.DoesNotExist as error:
            raise Http404(_("No such sale.")) from error

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["lines"] = self.object.lines.all()
        context["payment"] = _related_or_none(self.object, "payment")
        context["invoice"] = _related_or_none(self.object, "invoice")
        context["credit_entries"] = self.object.credit_entries.all()
        return context


class SaleVoidView(StaffPermissionRequiredMixin, FormView):
    """GET asks for the reason; POST voids through sales.services.sale_void."""

    permission_required = "sales.void_sale"
    form_class = SaleVoidForm
    template_name = "sales/sale_confirm_void.html"

    @cached_property
    def sale(self) -> Sale:
        # Read after the permission check (dispatch), so a stranger learns nothing from a 404.
        return get_object_or_404(
            Sale.objects.select_related("customer", "cashier", "voided_by"), pk=self.kwargs["pk"]
        )

    def get(self, request, *args, **kwargs):
        if self.sale.is_voided:
            messages.info(request, _("This sale was already voided."))
            return redirect(self.sale.get_absolute_url())
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(sale=self.sale, **kwargs)

    def form_valid(self, form):
        try:
            services.sale_void(
                actor=self.request.user, sale=self.sale, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
            return self.form_invalid(form)
        messages.success(self.request, _("Sale %(number)s voided.") % {"number": self.sale.pk})
        return redirect(self.sale.get_absolute_url())
