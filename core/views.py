"""Base views: every back-office page needs a login and names the permission it needs."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import FormView, RedirectView
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin
from django_tables2.rows import BoundRows

from core.export import stream_resource_csv
from core.pagination import keyset_page
from core.tables import StableOrderingQuerysetData


class StaffPermissionRequiredMixin(PermissionRequiredMixin):
    """Anonymous users are sent to the login page; a signed-in user without the permission
    gets 403 (Django's AccessMixin does exactly that when raise_exception is False)."""

    raise_exception = False


class ServiceFormView(StaffPermissionRequiredMixin, FormView):
    """A form whose valid data goes to a service (`save`); a refusal from the service shows on
    the form, field by field where it names one, and nothing is written.

    Subclasses define `save(form)`, returning the saved object (it has a `name` and a
    `get_absolute_url()`), and `success_message`
    (with a %(name)s placeholder).
    """

    template_name = "core/service_form.html"
    success_message = ""
    cancel_url = None  # where Cancel goes: the object's page, or the list for a new one

    def save(self, form):
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        kwargs.setdefault("cancel_url", self.cancel_url)
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        try:
            saved = self.save(form)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message % {"name": saved.name})
        return redirect(saved.get_absolute_url())


class FilteredTableView(StaffPermissionRequiredMixin, SingleTableMixin, FilterView):
    """A list page: one filtered, sorted queryset feeds the table, the filter form and the export.

    Subclasses name `model` (or `queryset`), `filterset_class`, `table_class`,
    `template_name` and `permission_required`. Unknown filter values give an empty table with the
    filter form's message (django-filter's strict mode), never a 500.
    """

    default_per_page = 25
    max_per_page = 100

    def get_table_data(self):
        return StableOrderingQuerysetData(super().get_table_data())

    def get_table(self, **kwargs):
        table = self.get_table_class()(data=self.get_table_data(), **self.get_table_kwargs())
        RequestConfig(self.request, paginate=False).configure(table)  # sorting from ?sort=
        # A keyset page (core.pagination): never a COUNT(*) of the table, and a deep page costs
        # what the first does.
        per_page = self._requested_int("per_page", self.default_per_page, self.max_per_page)
        page = keyset_page(table.data.data, per_page, self.request.GET)
        page.object_list = BoundRows(page.object_list, table)
        table.page = page
        return table

    def get_sorted_queryset(self):
        """The rows the person is looking at, all pages, in the order on screen."""
        table = self.get_table_class()(data=self.get_table_data(), **self.get_table_kwargs())
        RequestConfig(self.request, paginate=False).configure(table)
        return table.data.data

    def _requested_int(self, name: str, default: int, maximum: int | None) -> int:
        try:
            value = int(self.request.GET.get(name, default))
        except (TypeError, ValueError):
            return default
        if value < 1:
            return default
        return min(value, maximum) if maximum else value


class FilteredExportView(FilteredTableView):
    """Streams the list page's current view (its filters and sort, every page) as CSV.

    Subclasses name `resource_class` and `export_filename`, and a permission of their own.
    """

    resource_class = None
    export_filename = "export"

    def get(self, request, *args, **kwargs):
        filterset = self.get_filterset(self.get_filterset_class())
        if filterset.is_bound and not filterset.is_valid():
            self.object_list = filterset.queryset.none()
        else:
            self.object_list = filterset.qs
        return stream_resource_csv(
            self.resource_class(), self.get_sorted_queryset(), self.export_filename
        )


class HomeView(StaffPermissionRequiredMixin, RedirectView):
    """Cashiers start at the till; managers and admins at the dashboard; anyone else at the
    customer table."""

    permission_required = "customers.view_customer"

    def get_redirect_url(self, *args, **kwargs):
        user = self.request.user
        if user.has_perm("sales.view_sale") and user.has_perm("customers.change_customer"):
            return reverse("reports:dashboard")
        if user.has_perm("sales.add_sale") and not user.has_perm("customers.change_customer"):
            return reverse("sales:till")
        return reverse("customers:customer_list")
