"""A backup restores to a working shop: README's pg_dump / pg_restore commands, run on a small
demo shop (PostgreSQL only; CI's PostgreSQL run). The restored copy has every row of every table,
the same money, credit balances that equal their ledger, and it takes the next sale (its id
sequences came back too)."""

import shutil
import subprocess
from decimal import Decimal
from io import StringIO

import psycopg
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection

from core.bench import database_url
from customers.models import Customer
from sales.models import Sale
from tests.factories import sell

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="pg_dump and pg_restore back up PostgreSQL"
    ),
    pytest.mark.skipif(
        not (shutil.which("pg_dump") and shutil.which("pg_restore")),
        reason="pg_dump and pg_restore are not installed",
    ),
    pytest.mark.django_db(transaction=True),
]

# What README's "Backups" section says to run.
BACKUP = ["pg_dump", "--format=custom", "--no-owner"]
RESTORE = ["pg_restore", "--no-owner", "--exit-on-error"]


def shop_figures() -> dict:
    """Rows in every table of the database the connection points at, and the money in it."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        figures = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from the catalogue
            figures[table] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT (SELECT sum(total) FROM sales_sale), "
            "(SELECT sum(credit_balance) FROM customers_customer), "
            "(SELECT sum(amount) FROM credit_creditentry)"
        )
        figures["money"] = cursor.fetchone()
    return figures


@pytest.fixture
def restored_name():
    name = f"{connection.settings_dict['NAME']}_restored"
    maintenance = database_url("postgres")
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_restores_to_a_working_shop(migrated_reference_data, restored_name, tmp_path):
    call_command("load_demo_data", "--customers", "40", "--sales", "300", stdout=StringIO())
    before = shop_figures()
    assert before["sales_sale"] >= 300 and before["credit_creditentry"] > 0

    backup = tmp_path / "backoffice.dump"
    original = connection.settings_dict["NAME"]
    subprocess.run([*BACKUP, f"--file={backup}", database_url(original)], check=True)
    subprocess.run([*RESTORE, f"--dbname={database_url(restored_name)}", backup], check=True)

    connection.close()
    connection.settings_dict["NAME"] = restored_name
    try:
        assert shop_figures() == before
        call_command("check_credit_balances", stdout=StringIO())
        customer = Customer.objects.filter(credit_limit__gte=Decimal("1000")).first()
        newest = Sale.objects.order_by("-pk").first().pk
        cashier = User.objects.get(username="cashier")  # the demo shop's, restored
        sale = sell(cashier=cashier, customer=customer, total="250", payment_method="credit")
        assert sale.pk > newest
        call_command("check_credit_balances", stdout=StringIO())
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
