"""Who may take payments on account, adjust balances, set limits and read the credit report."""

from django.db import migrations

from core.roles import ADMIN, CASHIER, MANAGER, role_grant_functions

CASHIER_PERMISSIONS = [
    "credit.view_creditpayment",  # print a repayment receipt
    "credit.add_creditpayment",  # take a payment on account
]
MANAGER_PERMISSIONS = CASHIER_PERMISSIONS + [
    "credit.adjust_credit",
    "credit.view_credit_report",
    "credit.export_credit_report",
    "customers.set_credit_limit",
]
ROLE_PERMISSIONS = {
    CASHIER: CASHIER_PERMISSIONS,
    MANAGER: MANAGER_PERMISSIONS,
    ADMIN: MANAGER_PERMISSIONS,
}


grant_credit_permissions, revoke_credit_permissions = role_grant_functions(ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_roles"),
        ("credit", "0003_payments_on_account"),
        ("customers", "0003_set_credit_limit_permission"),
    ]

    operations = [migrations.RunPython(grant_credit_permissions, revoke_credit_permissions)]
