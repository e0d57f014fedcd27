"""`manage.py bench_credit_report`: the credit report at 100,000 credit customers and 1,600,000
ledger rows, in a throwaway database seeded by core.bench_data with the credit book alone (every
customer on credit; `manage.py bench` measures it on the whole shop).

A benchmark, not a test: these machines are shared and noisy, so speed is measured here, with
medians and ratios side by side, and never asserted by a timed unit test. The requests and
their targets are defined here (`credit_cases`, `measure`), and `manage.py bench` measures them
the same way.
"""

import json
import math
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core import bench_data
from core.bench import (
    PageTimer,
    load_average,
    met,
    ms_text,
    require_postgresql,
    run_facts,
    throwaway_database,
)
from customers.models import Cluster
from reports.management.commands.bench_reports import manager_client

TARGET_FIRST_PAGE_MS = 200.0
TARGET_EXPORT_MS = 5000.0
FILTER_CLUSTER = "Maize growers"
PAST_DAYS = 90


class Command(BaseCommand):
    help = (
        "Benchmark the credit report on PostgreSQL at shop scale: 100,000 credit customers and "
        "1,600,000 ledger rows over 18 months (sales, payments on account, voids, adjustments), "
        "bulk-loaded into a throwaway database (<NAME>_credit_bench_tmp, created and "
        "dropped by this command; the database DATABASE_URL names is never written) and "
        "checked with check_credit_balances. Then, as a logged-in manager through Django's "
        "test client, times the report's first page (as of today, sorted by balance, filtered "
        "by a cluster, as of 90 days ago) and the whole CSV export, each --repeat times: median "
        f"and p95 ms and the ratio to the plain first page. Targets: first page <= "
        f"{TARGET_FIRST_PAGE_MS:g} ms, export <= {TARGET_EXPORT_MS / 1000:g} s."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers", type=int, default=100_000, help="Credit customers (100000)."
        )
        parser.add_argument(
            "--entries", type=int, default=1_600_000, help="Ledger rows in all (1600000)."
        )
        parser.add_argument(
            "--repeat", type=int, default=7, help="Timed requests per measurement (7)."
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed of the book (1).")
        parser.add_argument("--json", metavar="PATH", help="Also write the results here as JSON.")
        parser.add_argument(
            "--explain",
            action="store_true",
            help="After timing, EXPLAIN ANALYZE every query of each measured request (stderr).",
        )
        parser.add_argument(
            "--keep-database",
            action="store_true",
            help="Leave the throwaway database in place for a look afterwards (the next run "
            "replaces it).",
        )

    def handle(self, *args, **options):
        require_postgresql("bench_credit_report")
        if options["customers"] < 10 or options["repeat"] < 1:
            raise CommandError("--customers must be at least 10, --repeat at least 1.")
        if options["entries"] < options["customers"]:
            raise CommandError("--entries must be at least --customers (one sale each).")
        sizes = bench_data.Sizes(
            customers=options["customers"],
            sales=0,  # only the credit book's own sales
            credit_customers=options["customers"],
            ledger_entries=options["entries"],
            till_customers=0,
        )
        with throwaway_database("credit_bench_tmp", keep=options["keep_database"], log=self.log):
            facts = bench_data.write(sizes, seed=options["seed"], log=self.log)
            timer = PageTimer(manager_client(), repeat=options["repeat"], log=self.log)
            results = {
                **run_facts(),
                "data_set": facts,
                "repeat": options["repeat"],
                **measure(timer, self.log),
                "load_average_1_5_15_min": load_average(),
            }
            if options["explain"]:
                for label, url_name, params in credit_cases():
                    timer.explain(label, url_name, params, write=self.stderr.write)
        report(results, self.stdout, self.style)
        if options["json"]:
            Path(options["json"]).write_text(json.dumps(results, indent=2) + "\n")
            self.stderr.write(f"Wrote {options['json']}.")

    def log(self, message: str) -> None:
        self.stderr.write(message)


def credit_cases() -> list[tuple[str, str, dict]]:
    """(label, URL name, query) of every credit request measured; the first is the base of the
    ratios, the last the export."""
    cluster = Cluster.objects.get(name=FILTER_CLUSTER)
    past = timezone.localdate() - timedelta(days=PAST_DAYS)
    return [
        ("first page", "reports:credit_report", {}),
        ("sorted by balance, largest first", "reports:credit_report", {"sort": "-balance"}),
        (f"cluster {FILTER_CLUSTER}", "reports:credit_report", {"cluster": cluster.pk}),
        (f"as of {PAST_DAYS} days ago", "reports:credit_report", {"as_of": past.isoformat()}),
        # No target of its own: every owing customer's ageing, one pass over the ledger.
        ("ageing summary page", "reports:credit_ageing", {}),
        ("whole export (CSV)", "reports:credit_report_export", {}),
    ]


def measure(timer: PageTimer, log) -> dict:
    """Every credit request, each `timer.repeat` times: {"measurements", "targets"}."""
    measurements = []
    for label, url_name, params in credit_cases():
        log(f"{label}: {timer.repeat} requests...")
        measurements.append(timer.measure(label, url_name, params))
    base = measurements[0]
    for row in measurements:
        if base["median_ms"] and row["median_ms"] is not None:
            row["median_ratio"] = round(row["median_ms"] / base["median_ms"], 2)
    pages = [row for row in measurements if row["url"] == "reports:credit_report"]
    export = measurements[-1]
    worst_page = max(pages, key=lambda row: row["p95_ms"] or math.inf)
    return {
        "measurements": measurements,
        "targets": {
            "first_page": {
                "ms": TARGET_FIRST_PAGE_MS,
                "of": "p95 of every variant",
                "worst": worst_page["label"],
                "measured_p95_ms": worst_page.get("p95_ms"),
                "met": all(met(row, TARGET_FIRST_PAGE_MS, "p95_ms") for row in pages),
            },
            "export": {
                "ms": TARGET_EXPORT_MS,
                "of": "p95",
                "measured_p95_ms": export.get("p95_ms"),
                "met": met(export, TARGET_EXPORT_MS, "p95_ms"),
            },
        },
    }


def report(results: dict, out, style) -> None:
    contents = results["data_set"]["contents"]
    kinds = contents["ledger_kinds"]
    out.write("")
    out.write(
        f"Credit report: {contents['customers_on_credit']:,} customers on credit "
        f"({contents['customers_owing']:,} owing today), {contents['ledger_entries']:,} ledger "
        f"rows ({kinds.get('sale', 0):,} credit sales, {kinds.get('payment', 0):,} payments, "
        f"{kinds.get('void', 0):,} voids, {kinds.get('adjustment', 0):,} adjustments); "
        f"database {contents['database_mb']:,} MB"
    )
    load = results["load_average_1_5_15_min"]
    out.write(
        f"{results['server'].split(' on ')[0]}; {results['cpu_count']} CPUs, load average "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min) after the timing"
    )
    out.write(
        f"Each request {results['repeat']} times after one untimed, as a logged-in manager "
        "(Django test client, body read to the end)."
    )
    header = (
        f"{'request':<34}  {'median ms':>9}  {'p95 ms':>8}  {'x first':>7}  {'queries':>7}  "
        f"{'size':>12}"
    )
    out.write(header)
    out.write("-" * len(header))
    for row in results["measurements"]:
        if row["median_ms"] is None:
            out.write(f"{row['label']:<34}  {row.get('error', 'failed')}")
            continue
        size = f"{row['rows']:,} rows" if "rows" in row else f"{row['bytes'] / 1024:,.0f} KB"
        out.write(
            f"{row['label']:<34}  {row['median_ms']:>9.1f}  {row['p95_ms']:>8.1f}  "
            f"{row.get('median_ratio', 0):>7.2f}  {row['queries']:>7}  {size:>12}"
        )
    page, export = results["targets"]["first_page"], results["targets"]["export"]
    for reached, text in (
        (
            page["met"],
            f"target first page <= {page['ms']:g} ms (p95, every variant): "
            f"{'met' if page['met'] else 'NOT met'} (slowest: {page['worst']}, "
            f"{ms_text(page['measured_p95_ms'])})",
        ),
        (
            export["met"],
            f"target whole export <= {export['ms'] / 1000:g} s (p95): "
            f"{'met' if export['met'] else 'NOT met'} ({ms_text(export['measured_p95_ms'])})",
        ),
    ):
        out.write((style.SUCCESS if reached else style.ERROR)(text))
