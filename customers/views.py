from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.generic import DetailView, TemplateView

from core.charts import Chart
from core.export import stream_resource_csv
from core.links import url_for_each_pk
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
)
from customers.tables import CustomerTable, located_customer_rows


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


class CustomerMapView(StaffPermissionRequiredMixin, TemplateView):
    """Located customers as map markers, filtered by cluster and group, and listed below the map
    so the page is useful without map tiles or JavaScript. Unknown filter values: the filter
    form's message and no customers, never a 500."""

    permission_required = "customers.view_customer"
    template_name = "customers/customer_map.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = CustomerMapFilterSet(self.request.GET or None, queryset=Customer.objects.all())
        if filterset.is_bound and not filterset.is_valid():
            rows, more = [], False
        else:
            rows, more = customers_for_map(filterset.qs)
        customer_url = url_for_each_pk("customers:customer_detail")
        markers = [
            {
                "pk": row["pk"],
                "name": row["name"],
                "phone": row["phone"],
                "village": row["village"],
                "group": row["group__name"],
                "lat": float(row["latitude"]),
                "lng": float(row["longitude"]),
                "url": customer_url(row["pk"]),
            }
            for row in rows
        ]
        context.update(
            filter=filterset,
            markers=markers,
            located_rows=located_customer_rows(markers),
            more_markers=more,
            marker_limit=MAP_MARKER_LIMIT,
        )
        return context


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
