from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.generic import DetailView, TemplateView, View

from core.charts import Chart
from core.export import stream_resource_csv
from core.views import (
    FilteredExportView,
    FilteredTableView,
    ServiceFormView,
    StaffPermissionRequiredMixin,
)
from customers import services
from customers.filters import CustomerFilterSet, CustomerMapFilterSet
from customers.forms import CustomerEditForm, CustomerForm
from customers.models import Customer
from customers.resources import CustomerSmsUploadResource, CustomerTableResource
from customers.selectors import (
    MAP_MARKER_LIMIT,
    customer_favourite_products,
    customer_history,
    customer_list_queryset,
    customer_purchase_history,
    customer_visits_per_month,
    customers_for_map,
    customers_for_sms_upload,
    located_customers_page,
)
from customers.tables import CustomerTable


class CustomerListView(FilteredTableView):
    permission_required = "customers.view_customer"
    filterset_class = CustomerFilterSet
    table_class = CustomerTable
    template_name = "customers/customer_list.html"

    def get_queryset(self):
        return customer_list_queryset()


class CustomerExportCsvView(CustomerListView, FilteredExportView):
    """Export to CSV: the table as filtered and sorted on screen, every page."""

    permission_required = "customers.export_customer"
    resource_class = CustomerTableResource
    export_filename = "customers"


class CustomerExportSmsView(StaffPermissionRequiredMixin, TemplateView):
    """Export to SMS Upload: every Send-SMS customer, whatever the table's filters."""

    permission_required = "customers.export_customer"

    def get(self, request, *args, **kwargs):
        return stream_resource_csv(
            CustomerSmsUploadResource(), customers_for_sms_upload(), "sms-upload"
        )


class CustomerMapMixin:
    """The customer map's filters (cluster and group), shared by the page and its points."""

    @cached_property
    def filterset(self) -> CustomerMapFilterSet:
        return CustomerMapFilterSet(self.request.GET or None, queryset=Customer.objects.all())

    @cached_property
    def filtered(self) -> QuerySet[Customer] | None:
        """The filtered customers, or None while a filter value is not understood."""
        if self.filterset.is_bound and not self.filterset.is_valid():
            return None
        return self.filterset.qs


class CustomerMapView(CustomerMapMixin, StaffPermissionRequiredMixin, TemplateView):
    """The map of located customers, filtered by cluster and group. The markers come from
    CustomerMapPointsView (static/js/customer_map.js fetches them); the page lists the same
    customers below the map, 50 at a time, so it is useful without map tiles or JavaScript.
    Unknown filter values: the filter form's message and no customers, never a 500."""

    permission_required = "customers.view_customer"
    template_name = "customers/customer_map.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.filtered is None:
            located, more = None, False
        else:
            located, more = located_customers_page(
                self.filtered, page_number=self.request.GET.get("page")
            )
        filters = self.request.GET.copy()
        filters.pop("page", None)
        points_url = reverse("customers:customer_map_points")
        context.update(
            filter=self.filterset,
            located=located,
            points_url=f"{points_url}?{filters.urlencode()}" if filters else points_url,
            more_markers=more,
            marker_limit=MAP_MARKER_LIMIT,
        )
        return context


# A pk no table reaches, replaced by "{id}" in the customer URL the map's points carry.
_SAMPLE_PK = 987654321987


class CustomerMapPointsView(CustomerMapMixin, StaffPermissionRequiredMixin, View):
    """The map's markers as compact JSON, with the page's filters, permission and cap: one
    array per customer (`columns` names its items; coordinates as numbers), in the list's
    order, and the customer page's URL with "{id}" for the customer's id. The client writes
    names as text, never as HTML. Unknown filter values: no points (the page says why)."""

    permission_required = "customers.view_customer"

    def get(self, request, *args, **kwargs):
        rows, more = ([], False) if self.filtered is None else customers_for_map(self.filtered)
        customer_url = reverse("customers:customer_detail", args=[_SAMPLE_PK])
        return JsonResponse(
            {
                "columns": ["id", "lat", "lng", "name", "phone", "village", "group"],
                "points": [
                    [
                        row["pk"],
                        float(row["latitude"]),  # 6 decimals, as stored
                        float(row["longitude"]),
                        row["name"],
                        row["phone"],
                        row["village"],
                        row["group__name"],
                    ]
                    for row in rows
                ],
                "more": more,
                "limit": MAP_MARKER_LIMIT,
                "customer_url": customer_url.replace(str(_SAMPLE_PK), "{id}"),
            },
            json_dumps_params={"separators": (",", ":"), "ensure_ascii": False},
        )


class CustomerDetailView(StaffPermissionRequiredMixin, DetailView):
    permission_required = "customers.view_customer"
    template_name = "customers/customer_detail.html"
    context_object_name = "customer"

    def get_queryset(self):
        return customer_list_queryset()

    purchases_per_page = 20

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["history"] = customer_history(self.object)
        purchases = Paginator(
            customer_purchase_history(self.object), self.purchases_per_page
        ).get_page(self.request.GET.get("page"))
        visits = customer_visits_per_month(self.object)
        visits_chart = Chart(
            element_id="visits-per-month",
            kind="bar",
            title=_("Visits per month"),
            labels=[date_format(row["month"], "M Y") for row in visits],
        ).add_series(_("Visits"), [row["visits"] for row in visits])
        context.update(
            purchases_page=purchases,
            purchases=purchases.object_list,
            favourite_products=customer_favourite_products(self.object),
            visits_per_month=visits,
            visits_chart=visits_chart,
        )
        return context


class CustomerServiceFormView(ServiceFormView):
    cancel_url = reverse_lazy("customers:customer_list")

    def get_context_data(self, **kwargs):
        # The map under the latitude/longitude boxes (static/js/location_picker.js).
        kwargs.setdefault(
            "location_picker",
            {
                "map": _("Map: click to set the location"),
                "help": _("Click the map to set the latitude and longitude, or type them above."),
                "tileUrl": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                "attribution": format_html(
                    '&copy; <a href="https://www.openstreetmap.org/copyright">{}</a>',
                    _("OpenStreetMap contributors"),
                ),
            },
        )
        return super().get_context_data(**kwargs)


class CustomerCreateView(CustomerServiceFormView):
    permission_required = "customers.add_customer"
    form_class = CustomerForm

    def save(self, form):
        return services.customer_create(actor=self.request.user, **form.service_fields())

    @property
    def success_message(self):
        return _("Customer %(name)s created.")

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("New customer"), submit_label=_("Create"), **kwargs)


class CustomerEditView(CustomerServiceFormView):
    permission_required = "customers.change_customer"
    form_class = CustomerEditForm

    @cached_property
    def customer(self) -> Customer:
        # Read after the permission check (PermissionRequiredMixin.dispatch), not in dispatch:
        # someone without the permission gets 403 whether the id exists or not.
        return get_object_or_404(Customer, pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        # The form works on a copy: a refused save must not leave the page showing half-changed
        # data as if it were stored.
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = Customer.objects.get(pk=self.customer.pk)
        return kwargs

    def save(self, form):
        return services.customer_update(
            actor=self.request.user, customer=self.customer, **form.service_fields()
        )

    @property
    def success_message(self):
        return _("Customer %(name)s saved.")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("Edit %(name)s") % {"name": self.customer.name},
            submit_label=_("Save"),
            customer=self.customer,
            cancel_url=self.customer.get_absolute_url(),
            **kwargs,
        )


class CustomerDeleteView(StaffPermissionRequiredMixin, DetailView):
    permission_required = "customers.delete_customer"
    model = Customer
    template_name = "customers/customer_confirm_delete.html"
    context_object_name = "customer"
    success_url = reverse_lazy("customers:customer_list")

    def post(self, request, *args, **kwargs):
        customer = self.get_object()
        name = customer.name
        try:
            services.customer_delete(actor=request.user, customer=customer)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(reverse("customers:customer_detail", args=[customer.pk]))
        messages.success(request, _("Customer %(name)s deleted.") % {"name": name})
        return redirect(self.success_url)
