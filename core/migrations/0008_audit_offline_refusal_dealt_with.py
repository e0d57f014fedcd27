from django.db import migrations, models


class Migration(migrations.Migration):
    """The audit log's record of a manager marking a refused offline sale dealt with."""

    dependencies = [
        ("core", "0007_audit_event"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("customer_added", "Customer added"),
                    ("customer_changed", "Customer changed"),
                    ("customer_deleted", "Customer deleted"),
                    ("credit_sale", "Credit sale"),
                    ("credit_payment", "Payment on account"),
                    ("credit_adjustment", "Credit adjustment"),
                    ("sale_voided", "Sale voided"),
                    ("export", "Export"),
                    ("import_uploaded", "Import uploaded"),
                    ("import_confirmed", "Import confirmed"),
                    ("import_finished", "Import finished"),
                    ("offline_refusal_dealt", "Refused offline sale dealt with"),
                ],
                max_length=30,
                verbose_name="what",
            ),
        ),
    ]
