from django.contrib import admin

from core.admin import ReadOnlyModelAdmin
from credit.models import CreditEntry


@admin.register(CreditEntry)
class CreditEntryAdmin(ReadOnlyModelAdmin):
    """The ledger is append-only and written with the balance by credit.services."""

    list_display = ["created_at", "customer", "kind", "amount", "balance_after", "created_by"]
    list_filter = ["kind"]
    list_select_related = ["customer", "created_by"]
    raw_id_fields = ["customer", "sale"]
