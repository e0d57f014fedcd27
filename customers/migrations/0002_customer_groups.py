from django.db import migrations

# The four groups both vendors' shops use; Walk-in is the default for a new customer.
GROUPS = [
    ("walk-in", "Walk-in", False),
    ("regular", "Regular", False),
    ("wholesale", "Wholesale", True),
    ("corporate", "Corporate", False),
]


def create_groups(apps, schema_editor):
    CustomerGroup = apps.get_model("customers", "CustomerGroup")
    for slug, name, wholesale in GROUPS:
        CustomerGroup.objects.get_or_create(
            slug=slug, defaults={"name": name, "uses_wholesale_prices": wholesale}
        )


def remove_groups(apps, schema_editor):
    CustomerGroup = apps.get_model("customers", "CustomerGroup")
    CustomerGroup.objects.filter(slug__in=[slug for slug, _, _ in GROUPS]).delete()


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [migrations.RunPython(create_groups, remove_groups)]
