from django.db import migrations

from core.roles import MANAGER, role_grant_functions

# Managers bring the price list in from spreadsheets, as they do customers.
grant_product_import_permission, revoke_product_import_permission = role_grant_functions(
    {MANAGER: ["sales.add_productimport"]}
)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_roles"),
        ("sales", "0005_product_imports"),
    ]

    operations = [
        migrations.RunPython(grant_product_import_permission, revoke_product_import_permission)
    ]
