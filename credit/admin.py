from django.contrib import admin

from credit.models import CreditEntry


@admin.register(CreditEntry)
class CreditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "customer", "kind", "amount", "balance_after", "created_by"]
    list_filter = ["kind"]
    list_select_related = ["customer", "created_by"]
    raw_id_fields = ["customer", "sale"]

    # The ledger is append-only and written with the balance by credit.services.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
