from django.contrib import admin

from sales.models import Sale


@admin.register(Sale)
class SaleAdmin(admin.ModelAdmin):
    list_display = ["pk", "sold_at", "customer", "cashier", "payment_method", "total"]
    list_filter = ["payment_method"]
    list_select_related = ["customer", "cashier"]
    date_hierarchy = "sold_at"
    raw_id_fields = ["customer"]

    # Sales change visit figures and balances; they are recorded only through the till's service.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
