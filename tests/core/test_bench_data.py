"""The benchmark data set (core.bench_data) at a tiny size, on PostgreSQL: it must load into
the current schema and leave what the services would have left, so that `make bench` measures a
shop that could exist. Correctness only; `make bench` measures speed.

A transactional test: the load builds indexes, runs VACUUM and writes from a second process.
"""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from core import bench_data
from core.bench_data import till
from credit.models import CreditEntry
from customers.models import Customer
from sales.models import Sale

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the data set is written by PostgreSQL itself; run with DATABASE_URL=postgres://...",
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migrated_reference_data"),
]

SIZES = bench_data.Sizes(
    customers=200, sales=2_000, credit_customers=20, ledger_entries=320, till_customers=6
)


def _indexes_and_constraints() -> set[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.relname, i.relname, pg_get_indexdef(x.indexrelid)
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = ANY(%s)
            UNION ALL
            SELECT t.relname, c.conname, pg_get_constraintdef(c.oid)
            FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
            WHERE t.relname = ANY(%s)
            """,
            [bench_data.BULK_TABLES, bench_data.BULK_TABLES],
        )
        return set(cursor.fetchall())


def test_the_data_set_is_what_the_services_would_have_written():
    schema = _indexes_and_constraints()

    facts = bench_data.write(SIZES, seed=1, log=lambda message: None)

    contents = facts["contents"]
    assert contents["customers"] == SIZES.customers + SIZES.till_customers
    assert contents["sales"] == SIZES.sales  # the credit book's sales among them
    assert 0 < contents["credit_sales"] < SIZES.sales
    assert contents["ledger_entries"] == SIZES.ledger_entries
    assert facts["checks"]["visit_figures"] == "ok"
    # Every figure of sales.figures as the services keep it.
    call_command("rebuild_report_figures", "--check", stdout=io.StringIO())
    # Sale ids grow with sale time, the credit book's sales merged in.
    times = list(Sale.objects.order_by("pk").values_list("sold_at", flat=True))
    assert times == sorted(times)
    # The indexes, unique constraints and foreign keys dropped for the load are back, as the
    # migrations made them.
    assert _indexes_and_constraints() == schema
    assert CreditEntry.objects.filter(sale__payment_method="credit").exists()
    assert Customer.objects.filter(credit_balance__gt=0).exists()
    assert len(till.world()["customers"]) == SIZES.till_customers
    assert bench_data.finished_facts()["sizes"] == facts["sizes"]
