from django.contrib import admin

from core.models import AuditEvent


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Records that only a service writes (sales, invoices, the credit ledger): admin shows them
    to look up, and never adds, changes or deletes one behind the service's back."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyModelAdmin):
    list_display = ("occurred_at", "actor_name", "action", "target", "amount", "details")
    list_filter = ("action",)
    date_hierarchy = "occurred_at"
    search_fields = ("target", "actor_name")
