"""The invoice number sequence exists from the start, so the first two invoices issued at the
same moment queue on its row instead of racing to create it."""

from django.db import migrations


def create_invoice_sequence(apps, schema_editor):
    NumberSequence = apps.get_model("core", "NumberSequence")
    NumberSequence.objects.get_or_create(name="invoice")


class Migration(migrations.Migration):
    dependencies = [("core", "0002_numbersequence")]

    operations = [migrations.RunPython(create_invoice_sequence, migrations.RunPython.noop)]
