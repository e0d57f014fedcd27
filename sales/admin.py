from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ReadOnlyModelAdmin
from sales import services
from sales.forms import ProductForm
from sales.models import Invoice, OfflineSaleRefusal, Payment, Product, Sale, SaleLine

# --- sales --------------------------------------------------------------------------------


class SaleReadOnlyInline:
    """A sale's lines and payment, shown with the sale and never edited: the till's service
    records them with the sale."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        # Whoever may see the sale sees what it is made of.
        return request.user.has_perm("sales.view_sale")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SaleLineInline(SaleReadOnlyInline, admin.TabularInline):
    model = SaleLine
    fields = ["product_name", "product_code", "quantity", "unit_price", "line_total", "product"]


class PaymentInline(SaleReadOnlyInline, admin.StackedInline):
    model = Payment
    fields = ["method", "amount", "cash_tendered", "change_due", "mpesa_code", "received_at"]


@admin.register(Sale)
class SaleAdmin(ReadOnlyModelAdmin):
    """Sales change visit figures and balances: only the till's service records them."""

    list_display = ["pk", "sold_at", "customer", "cashier", "payment_method", "total", "voided_at"]
    inlines = [SaleLineInline, PaymentInline]
    list_filter = ["payment_method"]
    list_select_related = ["customer", "cashier"]
    date_hierarchy = "sold_at"
    raw_id_fields = ["customer"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyModelAdmin):
    """Issued invoices, to look up; numbers are taken only by sales.services.invoice_issue."""

    list_display = ["number", "issued_at", "customer_name", "customer_tax_pin", "sale", "issued_by"]
    search_fields = ["=number", "customer_name", "customer_tax_pin"]
    list_select_related = ["sale", "issued_by"]
    date_hierarchy = "issued_at"


@admin.register(OfflineSaleRefusal)
class OfflineSaleRefusalAdmin(ReadOnlyModelAdmin):
    """Refused offline sales, to look up what the till sent; managers mark them dealt with in
    the back office (sales:offline_refusal_list), through the service that audits it."""

    list_display = [
        "sold_at",
        "received_at",
        "cashier",
        "customer",
        "payment_method",
        "total",
        "code",
        "dealt_with_at",
    ]
    list_filter = ["code", "payment_method"]
    list_select_related = ["cashier", "customer"]
    date_hierarchy = "received_at"
    search_fields = ["=till_token", "=mpesa_code"]
    raw_id_fields = ["customer"]


# --- products -----------------------------------------------------------------------------


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    # The back-office form: codes upper-cased, a duplicate code named, no negative prices.
    form = ProductForm
    list_display = ["name", "code", "retail_price", "wholesale_price", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    readonly_fields = ["created_at", "updated_at"]
    # Bulk delete would skip the service (and its message about products on past sales).
    actions = None

    def save_model(self, request, obj, form, change):
        # Through the services like every other write, with the admin user as the actor.
        fields = {name: form.cleaned_data[name] for name in services.PRODUCT_FIELDS}
        if change:
            saved = services.product_update(actor=request.user, product=obj, **fields)
        else:
            saved = services.product_create(actor=request.user, **fields)
        # The admin's messages, log entry and redirect use `obj`.
        for name in ("pk", *services.PRODUCT_FIELDS, "created_at", "updated_at"):
            setattr(obj, name, getattr(saved, name))
        obj._state.adding = False
        obj._state.db = saved._state.db

    def delete_model(self, request, obj):
        try:
            services.product_delete(actor=request.user, product=obj)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), level=messages.ERROR)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.sale_lines.exists():
            return False
        return super().has_delete_permission(request, obj)
