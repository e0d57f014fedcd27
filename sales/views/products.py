"""Products in the back office: the table, a product's page with its price history, and CRUD."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import DetailView

from core.views import FilteredTableView, ServiceFormView, StaffPermissionRequiredMixin
from sales import services
from sales.filters import ProductFilterSet
from sales.forms import ProductForm
from sales.models import Product
from sales.selectors import product_history, product_list_queryset
from sales.tables import ProductTable


class ProductListView(FilteredTableView):
    permission_required = "sales.view_product"
    filterset_class = ProductFilterSet
    table_class = ProductTable
    template_name = "sales/product_list.html"

    def get_queryset(self):
        return product_list_queryset()


class ProductDetailView(StaffPermissionRequiredMixin, DetailView):
    permission_required = "sales.view_product"
    model = Product
    template_name = "sales/product_detail.html"
    context_object_name = "product"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["history"] = product_history(self.object)
        return context


class ProductServiceFormView(ServiceFormView):
    cancel_url = reverse_lazy("sales:product_list")
    form_class = ProductForm


class ProductCreateView(ProductServiceFormView):
    permission_required = "sales.add_product"

    def save(self, form):
        return services.product_create(actor=self.request.user, **form.service_fields())

    @property
    def success_message(self):
        return _("Product %(name)s created.")

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("New product"), submit_label=_("Create"), **kwargs)


class ProductEditView(ProductServiceFormView):
    permission_required = "sales.change_product"

    @cached_property
    def product(self):
        # Looked up on first use, after the permission check: no 404-or-403 probing of ids.
        return get_object_or_404(Product, pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        # The form works on a copy: a refused save must not leave the page showing half-changed
        # data as if it were stored.
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = Product.objects.get(pk=self.product.pk)
        return kwargs

    def save(self, form):
        return services.product_update(
            actor=self.request.user, product=self.product, **form.service_fields()
        )

    @property
    def success_message(self):
        return _("Product %(name)s saved.")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("Edit %(name)s") % {"name": self.product.name},
            submit_label=_("Save"),
            product=self.product,
            cancel_url=self.product.get_absolute_url(),
            **kwargs,
        )


class ProductDeleteView(StaffPermissionRequiredMixin, DetailView):
    permission_required = "sales.delete_product"
    model = Product
    template_name = "sales/product_confirm_delete.html"
    context_object_name = "product"
    success_url = reverse_lazy("sales:product_list")

    def post(self, request, *args, **kwargs):
        product = self.get_object()
        name = product.name
        try:
            services.product_delete(actor=request.user, product=product)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(reverse("sales:product_detail", args=[product.pk]))
        messages.success(request, _("Product %(name)s deleted.") % {"name": name})
        return redirect(self.success_url)
