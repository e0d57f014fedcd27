"""The three roles of PRODUCT.md and what each may do in the customer back office."""

from django.db import migrations

from core.roles import ADMIN, CASHIER, MANAGER, ensure_permissions_exist, grant, revoke

CASHIER_PERMISSIONS = [
    "customers.view_customer",
    "customers.add_customer",  # add a customer on the fly at the till
    "customers.view_cluster",
    "customers.view_customergroup",
    "sales.view_sale",
    "sales.add_sale",
    "credit.view_creditentry",
    "credit.add_creditentry",  # take credit payments
]
MANAGER_PERMISSIONS = CASHIER_PERMISSIONS + [
    "customers.change_customer",
    "customers.delete_customer",
    "customers.export_customer",
    "customers.view_historicalcustomer",
    "sales.change_sale",
]
ADMIN_PERMISSIONS = MANAGER_PERMISSIONS + [
    "customers.add_cluster",
    "customers.change_cluster",
    "customers.delete_cluster",
    "customers.add_customergroup",
    "customers.change_customergroup",
    "customers.delete_customergroup",
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
    "auth.view_group",
    "auth.change_group",
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
]
ROLE_PERMISSIONS = {
    CASHIER: CASHIER_PERMISSIONS,
    MANAGER: MANAGER_PERMISSIONS,
    ADMIN: ADMIN_PERMISSIONS,
}


def create_roles(apps, schema_editor):
    ensure_permissions_exist(apps)
    for role, permissions in ROLE_PERMISSIONS.items():
        grant(apps, role, permissions)


def remove_roles(apps, schema_editor):
    for role, permissions in ROLE_PERMISSIONS.items():
        revoke(apps, role, permissions)
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("axes", "0001_initial"),
        ("customers", "0002_customer_groups"),
        ("sales", "0001_initial"),
        ("credit", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
