from django.db import migrations

from core.roles import ADMIN, role_grant_functions

# The Admin role holds everything a manager may do; the import permissions were granted to
# managers only (customers 0006, sales 0006), so an admin was refused the import pages
# (found by tests/core/test_authorisation.py).
grant_admin_imports, revoke_admin_imports = role_grant_functions(
    {ADMIN: ["customers.add_customerimport", "sales.add_productimport"]}
)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_mpesa_codes_from_sales"),
        ("customers", "0006_import_permission"),
        ("sales", "0006_product_import_permission"),
    ]

    operations = [migrations.RunPython(grant_admin_imports, revoke_admin_imports)]
