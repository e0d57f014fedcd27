"""`manage.py bench_reports` (`make bench`): every report page at 1,000,000 customers and
10,000,000 sales on PostgreSQL.

Seeding that many through the services would take days, so the database writes the rows itself
(INSERT ... SELECT over generate_series, with a fixed random seed): customers over three years
in 200 clusters and 2,000 villages, each customer's sales after they joined, the old and loyal
buying most (the 80/20 shape the VIP report looks for), a tenth of sales to walk-ins and a few
voided. Visit figures and the report figures are then built by the same commands a shop would
run (`rebuild_visit_figures`, `rebuild_report_figures`) and checked with their --check, so the
benchmark reads what the services would have written.

Credit is not seeded here: `make bench-credit` measures the credit reports on a ledger of its own.
"""

import json
import os
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from core.bench import PageTimer, met, ms_text, require_postgresql, throwaway_database
from core.management.commands.load_demo_data import (
    CHRISTIAN_NAMES,
    CLUSTERS,
    COMMUNITIES,
    PRODUCTS,
    VILLAGES,
)
from core.roles import CASHIER, MANAGER
from customers.models import Cluster, Customer, CustomerGroup
from sales.figures import REVENUE_BAND_FLOORS
from sales.models import (
    CustomerSalesTotal,
    Product,
    RevenueBand,
    Sale,
    SaleLine,
    SalesSummary,
)

TARGET_PAGE_MS = 300.0
HISTORY_DAYS = 3 * 365
CASHIERS = 16
CLUSTER_COUNT = 200
VILLAGE_COUNT = 2000
WALK_IN_SHARE = 0.10
VOID_SHARE = 0.003
LOCATED_SHARE = 0.4
# Sales go to customer k (1 = the oldest) with k = N * u^LOYALTY for uniform u: the oldest
# customers, who also had the longest to buy, buy far more often.
LOYALTY = 2


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
        parser.add_argument("--seed", type=float, default=0.42, help="Random seed, -1..1 (0.42).")
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
        with throwaway_database(
            "reports_bench_tmp",
            keep=options["keep_database"],
            reuse=options["reuse_database"],
            log=self.log,
        ) as reused:
            results = self._run(options, reused=reused)
        self._report(results)
        if options["json"]:
            Path(options["json"]).write_text(json.dumps(results, indent=2) + "\n")
            self.log(f"Wrote {options['json']}.")

    # --- the run -------------------------------------------------------------------------------

    def _run(self, options, *, reused: bool) -> dict:
        started = time.perf_counter()
        if not reused:
            Seeder(
                options["customers"],
                options["sales"],
                options["seed"],
                self.log,
                check_figures=options["check_figures"],
            ).run()
        seed_s = time.perf_counter() - started
        seeded = self._counts()
        with connection.cursor() as cursor:
            cursor.execute("SELECT version(), pg_database_size(current_database())")
            server, size = cursor.fetchone()

        client = Client()
        client.force_login(User.objects.get(username="bench-manager"))
        timer = PageTimer(client, repeat=options["repeat"], log=self.log)
        today = timezone.localdate()
        cluster = Cluster.objects.order_by("pk").first()
        loyal = Customer.objects.order_by("-total_visits", "pk").first()
        this_year = {"period": f"{today:%Y}"}
        last_month = {"period": f"{today.replace(day=1) - timedelta(days=1):%Y-%m}"}
        cases = [
            ("dashboard", "reports:dashboard", {}, ()),
            ("activity by cluster, this month", "reports:activity_clusters", {}, ()),
            ("  this year", "reports:activity_clusters", this_year, ()),
            ("activity by customer, this month", "reports:activity_customers", {}, ()),
            ("  sorted by visits", "reports:activity_customers", {"sort": "visits"}, ()),
            (
                f"  cluster {cluster.name}",
                "reports:activity_customers",
                {"cluster": cluster.pk},
                (),
            ),
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
        measurements = []
        for label, url_name, params, url_args in cases:
            self.log(f"{label.strip()}: {options['repeat']} requests...")
            measurements.append(timer.measure(label, url_name, params, args=url_args))
        load = [round(value, 2) for value in os.getloadavg()]
        if options["explain"]:
            for label, url_name, params, url_args in cases:
                timer.explain(label, url_name, params, args=url_args, write=self.stderr.write)
        worst = max(measurements, key=lambda row: row.get("p95_ms") or float("inf"))
        return {
            "measured_at": timezone.now().isoformat(timespec="seconds"),
            "server": server,
            "cpu_count": os.cpu_count(),
            "load_average_1_5_15_min": load,
            "database_mb": round(size / 2**20),
            "seed_seconds": None if reused else round(seed_s, 1),
            "seeded": seeded,
            "repeat": options["repeat"],
            "measurements": measurements,
            "target": {
                "ms": TARGET_PAGE_MS,
                "of": "p95 of every page",
                "worst": worst["label"].strip(),
                "measured_p95_ms": worst.get("p95_ms"),
                "met": all(met(row, TARGET_PAGE_MS, "p95_ms") for row in measurements),
            },
        }

    def _counts(self) -> dict:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT reltuples::bigint FROM pg_class WHERE relname IN "
                f"('{Customer._meta.db_table}', '{Sale._meta.db_table}', "
                f"'{SaleLine._meta.db_table}') ORDER BY relname"
            )
            customers, sales, lines = (row[0] for row in cursor.fetchall())
        return {
            "customers": customers,
            "sales": sales,
            "sale_lines": lines,
            "clusters": Cluster.objects.count(),
        }

    # --- report --------------------------------------------------------------------------------

    def _report(self, results: dict) -> None:
        out = self.stdout
        seeded = results["seeded"]
        out.write("")
        out.write(
            f"Reports: about {seeded['customers']:,} customers in {seeded['clusters']} clusters, "
            f"{seeded['sales']:,} sales, {seeded['sale_lines']:,} sale lines (planner counts); "
            f"database {results['database_mb']:,} MB"
        )
        if results["seed_seconds"] is not None:
            out.write(f"Seeded, figures rebuilt and checked in {results['seed_seconds']:.0f} s.")
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
        out.write((self.style.SUCCESS if target["met"] else self.style.ERROR)(text))

    def log(self, message: str) -> None:
        self.stderr.write(message)


class Seeder:
    """Writes the shop: staff and products through the ORM, then customers, their clusters,
    sales and sale lines with INSERT ... SELECT, then the figures through their commands."""

    def __init__(self, customers: int, sales: int, seed: float, log, *, check_figures: bool):
        self.check_figures = check_figures
        self.customers = customers
        self.sales = sales
        self.seed = seed
        self.log = log

    def run(self) -> None:
        steps = (
            ("staff, clusters and products", self._reference_data),
            (f"{self.customers:,} customers", self._customers),
            ("their clusters", self._customer_clusters),
            (f"{self.sales:,} sales", self._sales),
            ("a line for each sale", self._sale_lines),
            ("visit figures (rebuild_visit_figures)", self._visit_figures),
            ("report figures (rebuild_report_figures)", self._report_figures),
            ("VACUUM ANALYZE", self._vacuum),
            ("--check of the visit (and with --check-figures, report) figures", self._check),
        )
        for label, step in steps:
            started = time.perf_counter()
            self.log(f"  {label}...")
            step()
            self.log(f"    {time.perf_counter() - started:.0f} s")

    def _execute(self, sql: str, params=()) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SELECT setseed(%s)", [self.seed])
            cursor.execute(sql, params)

    def _reference_data(self) -> None:
        manager = User.objects.create_user(
            "bench-manager", password=None, first_name="Otieno", last_name="Odhiambo"
        )
        manager.groups.add(Group.objects.get(name=MANAGER))
        cashier_group = Group.objects.get(name=CASHIER)
        for number in range(CASHIERS):
            cashier = User.objects.create_user(
                f"bench-cashier-{number}", password=None, first_name="Cashier", last_name=number
            )
            cashier.groups.add(cashier_group)
        named = [Cluster(name=name, description=description) for name, description in CLUSTERS]
        Cluster.objects.bulk_create(
            named
            + [
                Cluster(name=f"Farmers' group {number:03d}")
                for number in range(len(named) + 1, CLUSTER_COUNT + 1)
            ]
        )
        Product.objects.bulk_create(
            Product(name=name, code=code, retail_price=retail, wholesale_price=wholesale)
            for name, code, retail, wholesale, _weight in PRODUCTS
        )

    def _customers(self) -> None:
        """Customer k joined at k/N of the way through the three years (ids grow with time)."""
        surnames = sorted({name for _given, names in COMMUNITIES.values() for name in names})
        given = sorted(
            set(CHRISTIAN_NAMES) | {name for names, _ in COMMUNITIES.values() for name in names}
        )
        villages = list(VILLAGES) + [
            f"Village {number:04d}" for number in range(len(VILLAGES) + 1, VILLAGE_COUNT + 1)
        ]
        groups = list(
            CustomerGroup.objects.order_by("pk").values_list("pk", flat=True)
        )  # walk-in, regular, wholesale, corporate
        self._execute(
            f"""
            INSERT INTO {Customer._meta.db_table} (
                name, phone, email, address, village, tax_pin, group_id, send_sms,
                latitude, longitude, notes, credit_limit, credit_balance,
                total_visits, total_spent, created_at, updated_at
            )
            SELECT
                g.given[1 + floor(random() * cardinality(g.given))::int] || ' ' ||
                    g.surnames[1 + floor(random() * cardinality(g.surnames))::int],
                '+2547' || lpad((10000000 + k)::text, 8, '0'),
                '', '',
                g.villages[1 + (k::bigint * 7919) %% cardinality(g.villages)],
                CASE WHEN random() < 0.7 THEN 'A' || lpad(k::text, 9, '0') || 'K' ELSE '' END,
                g.groups[CASE WHEN random() < 0.6 THEN 2 WHEN random() < 0.6 THEN 1
                              WHEN random() < 0.8 THEN 3 ELSE 4 END],
                random() < 0.6,
                CASE WHEN located THEN round((-1.6 + random() * 2)::numeric, 6) END,
                CASE WHEN located THEN round((37.0 + random() * 1.5)::numeric, 6) END,
                '', 0, 0, 0, 0,
                now() - make_interval(secs => %(span)s * (1 - k::float / %(n)s)),
                now() - make_interval(secs => %(span)s * (1 - k::float / %(n)s))
            FROM generate_series(1, %(n)s) AS k,
                 LATERAL (SELECT random() < %(located)s AS located) AS l,
                 (SELECT %(given)s::text[] AS given, %(surnames)s::text[] AS surnames,
                         %(villages)s::text[] AS villages, %(groups)s::int[] AS groups) AS g
            ORDER BY k
            """,
            {
                "n": self.customers,
                "span": HISTORY_DAYS * 86400,
                "located": LOCATED_SHARE,
                "given": given,
                "surnames": surnames,
                "villages": villages,
                "groups": groups,
            },
        )

    def _customer_clusters(self) -> None:
        """One to three clusters each; the first clusters are the big ones."""
        through = Customer.clusters.through._meta.db_table
        first = Cluster.objects.order_by("pk").values_list("pk", flat=True).first()
        self._execute(
            f"""
            INSERT INTO {through} (customer_id, cluster_id)
            SELECT DISTINCT c.id, %(first)s + floor(%(clusters)s * random() ^ 2)::int
            FROM {Customer._meta.db_table} AS c,
                 generate_series(1, CASE WHEN random() < 0.6 THEN 1
                                         WHEN random() < 0.7 THEN 2 ELSE 3 END) AS n
            """,
            {"first": first, "clusters": CLUSTER_COUNT},
        )

    def _sales(self) -> None:
        """Ids grow with time, as the till writes them: the rows are inserted in sold_at order."""
        cashiers = list(
            User.objects.filter(username__startswith="bench-cashier-").values_list("pk", flat=True)
        )
        manager = User.objects.get(username="bench-manager").pk
        first_customer = Customer.objects.order_by("pk").values_list("pk", flat=True).first()
        self._execute(
            f"""
            INSERT INTO {Sale._meta.db_table} (
                customer_id, cashier_id, total, payment_method, price_list, sold_at,
                voided_at, voided_by_id, void_reason
            )
            SELECT customer_id, cashier_id, total, payment_method, 'retail', sold_at,
                   CASE WHEN voided THEN sold_at + interval '10 minutes' END,
                   CASE WHEN voided THEN %(manager)s END,
                   CASE WHEN voided THEN 'Entered twice' ELSE '' END
            FROM (
                SELECT
                    CASE WHEN walk_in THEN NULL ELSE %(first)s + k - 1 END AS customer_id,
                    (%(cashiers)s::int[])
                        [1 + floor(random() * cardinality(%(cashiers)s::int[]))::int]
                        AS cashier_id,
                    round((80 + 6000 * random() ^ 3)::numeric, 2) AS total,
                    CASE WHEN random() < 0.55 THEN 'cash' ELSE 'mpesa' END AS payment_method,
                    now() - make_interval(secs => %(span)s * (1 - joined) * random())
                        AS sold_at,
                    random() < %(void)s AS voided
                FROM (
                    SELECT random() < %(walk_in)s AS walk_in,
                           1 + floor(%(n)s * random() ^ %(loyalty)s)::int AS k
                    FROM generate_series(1, %(sales)s)
                ) AS pick,
                LATERAL (SELECT CASE WHEN walk_in THEN 0 ELSE k::float / %(n)s END AS joined)
                    AS j
            ) AS sale
            ORDER BY sold_at
            """,
            {
                "first": first_customer,
                "n": self.customers,
                "sales": self.sales,
                "span": HISTORY_DAYS * 86400,
                "cashiers": cashiers,
                "manager": manager,
                "void": VOID_SHARE,
                "walk_in": WALK_IN_SHARE,
                "loyalty": LOYALTY,
            },
        )

    def _sale_lines(self) -> None:
        """One line a sale, its product chosen by the sale's id: what a profile's favourites
        read. Payments are not written: no report reads them."""
        products = list(Product.objects.order_by("pk").values_list("pk", "name", "code"))
        self._execute(
            f"""
            INSERT INTO {SaleLine._meta.db_table} (
                sale_id, product_id, product_name, product_code, quantity, unit_price,
                line_total
            )
            SELECT s.id, p.id, p.name, p.code, 1, s.total, s.total
            FROM {Sale._meta.db_table} AS s
            JOIN (SELECT unnest(%(ids)s::int[]) AS id, unnest(%(names)s::text[]) AS name,
                         unnest(%(codes)s::text[]) AS code,
                         generate_series(0, %(count)s - 1) AS position) AS p
              ON p.position = (s.id * 7 + coalesce(s.customer_id, 0)) %% %(count)s
            """,
            {
                "ids": [pk for pk, _name, _code in products],
                "names": [name for _pk, name, _code in products],
                "codes": [code for _pk, _name, code in products],
                "count": len(products),
            },
        )

    def _visit_figures(self) -> None:
        """As sale_complete leaves them, in one statement (the command's batches take minutes
        here); rebuild_visit_figures --check proves them right below."""
        self._execute(
            f"""
            UPDATE {Customer._meta.db_table} AS c
            SET first_visit_at = v.first, last_visit_at = v.last, total_visits = v.visits,
                total_spent = v.spent, last_cashier_id = v.cashier
            FROM (
                SELECT customer_id, min(sold_at) AS first, max(sold_at) AS last,
                       count(*) AS visits, sum(total) AS spent,
                       (array_agg(cashier_id ORDER BY sold_at DESC, id DESC))[1] AS cashier
                FROM {Sale._meta.db_table}
                WHERE customer_id IS NOT NULL AND voided_at IS NULL
                GROUP BY customer_id
            ) AS v
            WHERE c.id = v.customer_id
            """
        )

    def _report_figures(self) -> None:
        """The figures sales.figures keeps, written as the services would have left them, in a
        few set-based statements: rebuilding them through the command (Python, a batch of
        customers at a time) takes far longer at this size. `--check` proves them right when
        asked (--check-figures)."""
        totals = CustomerSalesTotal._meta.db_table
        summary = SalesSummary._meta.db_table
        members = Customer.clusters.through._meta.db_table
        customers = Customer._meta.db_table
        sales = Sale._meta.db_table
        params = {"zone": settings.TIME_ZONE, "floors": REVENUE_BAND_FLOORS}
        periods = "(VALUES ('month'), ('year')) AS p(period)"
        self._execute(
            f"""
            INSERT INTO {totals} (customer_id, period, starts_on, visits, revenue)
            SELECT customer_id, p.period,
                   date_trunc(p.period, sold_at AT TIME ZONE %(zone)s)::date,
                   count(*), sum(total)
            FROM {sales}, {periods}
            WHERE customer_id IS NOT NULL AND voided_at IS NULL
            GROUP BY 1, 2, 3
            """,
            params,
        )
        self._execute(
            f"""
            INSERT INTO {summary}
                (period, starts_on, segment, cluster_key, slot, visits, revenue, customers,
                 new_customers)
            SELECT period, starts_on, 'customers', 0, 0, sum(visits), sum(revenue), count(*), 0
            FROM {totals} GROUP BY 1, 2
            UNION ALL
            SELECT t.period, t.starts_on, 'cluster', m.cluster_id, 0, sum(t.visits),
                   sum(t.revenue), count(*), 0
            FROM {totals} t JOIN {members} m ON m.customer_id = t.customer_id
            GROUP BY 1, 2, 4
            UNION ALL
            SELECT period, starts_on, 'no_cluster', 0, 0, sum(visits), sum(revenue), count(*), 0
            FROM {totals} t
            WHERE NOT EXISTS (SELECT 1 FROM {members} m WHERE m.customer_id = t.customer_id)
            GROUP BY 1, 2
            UNION ALL
            SELECT p.period, date_trunc(p.period, sold_at AT TIME ZONE %(zone)s)::date,
                   'walk_in', 0, 0, count(*), sum(total), 0, 0
            FROM {sales}, {periods}
            WHERE customer_id IS NULL AND voided_at IS NULL
            GROUP BY 1, 2
            """,
            params,
        )
        self._execute(
            f"""
            INSERT INTO {summary}
                (period, starts_on, segment, cluster_key, slot, visits, revenue, customers,
                 new_customers)
            SELECT p.period, date_trunc(p.period, c.first_visit_at AT TIME ZONE %(zone)s)::date,
                   s.segment, s.cluster_key, 0, 0, 0, 0, count(*)
            FROM {customers} c
            CROSS JOIN {periods}
            CROSS JOIN LATERAL (
                SELECT 'customers' AS segment, 0 AS cluster_key
                UNION ALL
                SELECT 'cluster', m.cluster_id FROM {members} m WHERE m.customer_id = c.id
                UNION ALL
                SELECT 'no_cluster', 0
                WHERE NOT EXISTS (SELECT 1 FROM {members} m WHERE m.customer_id = c.id)
            ) AS s
            WHERE c.first_visit_at IS NOT NULL
            GROUP BY 1, 2, 3, 4
            ON CONFLICT (period, starts_on, segment, cluster_key, slot)
            DO UPDATE SET new_customers = excluded.new_customers
            """,
            params,
        )
        self._execute(
            f"""
            INSERT INTO {RevenueBand._meta.db_table}
                (period, starts_on, band, slot, customers, revenue)
            SELECT period, starts_on, width_bucket(revenue, %(floors)s::numeric[]) - 1, 0,
                   count(*), sum(revenue)
            FROM {totals}
            GROUP BY 1, 2, 3
            """,
            params,
        )

    def _vacuum(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

    def _check(self) -> None:
        commands = ["rebuild_visit_figures"]
        if self.check_figures:
            commands.append("rebuild_report_figures")
        for command in commands:
            call_command(command, "--check", stdout=open(os.devnull, "w"))  # noqa: SIM115
