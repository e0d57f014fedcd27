"""What `manage.py bench_exports` measures: the customer CSV exports at a million customers.

`seed_customers` writes the customers with INSERT ... SELECT (PostgreSQL); `measure_exports`
downloads each export through a logged-in Django test client, reading the streamed body chunk by
chunk as a browser would, and reports for each: rows a second, time to the first byte and to
the first customer row, and how far the process's resident memory rose above where it stood
before the request. Beside them, as the reference, django-import-export's own
`Resource.export()` (the whole file built in memory) and the instance path the exports used
before (core.export.resource_rows), on the same rows.

Importable, so that a single `make bench` can call it: `measure_exports(client) -> dict`.
"""

import gc
import os
import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager
from functools import partial

from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.urls import reverse

from core.export import csv_rows, resource_rows
from core.management.commands.load_demo_data import CHRISTIAN_NAMES, COMMUNITIES, VILLAGES
from core.roles import CASHIER, MANAGER
from customers.models import Cluster, Customer, CustomerGroup
from customers.resources import CustomerSmsUploadResource, CustomerTableResource
from customers.selectors import customer_list_queryset, customers_for_sms_upload

TARGET_ROWS_PER_SECOND = 100_000
TARGET_FIRST_ROW_SECONDS = 1.0
TARGET_MEMORY_GROWTH_MB = 100
CLUSTER_COUNT = 200
CASHIER_COUNT = 16
HISTORY_SECONDS = 3 * 365 * 86400

# (label, URL name, query string): the whole table as first shown, the table narrowed and
# sorted as a manager might before exporting, and the SMS upload file.
EXPORTS = (
    ("customer table, as first shown", "customers:customer_export_csv", {}),
    ("  by Total Spent, highest first", "customers:customer_export_csv", {"sort": "-total_spent"}),
    ("SMS upload", "customers:customer_export_sms", {}),
)


# --- seeding ----------------------------------------------------------------------------------


def seed_customers(count: int, *, seed: float = 0.42, log: Callable[[str], None] = print) -> None:
    """A shop of `count` customers: a manager (bench-manager), cashiers (some with a full name,
    some with a first name only, some with only a username), 200 clusters, and customers with
    every column filled the way real rows are: most with visits, 0-3 clusters, 40% located,
    some on credit, a few names that a spreadsheet would run as a formula."""
    steps = (
        ("staff and clusters", lambda: _staff_and_clusters()),
        (f"{count:,} customers", lambda: _customers(count, seed)),
        ("their clusters", lambda: _customer_clusters(seed)),
        ("VACUUM ANALYZE", _vacuum),
    )
    for label, step in steps:
        started = time.perf_counter()
        log(f"  {label}...")
        step()
        log(f"    {time.perf_counter() - started:.0f} s")


def _staff_and_clusters() -> None:
    manager = User.objects.create_user("bench-manager", password=None, first_name="Otieno")
    manager.groups.add(Group.objects.get(name=MANAGER))
    cashier_group = Group.objects.get(name=CASHIER)
    for number in range(CASHIER_COUNT):
        names = {"first_name": "Cashier", "last_name": str(number)}
        if number % 8 == 6:
            names = {"first_name": "Baraka"}
        elif number % 8 == 7:
            names = {}
        cashier = User.objects.create_user(f"bench-cashier-{number}", password=None, **names)
        cashier.groups.add(cashier_group)
    Cluster.objects.bulk_create(
        [Cluster(name="=Formula traders"), Cluster(name="Beans, peas and grams")]
        + [Cluster(name=f"Farmers' group {number:03d}") for number in range(3, CLUSTER_COUNT + 1)]
    )


def _execute(sql: str, params: dict, seed: float) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute(sql, params)


def _customers(count: int, seed: float) -> None:
    given = sorted(set(CHRISTIAN_NAMES) | {n for names, _ in COMMUNITIES.values() for n in names})
    surnames = sorted({name for _given, names in COMMUNITIES.values() for name in names})
    cashiers = list(
        User.objects.filter(username__startswith="bench-cashier-").values_list("pk", flat=True)
    )
    groups = list(CustomerGroup.objects.order_by("pk").values_list("pk", flat=True))
    # One random() per column in the inner SELECT: evaluated once per row, whatever the plan.
    _execute(
        f"""
        INSERT INTO {Customer._meta.db_table} (
            name, phone, email, address, village, tax_pin, group_id, send_sms,
            latitude, longitude, notes, credit_limit, credit_balance,
            first_visit_at, last_visit_at, total_visits, total_spent, last_cashier_id,
            opening_visits, opening_spent, created_at, updated_at
        )
        SELECT
            CASE WHEN r.formula < 0.005
                 THEN (ARRAY['=', '+', '-', '@'])[1 + floor(r.formula * 800)::int] ELSE ''
            END || g.given[1 + floor(r.given * cardinality(g.given))::int] || ' '
                || g.surnames[1 + floor(r.surname * cardinality(g.surnames))::int],
            '+2547' || lpad((10000000 + r.k)::text, 8, '0'),
            '', '',
            g.villages[1 + (r.k::bigint * 7919) %% cardinality(g.villages)],
            CASE WHEN r.pin < 0.7 THEN 'A' || lpad(r.k::text, 9, '0') || 'K' ELSE '' END,
            g.groups[1 + floor(r.pin * cardinality(g.groups))::int],
            r.sms < 0.6,
            CASE WHEN r.located < 0.4 THEN round((-1.6 + r.located * 5)::numeric, 6) END,
            CASE WHEN r.located < 0.4 THEN round((37.0 + r.located * 3)::numeric, 6) END,
            '',
            CASE WHEN r.credit < 0.2 THEN round((1000 + r.credit * 100000)::numeric, 0) ELSE 0 END,
            CASE WHEN r.credit < 0.2
                 THEN round(((1000 + r.credit * 100000) * r.owed * 1.2)::numeric, 2) ELSE 0 END,
            CASE WHEN r.visited < 0.85 THEN now() - make_interval(secs => r.first * %(span)s) END,
            CASE WHEN r.visited < 0.85
                 THEN now() - make_interval(secs => r.first * r.last * %(span)s) END,
            CASE WHEN r.visited < 0.85 THEN 1 + floor(r.visits * 60)::int ELSE 0 END,
            CASE WHEN r.visited < 0.85
                 THEN round(((1 + floor(r.visits * 60)) * (80 + 3000 * r.last))::numeric, 2)
                 ELSE 0 END,
            CASE WHEN r.visited < 0.85
                 THEN g.cashiers[1 + floor(r.cashier * cardinality(g.cashiers))::int] END,
            0, 0,
            now() - make_interval(secs => %(span)s * (1 - r.k::float / %(n)s)),
            now()
        FROM (
            SELECT k, random() AS formula, random() AS given, random() AS surname,
                   random() AS pin, random() AS sms, random() AS located, random() AS credit,
                   random() AS owed, random() AS visited, random() AS first, random() AS last,
                   random() AS visits, random() AS cashier
            FROM generate_series(1, %(n)s) AS k
        ) AS r,
        (SELECT %(given)s::text[] AS given, %(surnames)s::text[] AS surnames,
                %(villages)s::text[] AS villages, %(groups)s::bigint[] AS groups,
                %(cashiers)s::bigint[] AS cashiers) AS g
        ORDER BY r.k
        """,
        {
            "n": count,
            "span": HISTORY_SECONDS,
            "given": given,
            "surnames": surnames,
            "villages": list(VILLAGES) + [f"Village {n:04d}" for n in range(1, 2000)],
            "groups": groups,
            "cashiers": cashiers,
        },
        seed,
    )


def _customer_clusters(seed: float) -> None:
    """None for a tenth of the customers, else one to three; the first clusters the biggest."""
    through = Customer.clusters.through._meta.db_table
    first = Cluster.objects.order_by("pk").values_list("pk", flat=True).first()
    # `c.id * 0` ties the count to each customer: without it the planner may draw it once.
    _execute(
        f"""
        INSERT INTO {through} (customer_id, cluster_id)
        SELECT DISTINCT c.id, %(first)s + floor(%(clusters)s * random() ^ 2)::int
        FROM {Customer._meta.db_table} AS c,
             generate_series(1, CASE WHEN random() + c.id * 0 < 0.1 THEN 0
                                     WHEN random() < 0.6 THEN 1
                                     WHEN random() < 0.7 THEN 2 ELSE 3 END) AS n
        """,
        {"first": first, "clusters": CLUSTER_COUNT},
        seed,
    )


def _vacuum() -> None:
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- measuring --------------------------------------------------------------------------------


def _status_kb(key: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {key} in /proc/self/status")


@contextmanager
def _memory_growth():
    """Yields a dict that gets `mb`: the peak resident memory during the block less the
    resident memory before it (Linux: VmHWM, reset through /proc/self/clear_refs)."""
    gc.collect()
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")  # VmHWM := VmRSS
    before = _status_kb("VmRSS")
    result: dict = {}
    yield result
    result["mb"] = round((_status_kb("VmHWM") - before) / 1024, 1)


def _download(client, url: str, params: dict) -> dict:
    """One export through the test client, its body read chunk by chunk."""
    with _memory_growth() as memory:
        started = time.perf_counter()
        response = client.get(url, params)
        first_byte = first_row = None
        lines = size = 0
        for piece in response.streaming_content:
            now = time.perf_counter()
            if first_byte is None:
                first_byte = now - started
            lines += piece.count(b"\n")
            size += len(piece)
            if first_row is None and lines > 1:  # past the header
                first_row = now - started
        seconds = time.perf_counter() - started
        response.close()
    if response.status_code != 200:
        raise RuntimeError(f"{url}: HTTP {response.status_code}")
    return {
        "seconds": seconds,
        "first_byte_s": first_byte,
        "first_row_s": first_row,
        "rows": lines - 1,
        "bytes": size,
        "memory_growth_mb": memory["mb"],
    }


def _summary(label: str, runs: list[dict], **extra) -> dict:
    seconds = sorted(run["seconds"] for run in runs)
    median = statistics.median(seconds)
    rows = runs[0]["rows"]
    summary = {
        "label": label,
        **extra,
        "rows": rows,
        "runs": len(runs),
        "seconds_median": round(median, 2),
        "seconds_slowest": round(seconds[-1], 2),
        "rows_per_second_median": round(rows / median) if median else None,
        "memory_growth_mb_max": max(run["memory_growth_mb"] for run in runs),
    }
    if "bytes" in runs[0]:
        summary["mb"] = round(runs[0]["bytes"] / 2**20, 1)
    for key in ("first_byte_s", "first_row_s"):
        values = [run[key] for run in runs if run.get(key) is not None]
        if values:
            summary[key.replace("_s", "_ms") + "_median"] = round(statistics.median(values) * 1000)
            summary[key.replace("_s", "_ms") + "_slowest"] = round(max(values) * 1000)
    return summary


def _timed_in_memory(build: Callable[[], int]) -> dict:
    """`build()` makes a whole file and returns its rows: seconds and memory growth."""
    with _memory_growth() as memory:
        started = time.perf_counter()
        rows = build()
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": rows, "memory_growth_mb": memory["mb"]}


def _stock_export(resource, queryset) -> int:
    """django-import-export's own export, as its admin action does it: a tablib Dataset of every
    row, then its CSV text."""
    dataset = resource.export(queryset)
    dataset.csv  # noqa: B018 - the CSV text is part of an export
    return len(dataset)


def _instance_path(resource, queryset) -> int:
    """The exports before the values path: each model instance through the resource's
    dehydrate methods (core.export.resource_rows), streamed; the pieces are only counted. In a
    transaction, its best case: outside one PostgreSQL keeps every row before the first."""
    lines = 0
    with transaction.atomic():
        for piece in csv_rows(resource.get_export_headers(), resource_rows(resource, queryset)):
            lines += piece.count("\n")
    return lines - 1


def measure_exports(
    client,
    *,
    repeat: int = 3,
    reference_rows: int | None = 100_000,
    log: Callable[[str], None] = print,
) -> dict:
    """Each export of EXPORTS `repeat` times through `client` (logged in with
    customers.export_customer): rows a second, time to first byte and first row, peak memory
    growth, and queries. Then, on the first `reference_rows` rows of the same queries (all of
    them when None: django-import-export's paginated export of a prefetching queryset slows
    down with the square of the rows), the stock export and the instance path, with each
    export's speed as a multiple of theirs."""
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    exports = []
    for label, url_name, params in EXPORTS:
        log(f"{label.strip()}: {repeat} downloads...")
        runs = []
        queries.clear()
        with connection.execute_wrapper(count):
            for _ in range(repeat):
                runs.append(_download(client, reverse(url_name), params))
        exports.append(
            _summary(label, runs, url=url_name, params=params, queries=round(len(queries) / repeat))
        )

    references = []
    cases = (
        # The table's order as first shown, named (export() would otherwise reorder by pk).
        ("customer table", CustomerTableResource, customer_list_queryset().order_by("name", "pk")),
        ("SMS upload", CustomerSmsUploadResource, customers_for_sms_upload()),
    )
    for label, resource_class, queryset in cases:
        rows = queryset if reference_rows is None else queryset[:reference_rows]
        for how, build in (
            ("django-import-export export()", _stock_export),
            ("instance path (before)", _instance_path),
        ):
            log(f"reference: {label}, {how}...")
            run = _timed_in_memory(partial(build, resource_class(), rows))
            references.append(_summary(f"{label}: {how}", [run]))

    for export in exports:
        same_file = "SMS" if export["url"].endswith("_sms") else "customer table"
        for reference in references:
            if reference["label"].startswith(same_file) and reference["rows_per_second_median"]:
                key = "x_stock" if "export()" in reference["label"] else "x_before"
                export[key] = round(
                    export["rows_per_second_median"] / reference["rows_per_second_median"], 1
                )
        export["targets_met"] = {
            "rows_per_second": export["rows_per_second_median"] >= TARGET_ROWS_PER_SECOND,
            "first_row": export.get("first_row_ms_slowest", 0) <= TARGET_FIRST_ROW_SECONDS * 1000,
            "memory": export["memory_growth_mb_max"] <= TARGET_MEMORY_GROWTH_MB,
        }
    return {
        "repeat": repeat,
        "reference_rows": reference_rows,
        "cpu_count": os.cpu_count(),
        "load_average_1_5_15_min": [round(value, 2) for value in os.getloadavg()],
        "targets": {
            "rows_per_second": TARGET_ROWS_PER_SECOND,
            "first_row_ms": TARGET_FIRST_ROW_SECONDS * 1000,
            "memory_growth_mb": TARGET_MEMORY_GROWTH_MB,
        },
        "exports": exports,
        "references": references,
    }
