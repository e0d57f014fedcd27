"""A trigram index for the customer search (customers.selectors.customer_search), on PostgreSQL.

Why here and not in Customer.Meta.indexes: a GinIndex with the gin_trgm_ops operator class comes
from django.contrib.postgres, and Django has no way to declare an index for one database only;
the schema editor would send `USING gin` to SQLite too, which the project also runs on (a
newcomer's first `make run`, the default test run). So the index is created by SQL run on
PostgreSQL alone, and is not part of Django's model state: makemigrations never sees it and
stays clean on both databases.

The index is on exactly the expression Django compiles the search to (icontains and
istartswith on CustomerSearchText: `UPPER((name || ' ' || ... || phone)::text)`), or the planner
never uses it; tests/customers/test_search.py checks that it does. Changing CustomerSearchText
means a new migration replacing this index.

At a million customers this migration took 12 s (2 shared CPUs; a 100 MB index), during which
writes to the customer table wait (CREATE INDEX, not CONCURRENTLY, so a failed build leaves no
invalid index behind). ANALYZE afterwards gathers the statistics on the expression that the planner needs to
tell a fragment matching three customers from one matching 150,000; without them it guesses,
and autovacuum would not analyze an unchanged table for a long time.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

SEARCH_TEXT = (
    "UPPER((name || ' ' || village || ' ' || email || ' ' || tax_pin || ' ' || phone)::text)"
)


def create_search_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS customer_search_trgm_idx ON customers_customer "
        f"USING gin ({SEARCH_TEXT} gin_trgm_ops)"
    )
    schema_editor.execute("ANALYZE customers_customer")


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS customer_search_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("customers", "0008_import_in_the_background")]

    operations = [
        # Does nothing on databases other than PostgreSQL (Django's CreateExtension checks).
        TrigramExtension(),
        migrations.RunPython(create_search_index, drop_search_index),
    ]
