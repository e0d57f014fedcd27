"""What each role may do with products, the till, sales and invoices (PRODUCT.md, Who uses it)."""

from django.db import migrations

from core.roles import ADMIN, CASHIER, MANAGER, role_grant_functions

CASHIER_PERMISSIONS = [
    "sales.view_product",  # search products at the till
    "sales.view_invoice",
    "sales.add_invoice",  # a customer at the counter asks for a tax invoice
]
MANAGER_PERMISSIONS = CASHIER_PERMISSIONS + [
    "sales.add_product",
    "sales.change_product",
    "sales.delete_product",
    "sales.view_historicalproduct",
    "sales.void_sale",
    "sales.export_sale",
]
ROLE_PERMISSIONS = {
    CASHIER: CASHIER_PERMISSIONS,
    MANAGER: MANAGER_PERMISSIONS,
    ADMIN: MANAGER_PERMISSIONS,
}


grant_till_permissions, revoke_till_permissions = role_grant_functions(ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_roles"),
        ("core", "0003_invoice_sequence"),
        ("sales", "0002_products_lines_payments_invoices"),
    ]

    operations = [migrations.RunPython(grant_till_permissions, revoke_till_permissions)]
