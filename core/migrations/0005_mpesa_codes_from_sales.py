"""Codes accepted before the shared M-Pesa register existed count as used."""

from django.db import migrations


def register_sale_codes(apps, schema_editor):
    MpesaCode = apps.get_model("core", "MpesaCode")
    Payment = apps.get_model("sales", "Payment")
    codes = Payment.objects.exclude(mpesa_code="").values_list("mpesa_code", flat=True)
    MpesaCode.objects.bulk_create(
        (MpesaCode(code=code, purpose="sale") for code in codes.iterator()),
        batch_size=2000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_mpesacode"),
        ("sales", "0003_till_role_permissions"),
    ]

    operations = [migrations.RunPython(register_sale_codes, migrations.RunPython.noop)]
