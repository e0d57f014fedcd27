from django.db import migrations

from core.roles import MANAGER, role_grant_functions

# Managers bring customers in from spreadsheets (PRODUCT.md: imports are a manager's).
grant_import_permission, revoke_import_permission = role_grant_functions(
    {MANAGER: ["customers.add_customerimport"]}
)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_customer_imports"),
    ]

    operations = [migrations.RunPython(grant_import_permission, revoke_import_permission)]
