"""Every column of the customer table sorts from an index (issue 7: any sort's first page in
<= 60 ms at a million customers).

- last_cashier_name: the last cashier's name stored on the customer, filled here from the
  users; sorting by the name through the users table read and sorted every customer (1.7 s).
- (credit_limit, id), (send_sms, id), (last_cashier_name, id): those sorts read and sorted
  every customer too (1.4 s). send_sms's own single-column index gives way to the pair.
- On PostgreSQL, "newest first, never bought last" (DESC NULLS LAST) for first visit, last
  visit and last cashier: an ascending index read backwards gives NULLS FIRST, so PostgreSQL
  sorted every customer (1.2 s). SQLite cannot declare NULLS LAST in an index, and Django has no
  index for one database only, so these are SQL run on PostgreSQL alone, outside the model
  state (as 0009's search index); `makemigrations` never sees them.

At a million customers this migration took 3 minutes here (filling the names, then six index
builds), during which writes to the customer table wait: run it outside opening hours.
"""

from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

from core.staff import staff_name_expression

NEWEST_FIRST_INDEXES = {
    "customer_first_visit_desc_idx": "first_visit_at",
    "customer_last_visit_desc_idx": "last_visit_at",
    "customer_last_cashier_desc_idx": "last_cashier_name",
}


def fill_last_cashier_names(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    name = User.objects.filter(pk=OuterRef("last_cashier_id")).values_list(staff_name_expression())[
        :1
    ]
    Customer.objects.filter(last_cashier__isnull=False).update(last_cashier_name=Subquery(name))


def create_newest_first_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index, column in NEWEST_FIRST_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {index} ON customers_customer "
            f"({column} DESC NULLS LAST, id DESC)"
        )


def drop_newest_first_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in NEWEST_FIRST_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0009_search_trigram_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="last_cashier_name",
            field=models.CharField(
                blank=True,
                editable=False,
                max_length=301,
                null=True,
                verbose_name="last cashier name",
            ),
        ),
        migrations.RunPython(fill_last_cashier_names, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="customer",
            name="send_sms",
            field=models.BooleanField(default=False, verbose_name="send SMS"),
        ),
        migrations.AlterField(
            model_name="historicalcustomer",
            name="send_sms",
            field=models.BooleanField(default=False, verbose_name="send SMS"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["credit_limit", "id"], name="customer_credit_limit_idx"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["send_sms", "id"], name="customer_send_sms_idx"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                fields=["last_cashier_name", "id"], name="customer_last_cashier_idx"
            ),
        ),
        migrations.RunPython(create_newest_first_indexes, drop_newest_first_indexes),
    ]
