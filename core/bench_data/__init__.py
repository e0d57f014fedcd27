"""The benchmark data set: a shop at a million customers, written in minutes.

At scale 1: 1,000,000 customers over three years in 200 clusters and 2,000 villages;
10,000,000 sales (a tenth of them the credit book's); 100,000 of the customers on credit with
1,600,000 ledger entries over 18 months; every figure the services keep (visit figures, credit
balances, report figures) as they would have left it; and the till's own regulars, made through
the services (core.bench_data.till). `manage.py bench` measures everything on it; the per-area
commands (bench_reports, bench_credit_report) seed the parts they measure.

How it is fast (see core.bench_data.bulk): the big tables' secondary indexes and foreign keys
are dropped for the load and rebuilt after; the shop's rows are written by the database itself
(shop.py) while a second process generates the credit book in Python and COPYs it into staging
tables (credit.py); then the sales are numbered in time order, the book placed, every figure
computed in one pass over the sales, the indexes built, and VACUUM ANALYZE run once. The checks
that follow (check_credit_balances, a running-sum check of the ledger, rebuild_visit_figures
--check) must pass before anything is timed.
"""

import io
import json
import multiprocessing
import sys
import time
import traceback
from dataclasses import asdict, dataclass

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from core.bench_data import bulk, credit, shop, till
from credit.models import CreditEntry, CreditPayment
from customers.models import Cluster, Customer
from sales.models import CustomerSalesTotal, Payment, Sale, SaleLine

# The tables a load writes millions of rows into: built without their secondary indexes.
BULK_TABLES = [
    model._meta.db_table
    for model in (
        Customer,
        Customer.clusters.through,
        Sale,
        SaleLine,
        Payment,
        CreditEntry,
        CreditPayment,
        CustomerSalesTotal,
    )
]
# Marks a finished data set (a database comment), so a kept database is reused only when whole.
COMMENT_PREFIX = "bench data set: "


@dataclass(frozen=True)
class Sizes:
    customers: int = 1_000_000
    sales: int = 10_000_000  # the credit book's sales included
    credit_customers: int = 100_000
    ledger_entries: int = 1_600_000
    clusters: int = 200
    villages: int = 2_000
    till_customers: int = 300

    @classmethod
    def at_scale(cls, scale: float) -> "Sizes":
        """The sizes above times `scale` (clusters and villages stay: they are the shop's)."""
        full = cls()
        customers = max(100, round(full.customers * scale))
        credit_customers = max(10, round(full.credit_customers * scale))
        return cls(
            customers=customers,
            sales=max(customers, round(full.sales * scale)),
            credit_customers=min(credit_customers, customers),
            ledger_entries=max(credit_customers, round(full.ledger_entries * scale)),
        )

    def check(self) -> None:
        if self.customers < 10 or self.sales < 0 or self.credit_customers < 0:
            raise CommandError("The data set needs at least 10 customers.")
        if self.credit_customers > self.customers:
            raise CommandError("There cannot be more credit customers than customers.")
        if self.credit_customers and self.ledger_entries < self.credit_customers:
            raise CommandError("The credit book needs at least one ledger entry per customer.")


def write(sizes: Sizes, *, seed: int, log) -> dict:
    """Writes the data set into the (empty, migrated) database; returns what it holds."""
    sizes.check()
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def step(label: str, function, *args) -> None:
        step_started = time.perf_counter()
        log(f"  {label}...")
        function(*args)
        timings[label] = round(time.perf_counter() - step_started, 1)
        log(f"    {timings[label]:.0f} s")

    sql_seed = (seed % 1000) / 1000  # setseed() takes -1..1
    bulk.prepare_session()
    step("staff, clusters and products", shop.reference_data, sizes.clusters)
    structures = bulk.SecondaryStructures(BULK_TABLES)
    step("dropping the big tables' secondary indexes and foreign keys", structures.drop)
    credit.create_staging()
    book = _start_credit_book(sizes, seed, log)
    try:
        bulk.prepare_session()
        step(
            f"{sizes.customers:,} customers",
            shop.customers,
            sizes.customers,
            sizes.villages,
            sql_seed,
        )
        step("their clusters", shop.cluster_members, sizes.clusters, sql_seed)
        step(
            f"up to {sizes.sales:,} cash and M-Pesa sales (drafts)",
            shop.cash_sale_drafts,
            sizes.customers,
            sizes.sales,
            sql_seed,
        )
        step("waiting for the credit book", _finish, book)
    finally:
        # Failed or interrupted here: stop the book too, so its connection lets the throwaway
        # database be dropped.
        if book is not None and book.is_alive():
            book.terminate()
            book.join()
    label = "numbering every sale in time order, with the shop's sale lines"
    step(label, shop.number_sales, sizes.sales)
    step("placing the credit book", credit.place)
    step("visit figures, credit balances and report figures", shop.figures, credit.ACCOUNTS, log)
    step("building indexes and checking foreign keys", structures.restore, log)
    _reset_sequences()
    credit.drop_staging()
    bulk.execute(f"DROP TABLE IF EXISTS {shop.CASH_DRAFTS}")
    if sizes.till_customers:
        label = f"the till's {sizes.till_customers} regulars, through the services"
        step(label, till.seed_world, sizes.till_customers)
    step("VACUUM ANALYZE", _vacuum)
    seconds = round(time.perf_counter() - started, 1)
    facts = {"sizes": asdict(sizes), "seed": seed, "seed_seconds": seconds, "steps": timings}
    facts["checks"] = check(log)
    facts["contents"] = contents()
    _mark_finished(facts)
    return facts


def _start_credit_book(sizes: Sizes, seed: int, log):
    """The credit book is generated in a process of its own (forked, so it shares this one's
    settings), which writes to the staging tables while this process writes the shop."""
    if not sizes.credit_customers:
        return None
    connection.close()  # the child opens its own: a forked connection must not be shared
    context = multiprocessing.get_context("fork")
    process = context.Process(
        target=_write_credit_book,
        args=(
            credit.credit_customer_ids(sizes.customers, sizes.credit_customers),
            sizes.customers,
            sizes.ledger_entries,
            seed,
            log,
        ),
        name="bench-credit-book",
    )
    process.start()
    return process


def _write_credit_book(customer_ids, customer_count, entries, seed, log) -> None:
    try:
        bulk.prepare_session()
        credit.CreditBook(customer_ids, customer_count, entries, seed, log).write()
    except BaseException:
        traceback.print_exc(file=sys.stderr)
        connection.close()
        sys.exit(1)


def _finish(process) -> None:
    if process is None:
        return
    process.join()
    if process.exitcode != 0:
        raise CommandError(
            f"Generating the credit book failed (exit code {process.exitcode}); see above."
        )


def _reset_sequences() -> None:
    from django.core.management.color import no_style

    models = [Customer, Sale, SaleLine, Payment, CreditEntry, CreditPayment, CustomerSalesTotal]
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


def _vacuum() -> None:
    # Sets the visibility map (index-only scans) and the planner's statistics, once.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def check(log) -> dict:
    """The data set as the services would have left it, or the benchmark stops here: every
    credit balance is its ledger's sum, every balance_after a running sum, and every customer's
    visit figures match their sales."""
    started = time.perf_counter()
    out = io.StringIO()
    call_command("check_credit_balances", stdout=out)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(*) FROM (
                SELECT balance_after,
                       SUM(amount) OVER (PARTITION BY customer_id ORDER BY id) AS running
                FROM {bulk.quote(CreditEntry._meta.db_table)}
            ) ledger WHERE balance_after <> running
            """
        )
        broken = cursor.fetchone()[0]
    if broken:
        raise CommandError(f"{broken} ledger rows have a balance_after that is not a running sum.")
    call_command("rebuild_visit_figures", "--check", stdout=io.StringIO())
    seconds = round(time.perf_counter() - started, 1)
    log(f"  {out.getvalue().strip()} Running sums and visit figures agree ({seconds:.0f} s).")
    return {
        "check_credit_balances": "ok",
        "running_sums": "ok",
        "visit_figures": "ok",
        "seconds": seconds,
    }


def contents() -> dict:
    """What the data set holds (exact counts: this runs once, after seeding)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT (SELECT count(*) FROM {shop.CUSTOMERS}),
                   (SELECT count(*) FROM {shop.CUSTOMERS} WHERE credit_limit > 0),
                   (SELECT count(*) FROM {shop.CUSTOMERS} WHERE credit_balance > 0),
                   (SELECT count(*) FROM {shop.SALES}),
                   (SELECT count(*) FROM {shop.SALES} WHERE payment_method = 'credit'),
                   (SELECT count(*) FROM {shop.LINES}),
                   (SELECT count(*) FROM {shop.TOTALS}),
                   pg_database_size(current_database())
            """
        )
        (customers, on_credit, owing, sales, credit_sales, lines, totals, size) = cursor.fetchone()
        cursor.execute(f"SELECT kind, count(*) FROM {shop.ENTRIES} GROUP BY kind")
        kinds = dict(cursor.fetchall())
    return {
        "customers": customers,
        "clusters": Cluster.objects.count(),
        "customers_on_credit": on_credit,
        "customers_owing": owing,
        "sales": sales,
        "credit_sales": credit_sales,
        "sale_lines": lines,
        "customer_sales_totals": totals,
        "ledger_entries": sum(kinds.values()),
        "ledger_kinds": kinds,
        "database_mb": round(size / 2**20),
    }


def _mark_finished(facts: dict) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        name = cursor.fetchone()[0]
        # A utility statement takes no parameters: the text as a literal (standard strings).
        text = (COMMENT_PREFIX + json.dumps(facts)).replace("'", "''")
        cursor.execute(f"COMMENT ON DATABASE {bulk.quote(name)} IS '{text}'")


def finished_facts() -> dict | None:
    """What `seed` wrote into this database, or None if it never finished."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
            "WHERE datname = current_database()"
        )
        comment = cursor.fetchone()[0] or ""
    if not comment.startswith(COMMENT_PREFIX):
        return None
    return json.loads(comment[len(COMMENT_PREFIX) :])


def seeded_or_seed(sizes: Sizes, *, seed: int, reused: bool, log) -> dict:
    """The data set's facts: the kept database's when `reused` (it must be whole), else a new
    data set's."""
    if not reused:
        return write(sizes, seed=seed, log=log)
    facts = finished_facts()
    if facts is None:
        raise CommandError(
            "The kept database never finished seeding; run without --reuse-database to replace it."
        )
    if facts["sizes"] != asdict(sizes):
        log(
            f"The kept database holds {facts['sizes']}, not the sizes asked for; measuring what "
            "it holds."
        )
    return facts
