"""`manage.py bench_reports`: every report page at 1,000,000 customers and 10,000,000 sales on
PostgreSQL, in a throwaway database seeded by core.bench_data (without the credit book:
`bench_credit_report` measures that, and `manage.py bench` measures everything on one data set).

The pages and their target are defined here (`report_cases`, `measure`), and `manage.py bench`
measures them the same way.
"""

import json
from datetime import timedelta
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test import Client
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
from core.bench_data import shop
from customers.models import Cluster, Customer

TARGET_PAGE_MS = 300.0


class Command(BaseCommand):
    help = (
        "Benchmark every report page on PostgreSQL at 1,000,000 customers and 10,000,000 sales "
        "over three years, written by the database itself into a throwaway database "
        "(<NAME>_reports_bench_tmp, created and dropped by this command). As a logged-in "
        "manager through Django's test client, times the dashboard, activity by cluster and by "
        "customer, the VIP report, the customer map and a customer's profile, each --repeat "
        "times: median and p95 ms. Target: each page <= "
        f"{TARGET_PAGE_MS:g} ms."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=1_000_000, help="Customers (1000000).")
        parser.add_argument("--sales", type=int, default=10_000_000, help="Sales (10000000).")
        parser.add_argument(
            "--repeat", type=int, default=7, help="Timed requests per measurement (7)."
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (1).")
        parser.add_argument("--json", metavar="PATH", help="Also write the results here as JSON.")
        parser.add_argument(
            "--explain",
            action="store_true",
            help="After timing, EXPLAIN ANALYZE the slowest queries of each page (stderr).",
        )
        parser.add_argument(
            "--check-figures",
            action="store_true",
            help="Also prove the report figures with rebuild_report_figures --check (minutes).",
        )
        parser.add_argument(
            "--keep-database",
            action="store_true",
            help="Leave the throwaway database in place afterwards.",
        )
        parser.add_argument(
            "--reuse-database",
            action="store_true",
            help="Time the database an earlier --keep-database run left, without seeding again "
            "(seeds and keeps it when there is none).",
        )

    def handle(self, *args, **options):
        require_postgresql("bench_reports")
        if options["customers"] < 10 or options["sales"] < options["customers"]:
            raise CommandError("Give at least 10 customers and at least as many sales.")
        if options["repeat"] < 1:
            raise CommandError("--repeat must be at least 1.")
        sizes = bench_data.Sizes(
            customers=options["customers"],
            sales=options["sales"],
            credit_customers=0,
            ledger_entries=0,
            till_customers=0,
        )
        with throwaway_database(
            "reports_bench_tmp",
            keep=options["keep_database"],
            reuse=options["reuse_database"],
            log=self.log,
        ) as reused:
            facts = bench_data.seeded_or_seed(
                sizes, seed=options["seed"], reused=reused, log=self.log
            )
            if options["check_figures"]:
                self.log("rebuild_report_figures --check...")
                call_command("rebuild_report_figures", "--check", stdout=self.stderr)
            timer = PageTimer(manager_client(), repeat=options["repeat"], log=self.log)
            results = {
                **run_facts(),
                "data_set": facts,
                "repeat": options["repeat"],
                **measure(timer, self.log),
                "load_average_1_5_15_min": load_average(),
            }
            if options["explain"]:
                for label, url_name, params, url_args in report_cases():
                    timer.explain(label, url_name, params, args=url_args, write=self.stderr.write)
        report(results, self.stdout, self.style)
        if options["json"]:
            Path(options["json"]).write_text(json.dumps(results, indent=2) + "\n")
            self.log(f"Wrote {options['json']}.")

    def log(self, message: str) -> None:
        self.stderr.write(message)


def manager_client() -> Client:
    client = Client()
    client.force_login(User.objects.get(username=shop.MANAGER_USERNAME))
    return client


def report_cases() -> list[tuple[str, str, dict, tuple]]:
    """(label, URL name, query, URL arguments) of every report page measured."""
    today = timezone.localdate()
    cluster = Cluster.objects.order_by("pk").first()
    loyal = Customer.objects.order_by("-total_visits", "pk").first()
    this_year = {"period": f"{today:%Y}"}
    last_month = {"period": f"{today.replace(day=1) - timedelta(days=1):%Y-%m}"}
    return [
        ("dashboard", "reports:dashboard", {}, ()),
        ("activity by cluster, this month", "reports:activity_clusters", {}, ()),
        ("  this year", "reports:activity_clusters", this_year, ()),
        ("activity by customer, this month", "reports:activity_customers", {}, ()),
        ("  sorted by visits", "reports:activity_customers", {"sort": "visits"}, ()),
        (f"  cluster {cluster.name}", "reports:activity_customers", {"cluster": cluster.pk}, ()),
        ("  this year", "reports:activity_customers", this_year, ()),
        ("VIP, this year", "reports:vip", {}, ()),
        ("  page 10", "reports:vip", {"page": 10}, ()),
        ("  page 5,000", "reports:vip", {"page": 5000}, ()),
        ("  last month", "reports:vip", last_month, ()),
        ("customer map", "customers:customer_map", {}, ()),
        (f"  cluster {cluster.name}", "customers:customer_map", {"cluster": cluster.pk}, ()),
        (
            f"customer profile ({loyal.total_visits} visits)",
            "customers:customer_detail",
            {},
            (loyal.pk,),
        ),
    ]


def measure(timer: PageTimer, log) -> dict:
    """Every report page, each `timer.repeat` times: {"measurements": [...], "target": {...}}."""
    measurements = []
    for label, url_name, params, url_args in report_cases():
        log(f"{label.strip()}: {timer.repeat} requests...")
        measurements.append(timer.measure(label, url_name, params, args=url_args))
    worst = max(measurements, key=lambda row: row.get("p95_ms") or float("inf"))
    return {
        "measurements": measurements,
        "target": {
            "ms": TARGET_PAGE_MS,
            "of": "p95 of every page",
            "worst": worst["label"].strip(),
            "measured_p95_ms": worst.get("p95_ms"),
            "met": all(met(row, TARGET_PAGE_MS, "p95_ms") for row in measurements),
        },
    }


def report(results: dict, out, style) -> None:
    contents = results["data_set"]["contents"]
    out.write("")
    out.write(
        f"Reports: {contents['customers']:,} customers in {contents['clusters']} clusters, "
        f"{contents['sales']:,} sales, {contents['sale_lines']:,} sale lines; database "
        f"{contents['database_mb']:,} MB"
    )
    load = results["load_average_1_5_15_min"]
    out.write(
        f"{results['server'].split(' on ')[0]}; {results['cpu_count']} CPUs, load average "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min) after the timing"
    )
    out.write(
        f"Each page {results['repeat']} times after one untimed, as a logged-in manager "
        "(Django test client, body read to the end)."
    )
    header = f"{'page':<40}  {'median ms':>9}  {'p95 ms':>8}  {'queries':>7}  {'size KB':>8}"
    out.write(header)
    out.write("-" * len(header))
    for row in results["measurements"]:
        if row["median_ms"] is None:
            out.write(f"{row['label']:<40}  {row.get('error', 'failed')}")
            continue
        out.write(
            f"{row['label']:<40}  {row['median_ms']:>9.1f}  {row['p95_ms']:>8.1f}  "
            f"{row['queries']:>7}  {row['bytes'] / 1024:>8,.0f}"
        )
    target = results["target"]
    text = (
        f"target every report page <= {target['ms']:g} ms (p95): "
        f"{'met' if target['met'] else 'NOT met'} (slowest: {target['worst']}, "
        f"{ms_text(target['measured_p95_ms'])})"
    )
    out.write((style.SUCCESS if target["met"] else style.ERROR)(text))
