"""`manage.py bench` (`make bench`): one data set on PostgreSQL, everything measured on it.

Seeds core.bench_data at `--scale` (1 = 1,000,000 customers, 10,000,000 sales, 100,000
customers on credit with 1,600,000 ledger entries) into a throwaway database, then measures,
each as median and p95 over repeated runs (pages after one untimed request; exports without,
as each run reads the whole table):

- the customer list: the first page under each sort and each filter, searches by phone and by
  name, a deep page; through Django's test client (with the number of queries) and over HTTP
  from the WSGI application served in a thread;
- beside it, the reference way: Django admin's changelist of customers with its default
  paginator, first page and a page as deep, as a ratio;
- the CSV export of the whole table and the SMS Upload export: time to first byte and to the
  first row, rows a second, peak memory above idle; beside them the reference way, stock
  django-import-export `Resource.export()` on the same rows, as a ratio;
- the credit report pages and export (bench_credit_report's), the other reports
  (bench_reports'), and last, because it writes, the till's sale commit at 1, 4 and 16 cashiers
  (bench_till's).

Writes every figure to --json (bench/results.json) and the readable tables to --table
(bench/results.md), prints the tables, and says for each target whether it is met. A benchmark,
never a test: nothing here fails on a slow figure.
"""

import json
import os
import time
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.test import Client
from django.urls import reverse

from core import bench_data
from core.bench import (
    HttpTimer,
    PageTimer,
    http_server,
    load_average,
    measure_export,
    require_postgresql,
    response_body,
    run_facts,
    throwaway_database,
)
from core.bench_data import till
from core.pagination import AFTER, encode_cursor, sort_keys, stable_order
from customers.filters import LAST_SALE_CHOICES
from customers.models import Cluster, Customer, CustomerGroup
from customers.resources import CustomerSmsUploadResource, CustomerTableResource
from customers.selectors import customer_list_queryset, customers_for_sms_upload
from customers.tables import CustomerTable
from reports.management.commands import bench_credit_report, bench_reports
from sales.management.commands.bench_till import TillLoad

LIST_URL = "customers:customer_list"
ADMIN_URL = "admin:customers_customer_changelist"
LIST_ROWS_PER_PAGE = 25  # core.views.FilteredTableView.default_per_page
ADMIN_ROWS_PER_PAGE = 100  # ModelAdmin.list_per_page
ADMIN_USERNAME = "bench-admin"

# The parts of a run, in the order they run (the till last: it writes), and the keys of
# results.json each fills.
SECTIONS = {
    "list": ("customer_list", "admin"),
    "exports": ("exports",),
    "credit": ("credit_report",),
    "reports": ("reports",),
    "till": ("till",),
}
TARGET_LIST_FIRST_PAGE_MS = 60.0
TARGET_SEARCH_MS = 100.0
TARGET_DEEP_PAGE_MS = 100.0
TARGET_EXPORT_FIRST_ROW_MS = 1000.0
TARGET_EXPORT_ROWS_PER_S = 100_000
TARGET_EXPORT_PEAK_MB = 100.0


def deep_page_params(customers: int) -> dict:
    """The list's deep page: the page after the row halfway through the table (row 500,000 at
    a million customers), asked for as its Next link asks (a keyset cursor, core.pagination).
    The row is found once, untimed, with OFFSET."""
    ordered = stable_order(customer_list_queryset())
    middle = ordered[max(0, customers // 2 - 1)]
    return {AFTER: encode_cursor(sort_keys(ordered), middle)}


def admin_deep_page_params(customers: int) -> dict:
    """The admin changelist's page as deep into the table (its pages hold 100 rows)."""
    return {"p": max(2, customers // 2 // ADMIN_ROWS_PER_PAGE)}


class Command(BaseCommand):
    help = (
        "Build the benchmark data set on PostgreSQL (at --scale 1: 1,000,000 customers, "
        "10,000,000 sales, 100,000 customers on credit with 1,600,000 ledger entries) in a "
        "throwaway database (<NAME>_bench_all_tmp, dropped after unless --keep-database), then "
        "time the customer list (test client and HTTP), Django admin's changelist, the CSV and "
        "SMS exports against stock django-import-export, the credit report, the other reports "
        "and the till, as medians and p95; write --json and --table and say which targets are "
        "met."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Size of the data set: 1 = 1,000,000 customers (the default); 0.002 runs in "
            "about a minute.",
        )
        parser.add_argument(
            "--repeat", type=int, default=7, help="Timed requests per page, after one untimed (7)."
        )
        parser.add_argument(
            "--export-repeat",
            type=int,
            default=3,
            help="Runs of each of our exports (3; no untimed run first: each reads the whole "
            "table).",
        )
        parser.add_argument(
            "--reference-repeat",
            type=int,
            default=1,
            help="Timed runs of each stock Resource.export() (1: at a million rows one takes "
            "minutes and a gigabyte).",
        )
        parser.add_argument(
            "--reference-rows",
            type=int,
            default=50_000,
            help="Rows of each stock Resource.export() (50000; 0: the whole table, which for "
            "the customer table takes hours at a million rows).",
        )
        parser.add_argument(
            "--till-sales",
            type=int,
            default=400,
            help="Timed sales at each level of cashiers (400).",
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=os.cpu_count() or 1,
            help="Worker processes the cashiers are spread over (the CPU count).",
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed of the data (1).")
        parser.add_argument(
            "--json", default="bench/results.json", help="Where to write every figure."
        )
        parser.add_argument(
            "--table", default="bench/results.md", help="Where to write the readable tables."
        )
        parser.add_argument(
            "--only",
            default=",".join(SECTIONS),
            help="Measure only these parts, comma-separated, of: "
            + ", ".join(SECTIONS)
            + " (all); the other parts' figures are kept from the --json file of an earlier "
            "run, and the tables and targets written again.",
        )
        parser.add_argument(
            "--keep-database",
            action="store_true",
            help="Leave the seeded database in place, for --reuse-database.",
        )
        parser.add_argument(
            "--reuse-database",
            action="store_true",
            help="Measure the database an earlier --keep-database run left, without seeding "
            "(seeds and keeps one when there is none).",
        )

    def handle(self, *args, **options):
        require_postgresql("bench")
        if options["scale"] <= 0:
            raise CommandError("--scale must be above 0.")
        for name in ("repeat", "export_repeat", "reference_repeat", "processes"):
            if options[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1.")
        if options["reference_rows"] < 0:
            raise CommandError("--reference-rows cannot be negative.")
        unknown = set(options["only"].split(",")) - set(SECTIONS)
        if unknown:
            raise CommandError(f"--only: unknown part(s) {', '.join(sorted(unknown))}.")
        if options["till_sales"] < 16:
            raise CommandError("--till-sales must be at least 16 (one for each cashier).")
        # Read before seeding: a missing earlier run fails now, not after twenty minutes.
        earlier = self._earlier_run(options)
        started = time.perf_counter()
        sizes = bench_data.Sizes.at_scale(options["scale"])
        with throwaway_database(
            "bench_all_tmp",
            keep=options["keep_database"],
            reuse=options["reuse_database"],
            log=self.log,
        ) as reused:
            facts = bench_data.seeded_or_seed(
                sizes, seed=options["seed"], reused=reused, log=self.log
            )
            results = self._measure(options, facts)
        results["seconds"] = round(time.perf_counter() - started, 1)
        self._keep_unmeasured_parts(results, earlier)
        results["targets"] = targets(results)
        text = "\n".join(tables(results))
        self.stdout.write(text)
        for path, content in (
            (options["json"], json.dumps(results, indent=2) + "\n"),
            (options["table"], text + "\n"),
        ):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(content)
            self.log(f"Wrote {path}.")

    @staticmethod
    def _earlier_run(options) -> dict | None:
        """With --only: the earlier run in --json, which must hold every part not measured now;
        None when every part is measured."""
        measured = set(options["only"].split(","))
        skipped = [key for part, keys in SECTIONS.items() if part not in measured for key in keys]
        if not skipped:
            return None
        try:
            earlier = json.loads(Path(options["json"]).read_text())
        except (OSError, ValueError) as error:
            raise CommandError(
                f"--only needs an earlier whole run's {options['json']} for the other parts."
            ) from error
        missing = [key for key in skipped if key not in earlier]
        if missing:
            raise CommandError(f"{options['json']} has no {', '.join(missing)}: run them first.")
        return earlier

    @staticmethod
    def _keep_unmeasured_parts(results: dict, earlier: dict | None) -> None:
        """With --only: the parts not measured now, as the earlier run left them."""
        skipped = [key for keys in SECTIONS.values() for key in keys if key not in results]
        if not skipped:
            return
        for key in skipped:
            results[key] = earlier[key]
        results["kept_from_earlier_run"] = {
            "measured_at": earlier.get("measured_at"),
            "parts": skipped,
        }

    def log(self, message: str) -> None:
        self.stderr.write(message)

    def _measure(self, options, facts: dict) -> dict:
        customers = facts["contents"]["customers"]
        manager = bench_reports.manager_client()
        timer = PageTimer(manager, repeat=options["repeat"], log=self.log)
        results = {
            **run_facts(),
            "scale": options["scale"],
            "repeat": options["repeat"],
            "data_set": facts,
        }
        only = options["only"].split(",")
        if "list" in only:
            self.log("The customer list, through the test client and over HTTP...")
            with http_server() as address:
                http = HttpTimer(address, manager, repeat=options["repeat"])
                results["customer_list"] = self._customer_list(timer, http, customers)
                results["admin"] = self._admin(options, customers, results["customer_list"])
        if "exports" in only:
            self.log("Exports...")
            results["exports"] = self._exports(options, manager)
        if "credit" in only:
            self.log("The credit report...")
            results["credit_report"] = bench_credit_report.measure(timer, self.log)
        if "reports" in only:
            self.log("The other reports...")
            results["reports"] = bench_reports.measure(timer, self.log)
        if "till" in only:
            self.log("The till...")
            results["till"] = TillLoad(
                till.world(),
                sales_per_level=options["till_sales"],
                warmup=3,
                seed=options["seed"],
                processes=options["processes"],
                log=self.log,
            ).run()
        results["load_average_1_5_15_min"] = load_average()
        return results

    # --- the customer list and the admin's ----------------------------------------------------

    def _customer_list(self, timer: PageTimer, http: HttpTimer, customers: int) -> list[dict]:
        rows = []
        for kind, label, params in customer_list_cases(customers):
            self.log(f"  {label.strip()}...")
            row = timer.measure(label, LIST_URL, params)
            row["kind"] = kind
            over_http = http.measure(label, LIST_URL, params)
            row["http"] = {
                key: value
                for key, value in over_http.items()
                if key not in ("label", "url", "params")
            }
            rows.append(row)
        return rows

    def _admin(self, options, customers: int, list_rows: list[dict]) -> dict:
        """Django admin's changelist (its default paginator counts the whole table on every
        page) beside our list, as a superuser through the test client."""
        admin = User.objects.filter(username=ADMIN_USERNAME).first()
        if admin is None:
            admin = User.objects.create_superuser(ADMIN_USERNAME, password=None)
        client = Client()
        client.force_login(admin)
        timer = PageTimer(client, repeat=options["repeat"], log=self.log)
        ours = {row["kind"]: row for row in reversed(list_rows)}  # the first of each kind
        rows = []
        for label, params, our_row in (
            ("first page", {}, ours["first page"]),
            ("deep page", admin_deep_page_params(customers), ours["deep page"]),
        ):
            self.log(f"  admin changelist, {label}...")
            row = timer.measure(f"admin changelist, {label}", ADMIN_URL, params)
            row["ours"] = {key: our_row.get(key) for key in ("label", "median_ms", "p95_ms")}
            if row["median_ms"] and our_row.get("median_ms"):
                row["ours_over_admin_median"] = round(our_row["median_ms"] / row["median_ms"], 2)
            rows.append(row)
        return {"rows_per_page": ADMIN_ROWS_PER_PAGE, "measurements": rows}

    # --- exports ------------------------------------------------------------------------------

    def _exports(self, options, manager: Client) -> list[dict]:
        """Ours through the test client; then stock Resource.export() of the same rows in the
        same order, with the file it makes (`.csv`): nothing can be sent before it is whole.

        The stock export of the customer table reads a prefetching queryset a page of 100 at a
        time with OFFSET, so its time grows with the square of the rows (hours at a million):
        it exports the first --reference-rows of the same queryset, and the ratio is of the
        time a row takes."""
        rows = []
        cases = (
            (
                "CSV export, whole table",
                "customers:customer_export_csv",
                CustomerTableResource,
                lambda: customer_list_queryset().order_by("name", "pk"),
            ),
            (
                "SMS Upload export",
                "customers:customer_export_sms",
                CustomerSmsUploadResource,
                customers_for_sms_upload,
            ),
        )
        for label, url_name, _resource_class, _queryset in cases:
            self.log(f"  {label}: {options['export_repeat']} runs...")
            ours = measure_export(
                label,
                response_body(manager, reverse(url_name)),
                repeat=options["export_repeat"],
            )
            ours["url"] = url_name
            rows.append(ours)
        # After ours: the reference's memory, once freed, could hide our exports' growth.
        limit = options["reference_rows"] or None
        for (label, _url, resource_class, queryset), ours in zip(cases, list(rows), strict=True):
            name = f"stock {resource_class.__name__}().export()"
            if limit and ours["rows"] > limit:
                name += f", first {limit:,} rows"
            self.log(f"  {label}, {name}...")

            def produce(resource_class=resource_class, queryset=queryset):
                dataset = resource_class().export(queryset=queryset()[:limit])
                yield dataset.csv.encode()

            reference = measure_export(
                f"{label}: {name}", produce, repeat=options["reference_repeat"]
            )
            reference["reference_for"] = label
            if reference["median_ms"] and reference["rows"] and ours["rows"]:
                ours["ours_over_reference_per_row"] = round(
                    (ours["median_ms"] / ours["rows"])
                    / (reference["median_ms"] / reference["rows"]),
                    3,
                )
            if ours["rows"] != reference["rows"] and not limit:
                reference["warning"] = (
                    f"{reference['rows']:,} rows against our {ours['rows']:,}: not the same rows"
                )
            rows.append(reference)
        return rows


def customer_list_cases(customers: int) -> list[tuple[str, str, dict]]:
    """(kind, label, query) of every customer list request: "first page" (each sort, each
    filter), "page size", "search", "deep page"."""
    cases = [
        ("first page", "first page (by name)", {}),
        # Not a target of its own: the number of queries must be the same as at 25 rows.
        ("page size", "  100 rows a page", {"per_page": 100}),
    ]
    table = CustomerTable(Customer.objects.none())
    for column in table.columns.iterorderable():
        for prefix, direction in (("", "ascending"), ("-", "descending")):
            cases.append(
                (
                    "first page",
                    f"  sorted by {column.name}, {direction}",
                    {"sort": prefix + column.name},
                )
            )
    clusters = list(Cluster.objects.order_by("pk")[:1]) + list(Cluster.objects.order_by("-pk")[:1])
    for cluster in clusters:
        size = cluster.customers.count()
        cases.append(
            ("first page", f"  cluster {cluster.name} ({size:,})", {"cluster": cluster.pk})
        )
    for group in CustomerGroup.objects.order_by("pk"):
        cases.append(("first page", f"  group {group.name}", {"group": group.pk}))
    cases += [
        ("first page", "  Send SMS only", {"send_sms": "yes"}),
        ("first page", "  has a location", {"location": "yes"}),
        ("first page", "  no location", {"location": "no"}),
    ]
    for value, _label in LAST_SALE_CHOICES:
        cases.append(("first page", f"  last sale within {value} days", {"last_sale": value}))
    # Someone from the middle of the table (not one of the till's regulars): a phone and a name
    # that exist.
    someone = (
        Customer.objects.filter(pk__gte=customers * 3 // 7)
        .exclude(name__startswith="Bench customer ")
        .order_by("pk")
        .first()
    )
    digits = someone.phone.as_e164[-9:]  # 7xx xxx xxx
    surname = someone.name.split()[-1]
    cases += [
        ("search", f"search phone fragment {digits[-6:]}", {"q": digits[-6:]}),
        (
            "search",
            f"search phone as typed 0{digits[:3]} {digits[3:6]} {digits[6:]}",
            {"q": f"0{digits[:3]} {digits[3:6]} {digits[6:]}"},
        ),
        ("search", f"search 3 letters of a name {surname[:3].lower()}", {"q": surname[:3].lower()}),
        ("search", f"search a whole name {someone.name}", {"q": someone.name}),
        ("search", "search 3 letters no name has (xqz)", {"q": "xqz"}),
        ("deep page", "deep page (halfway)", deep_page_params(customers)),
    ]
    return cases


# --- targets and tables ------------------------------------------------------------------------


def _worst(rows: list[dict], key: str = "p95_ms") -> dict | None:
    measured = [row for row in rows if row.get(key) is not None]
    if len(measured) < len(rows):
        return next(row for row in rows if row.get(key) is None)
    return max(measured, key=lambda row: row[key]) if measured else None


def _target(name: str, limit: str, row: dict | None, value, met: bool, **extra) -> dict:
    return {
        "target": name,
        "limit": limit,
        "worst": None if row is None else row["label"].strip(),
        "measured": value,
        "met": met,
        **extra,
    }


def targets(results: dict) -> list[dict]:
    """Every target, met or not, with the worst figure that decides it (p95 throughout)."""
    found = []
    rows = results["customer_list"]
    for kind, name, limit in (
        ("first page", "customer list, first page, any sort or filter", TARGET_LIST_FIRST_PAGE_MS),
        ("search", "customer list, search by phone fragment or 3+ letters", TARGET_SEARCH_MS),
        ("deep page", "customer list, deep page", TARGET_DEEP_PAGE_MS),
    ):
        of_kind = [row for row in rows if row["kind"] == kind]
        worst = _worst(of_kind)
        value = None if worst is None else worst.get("p95_ms")
        queries = sorted({row.get("queries") for row in of_kind if row.get("queries")})
        extra = {"queries": queries}
        met = value is not None and value <= limit
        if kind == "first page":
            # Constant: the same whatever the page size (25 or 100 rows).
            larger = next(row for row in rows if row["kind"] == "page size")
            extra["queries_constant"] = of_kind[0].get("queries") == larger.get("queries")
            met = met and extra["queries_constant"]
        limit_text = f"p95 <= {limit:g} ms (test client)"
        found.append(_target(name, limit_text, worst, value, met, **extra))
    for export in (row for row in results["exports"] if "reference_for" not in row):
        name = export["label"]
        found += [
            _target(
                f"{name}: time to first row",
                f"p95 <= {TARGET_EXPORT_FIRST_ROW_MS:g} ms",
                export,
                export["first_row_p95_ms"],
                export["first_row_p95_ms"] <= TARGET_EXPORT_FIRST_ROW_MS,
                first_byte_p95_ms=export["first_byte_p95_ms"],
            ),
            _target(
                f"{name}: rows a second",
                f">= {TARGET_EXPORT_ROWS_PER_S:,}",
                export,
                export["rows_per_s"],
                (export["rows_per_s"] or 0) >= TARGET_EXPORT_ROWS_PER_S,
            ),
            _target(
                f"{name}: peak memory above idle",
                f"<= {TARGET_EXPORT_PEAK_MB:g} MB",
                export,
                export["peak_memory_mb"],
                export["peak_memory_mb"] <= TARGET_EXPORT_PEAK_MB,
            ),
        ]
    till_target = results["till"]["target"]
    found.append(
        {
            "target": f"till sale commit at {till_target['concurrency']} cashiers",
            "limit": f"p95 <= {till_target['p95_ms']:g} ms",
            "worst": f"{till_target['concurrency']} cashiers",
            "measured": till_target["measured_p95_ms"],
            "met": till_target["met"],
        }
    )
    credit_targets = results["credit_report"]["targets"]
    for key, name in (("first_page", "credit report, first page"), ("export", "credit export")):
        target = credit_targets[key]
        found.append(
            {
                "target": name,
                "limit": f"p95 <= {target['ms']:g} ms",
                "worst": target.get("worst", "whole export"),
                "measured": target["measured_p95_ms"],
                "met": target["met"],
            }
        )
    reports_target = results["reports"]["target"]
    found.append(
        {
            "target": "other reports, every page",
            "limit": f"p95 <= {reports_target['ms']:g} ms",
            "worst": reports_target["worst"],
            "measured": reports_target["measured_p95_ms"],
            "met": reports_target["met"],
        }
    )
    return found


def _target_name(target: dict) -> str:
    if "queries_constant" not in target:
        return target["target"]
    counts = ", ".join(str(count) for count in target["queries"])
    constant = "constant" if target["queries_constant"] else "NOT constant"
    return f"{target['target']} ({counts} queries, {constant})"


def _figure(value) -> str:
    if isinstance(value, float):
        return _ms(value)
    return "-" if value is None else f"{value:,}"


def _ms(value) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _table(header: list[str], rows: list[list], align: str) -> list[str]:
    """A Markdown table (readable as text too); `align` is l or r per column."""
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join(":---" if a == "l" else "---:" for a in align) + "|")
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def tables(results: dict) -> list[str]:
    facts = results["data_set"]
    contents = facts["contents"]
    kinds = contents["ledger_kinds"]
    load = results["load_average_1_5_15_min"]
    out = [
        "# Benchmark results",
        "",
        f"{results['measured_at']}; {results['server'].split(' on ')[0]}; "
        f"{results['cpu_count']} CPUs; load average {load[0]:.2f} / {load[1]:.2f} / "
        f"{load[2]:.2f} after the run; whole run {results['seconds']:,.0f} s.",
        "",
        f"Data set (scale {results['scale']:g}): {contents['customers']:,} customers in "
        f"{contents['clusters']} clusters; {contents['sales']:,} sales "
        f"({contents['credit_sales']:,} on credit), {contents['sale_lines']:,} sale lines; "
        f"{contents['customers_on_credit']:,} customers on credit "
        f"({contents['customers_owing']:,} owing), {contents['ledger_entries']:,} ledger "
        f"entries ({kinds.get('payment', 0):,} payments, {kinds.get('void', 0):,} voids, "
        f"{kinds.get('adjustment', 0):,} adjustments); {contents['database_mb']:,} MB. "
        f"Seeded in {facts['seed_seconds']:,.0f} s, checked in "
        f"{facts['checks']['seconds']:,.0f} s.",
        "",
        f"Pages: {results['repeat']} timed requests after one untimed, body read to the end; "
        "ms. `client`: Django's test client (server time, with the queries it ran); `HTTP`: the "
        "WSGI application served in a thread, a new connection per request.",
        "",
        "## Customer list",
        "",
    ]
    out += _table(
        ["request", "client median", "client p95", "queries", "HTTP median", "HTTP p95"],
        [
            [
                row["label"].replace("  ", "— ", 1)
                if row["label"].startswith("  ")
                else row["label"],
                _ms(row["median_ms"])
                if row["median_ms"] is not None
                else row.get("error", "failed"),
                _ms(row.get("p95_ms")),
                row.get("queries", "-"),
                _ms(row["http"].get("median_ms")),
                _ms(row["http"].get("p95_ms")),
            ]
            for row in results["customer_list"]
        ],
        "lrrrrr",
    )
    out += ["", "## Django admin's changelist (default paginator) beside our list", ""]
    out += _table(
        ["request", "admin median", "admin p95", "queries", "ours median", "ours ÷ admin"],
        [
            [
                row["label"],
                _ms(row["median_ms"]) if row["median_ms"] is not None else row.get("error"),
                _ms(row.get("p95_ms")),
                row.get("queries", "-"),
                _ms(row["ours"]["median_ms"]),
                row.get("ours_over_admin_median", "-"),
            ]
            for row in results["admin"]["measurements"]
        ],
        "lrrrrr",
    )
    out += [
        "",
        "## Exports",
        "",
        "Ours through the test client, streamed; stock `Resource.export()` builds the whole "
        "dataset (then `.csv`) before a byte can go, on the same queryset (at most "
        "--reference-rows of it: the customer table's pages by OFFSET, so its time grows with "
        "the square of the rows). The ratio is of the time a row takes. Peak memory: growth of "
        f"this process's resident size over all runs ({results['exports'][0]['memory_method']}).",
        "",
    ]
    out += _table(
        [
            "export",
            "runs",
            "rows",
            "median ms",
            "p95 ms",
            "first byte p95",
            "first row p95",
            "rows/s",
            "peak MB",
            "ours ÷ stock (a row)",
        ],
        [
            [
                row["label"],
                row["runs"],
                f"{row['rows']:,}",
                _ms(row["median_ms"]),
                _ms(row["p95_ms"]),
                _ms(row["first_byte_p95_ms"]),
                _ms(row["first_row_p95_ms"]),
                f"{row['rows_per_s']:,}" if row["rows_per_s"] else "-",
                row["peak_memory_mb"],
                row.get("ours_over_reference_per_row", ""),
            ]
            for row in results["exports"]
        ],
        "lrrrrrrrrr",
    )
    till_results = results["till"]
    out += [
        "",
        "## Till: sale commit",
        "",
        f"{till_results['sales_per_level']} sales a level; cashiers are threads spread over "
        f"{till_results['processes']} worker processes; one `sale_complete` = one transaction.",
        "",
    ]
    out += _table(
        ["cashiers", "median ms", "p95 ms", "p99 ms", "sales/s", "median ×1", "p95 ×1"],
        [
            [
                row["concurrency"],
                row["median_ms"],
                row["p95_ms"],
                row["p99_ms"],
                row["sales_per_s"],
                row["median_ratio"],
                row["p95_ratio"],
            ]
            for row in till_results["levels"]
        ],
        "rrrrrrr",
    )
    for title, section in (
        ("Credit report", results["credit_report"]),
        ("Other reports", results["reports"]),
    ):
        out += ["", f"## {title}", ""]
        out += _table(
            ["request", "median ms", "p95 ms", "queries", "size"],
            [
                [
                    row["label"].replace("  ", "— ", 1)
                    if row["label"].startswith("  ")
                    else row["label"],
                    _ms(row["median_ms"]) if row["median_ms"] is not None else row.get("error"),
                    _ms(row.get("p95_ms")),
                    row.get("queries", "-"),
                    f"{row['rows']:,} rows"
                    if "rows" in row
                    else f"{row.get('bytes', 0) / 1024:,.0f} KB",
                ]
                for row in section["measurements"]
            ],
            "lrrrl",
        )
    kept = results.get("kept_from_earlier_run")
    if kept:
        out[2:2] = [
            f"Measured now: all but {', '.join(kept['parts'])}, which are the run of "
            f"{kept['measured_at']}'s (--only).",
            "",
        ]
    out += ["", "## Targets", ""]
    out += _table(
        ["target", "limit", "measured (worst)", "met"],
        [
            [
                _target_name(target),
                target["limit"],
                f"{_figure(target['measured'])} ({target['worst']})",
                "met" if target["met"] else "**NOT met**",
            ]
            for target in results["targets"]
        ],
        "llll",
    )
    return out
