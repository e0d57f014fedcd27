from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin
from simple_history.admin import SimpleHistoryAdmin

from customers import services
from customers.models import Cluster, Customer, CustomerGroup
from customers.resources import CustomerTableResource


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]

    # Through the service: the reports' figures move with the cluster's members.
    def delete_model(self, request, obj):
        services.cluster_delete(cluster=obj)

    def delete_queryset(self, request, queryset):
        for cluster in queryset:
            services.cluster_delete(cluster=cluster)


@admin.register(CustomerGroup)
class CustomerGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "uses_wholesale_prices"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Customer)
class CustomerAdmin(ExportMixin, SimpleHistoryAdmin):
    resource_classes = [CustomerTableResource]
    list_display = ["name", "phone", "village", "group", "credit_balance", "last_visit_at"]
    list_filter = ["group", "send_sms", "clusters"]
    list_select_related = ["group"]
    search_fields = ["name", "phone", "village", "tax_pin"]
    filter_horizontal = ["clusters"]
    readonly_fields = [
        "credit_balance",
        "first_visit_at",
        "last_visit_at",
        "total_visits",
        "total_spent",
        "last_cashier",
        "created_at",
        "updated_at",
    ]
    # Bulk delete would skip the rule that a customer who owes credit is never deleted.
    actions = None

    def delete_model(self, request, obj):
        try:
            services.customer_delete(actor=request.user, customer=obj)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), level=messages.ERROR)

    def save_related(self, request, form, formsets, change):
        # Clusters chosen here bypass customer_update: the reports' figures follow them.
        before = services.customer_cluster_ids(form.instance) if change else []
        super().save_related(request, form, formsets, change)
        services.customer_clusters_changed(customer=form.instance, before=before)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.credit_balance > 0:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("Has location"), boolean=True)
    def has_location(self, obj):
        return obj.has_location


class StaffUserAdmin(UserAdmin):
    """Django's own user admin, which also keeps the customers' stored last-cashier names in
    step when a member of staff's name changes (Customer.last_cashier_name)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"username", "first_name", "last_name"} & set(form.changed_data):
            services.last_cashier_name_refresh(cashier=obj)


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), StaffUserAdmin)
