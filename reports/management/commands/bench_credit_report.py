"""`manage.py bench_credit_report` (`make bench`): the credit report at 100,000 credit customers
and 1,600,000 ledger rows.

A benchmark, not a test: these machines are shared and noisy, so speed is measured here, with
medians and ratios side by side, and never asserted by a timed unit test.

Seeding that much through the services would take hours, so the book is written with COPY, but
as the services would have written it: 18 months of credit sales (sales, lines, payments, ledger
entries), payments on account (ledger entries, CreditPayment rows, M-Pesa codes), a few voided
credit sales and manager adjustments, every balance the sum of its ledger and every
balance_after a running sum. The database's own constraints check each row as it goes in, and
`check_credit_balances` checks the whole book before anything is timed.
"""

import io
import json
import math
import os
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

import phonenumbers
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from core.bench import PageTimer, met, ms_text, require_postgresql, throwaway_database
from core.management.commands.load_demo_data import (
    CHRISTIAN_NAMES,
    CLUSTERS,
    COMMUNITIES,
    COMMUNITY_WEIGHTS,
    INSTITUTION_KINDS,
    MOBILE_PREFIXES,
    PRODUCTS,
    VILLAGES,
)
from core.models import MpesaCode
from core.roles import CASHIER, MANAGER
from credit.models import CreditEntry, CreditEntryKind, CreditPayment
from customers.models import Cluster, Customer, CustomerGroup
from sales.models import Payment, PriceList, Product, Sale, SaleLine

TARGET_FIRST_PAGE_MS = 200.0
TARGET_EXPORT_MS = 5000.0
HISTORY_DAYS = 548  # about 18 months, as the demo data
CENT = Decimal("0.01")
# Seconds of a shop day in UTC: Nairobi is UTC+3 all year; the shop is open 07:30-18:30.
NAIROBI_OFFSET = 3 * 3600
OPENS, CLOSES = 7.5 * 3600, 18.5 * 3600
FILTER_CLUSTER = "Maize growers"
PAST_DAYS = 90

# (group slug, share of credit customers, credit limit range in shillings, bags per line)
GROUPS = (
    ("walk-in", 10, (2_000, 10_000), (1, 2)),
    ("regular", 60, (5_000, 60_000), (1, 3)),
    ("wholesale", 22, (50_000, 400_000), (3, 20)),
    ("corporate", 8, (100_000, 600_000), (2, 15)),
)
# Farmers belong to one to three clusters; the common ones are common.
CLUSTER_WEIGHTS = {
    "Dairy farmers": 22,
    "Maize growers": 20,
    "Tea growers": 8,
    "Coffee cooperative": 8,
    "Horticulture": 10,
    "Poultry keepers": 10,
    "Avocado growers": 5,
    "Town traders": 6,
    "Schools & institutions": 2,
    "Boda boda riders": 3,
    "Irrigation scheme": 4,
    "Women's self-help group": 6,
}


class Habit(NamedTuple):
    """How a customer pays their account: at a visit with something owed they pay (rather than
    buy) with `pay_chance`, clearing it all with `full_chance`; and they clear it at the first
    visit after owing for `term_days`."""

    weight: int
    pay_chance: float
    full_chance: float
    term_days: float
    stops_paying_chance: float  # some stop paying months before today: over-90 balances


HABITS = (
    Habit(weight=55, pay_chance=0.45, full_chance=0.8, term_days=30, stops_paying_chance=0.0),
    Habit(weight=30, pay_chance=0.4, full_chance=0.4, term_days=70, stops_paying_chance=0.1),
    Habit(weight=15, pay_chance=0.3, full_chance=0.15, term_days=math.inf, stops_paying_chance=0.6),
)
VOID_CHANCE = 0.003  # a credit sale voided at the customer's next visit
ADJUSTMENT_CHANCE = 0.004
OPENING_BALANCE_CHANCE = 0.02  # accounts carried over from the paper book
MPESA_PAYMENT_SHARE = 0.65
ADJUSTMENT_REASONS_UP = (
    "Transport to the farm charged on account",
    "Price corrected: wholesale price given in error",
    "Delivery note entered late",
)
ADJUSTMENT_REASONS_DOWN = (
    "Goods returned: one bag damaged in transit",
    "Written off: customer moved away",
    "Discount agreed by the owner",
    "Payment by cheque banked directly",
)
VOID_REASONS = ("Wrong customer picked at the till", "Entered twice", "Customer changed mind")
MPESA_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class Command(BaseCommand):
    help = (
        "Benchmark the credit report on PostgreSQL at shop scale: 100,000 credit customers and "
        "1,600,000 ledger rows over 18 months (sales, payments on account, voids, adjustments), "
        "bulk-loaded with COPY into a throwaway database (<NAME>_credit_bench_tmp, created and "
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
        if options["customers"] < 1 or options["repeat"] < 1:
            raise CommandError("--customers and --repeat must be at least 1.")
        if options["entries"] < options["customers"]:
            raise CommandError("--entries must be at least --customers (one sale each).")
        with throwaway_database("credit_bench_tmp", keep=options["keep_database"], log=self.log):
            results = self._run(options)
        self._report(results)
        if options["json"]:
            Path(options["json"]).write_text(json.dumps(results, indent=2) + "\n")
            self.stderr.write(f"Wrote {options['json']}.")

    # --- the run -------------------------------------------------------------------------------

    def _run(self, options) -> dict:
        started = time.perf_counter()
        seeded = Seeder(options["customers"], options["entries"], options["seed"], self.log).run()
        seed_s = time.perf_counter() - started
        self.log(f"Seeded in {seed_s:.0f} s. Checking the book...")
        checks = self._check()
        with connection.cursor() as cursor:
            cursor.execute("SELECT version(), pg_database_size(current_database())")
            server, size = cursor.fetchone()

        manager = User.objects.get(username="bench-manager")
        client = Client()
        client.force_login(manager)
        timer = PageTimer(client, repeat=options["repeat"], log=self.log)
        cluster = Cluster.objects.get(name=FILTER_CLUSTER)
        past = timezone.localdate() - timedelta(days=PAST_DAYS)
        cases = [
            ("first page", "reports:credit_report", {}),
            ("sorted by balance, largest first", "reports:credit_report", {"sort": "-balance"}),
            (f"cluster {FILTER_CLUSTER}", "reports:credit_report", {"cluster": cluster.pk}),
            (f"as of {PAST_DAYS} days ago", "reports:credit_report", {"as_of": past.isoformat()}),
            # No target of its own: every owing customer's ageing, one pass over the ledger.
            ("ageing summary page", "reports:credit_ageing", {}),
            ("whole export (CSV)", "reports:credit_report_export", {}),
        ]
        measurements = []
        for label, url_name, params in cases:
            self.log(f"{label}: {options['repeat']} requests...")
            measurements.append(timer.measure(label, url_name, params))
        # Other work on the machine shows up in the medians; say how busy it was.
        load = [round(value, 2) for value in os.getloadavg()]
        base = measurements[0]
        for row in measurements:
            if base["median_ms"] and row["median_ms"] is not None:
                row["median_ratio"] = round(row["median_ms"] / base["median_ms"], 2)
        if options["explain"]:
            for label, url_name, params in cases:
                timer.explain(label, url_name, params, write=self.stderr.write)

        pages = [row for row in measurements if row["url"] == "reports:credit_report"]
        export = measurements[-1]
        worst_page = max(pages, key=lambda row: row["median_ms"] or math.inf)
        return {
            "measured_at": timezone.now().isoformat(timespec="seconds"),
            "server": server,
            "cpu_count": os.cpu_count(),
            "load_average_1_5_15_min": load,
            "database_mb": round(size / 2**20),
            "seed_seconds": round(seed_s, 1),
            "seeded": seeded,
            "checks": checks,
            "repeat": options["repeat"],
            "cluster": {"name": FILTER_CLUSTER, "customers": seeded["cluster_sizes"][cluster.name]},
            "measurements": measurements,
            "targets": {
                "first_page": {
                    "ms": TARGET_FIRST_PAGE_MS,
                    "worst": worst_page["label"],
                    "measured_median_ms": worst_page["median_ms"],
                    "met": all(met(row, TARGET_FIRST_PAGE_MS) for row in pages),
                },
                "export": {
                    "ms": TARGET_EXPORT_MS,
                    "measured_median_ms": export["median_ms"],
                    "met": met(export, TARGET_EXPORT_MS),
                },
            },
        }

    def _check(self) -> dict:
        """The book as the services would have left it, or the benchmark stops here."""
        started = time.perf_counter()
        out = io.StringIO()
        call_command("check_credit_balances", stdout=out)
        entries = CreditEntry._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT count(*) FROM (
                    SELECT balance_after,
                           SUM(amount) OVER (PARTITION BY customer_id ORDER BY id) AS running
                    FROM {entries}
                ) ledger WHERE balance_after <> running
                """
            )
            broken = cursor.fetchone()[0]
        if broken:
            raise CommandError(
                f"{broken} ledger rows have a balance_after that is not a running sum."
            )
        call_command("rebuild_visit_figures", "--check", stdout=io.StringIO())
        seconds = time.perf_counter() - started
        self.log(
            f"{out.getvalue().strip()} Running sums and visit figures agree ({seconds:.0f} s)."
        )
        return {
            "check_credit_balances": "ok",
            "running_sums": "ok",
            "visit_figures": "ok",
            "seconds": round(seconds, 1),
        }

    # --- report --------------------------------------------------------------------------------

    def _report(self, results: dict) -> None:
        out = self.stdout
        seeded = results["seeded"]
        out.write("")
        out.write(
            f"Credit report: {seeded['customers']:,} credit customers ({seeded['owing']:,} owing "
            f"today), {seeded['entries']:,} ledger rows ({seeded['kinds']['sale']:,} credit "
            f"sales, {seeded['kinds']['payment']:,} payments, {seeded['kinds']['void']:,} voids, "
            f"{seeded['kinds']['adjustment']:,} adjustments), {seeded['sale_lines']:,} sale "
            f"lines; database {results['database_mb']:,} MB"
        )
        out.write(
            f"Seeded with COPY in {results['seed_seconds']:.0f} s; check_credit_balances, running "
            f"sums and visit figures all OK ({results['checks']['seconds']:.0f} s)."
        )
        load = results["load_average_1_5_15_min"]
        out.write(
            f"{results['server'].split(' on ')[0]}; {results['cpu_count']} CPUs, load average "
            f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min) after the timing"
        )
        out.write(
            f"Each request {results['repeat']} times after one untimed, as a logged-in manager "
            f"(Django test client, body read to the end); cluster {results['cluster']['name']} "
            f"has {results['cluster']['customers']:,} customers."
        )
        header = (
            f"{'request':<34}  {'median ms':>9}  {'p95 ms':>8}  {'x first':>7}  {'queries':>7}  "
            f"{'size':>9}"
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
                f"{row.get('median_ratio', 0):>7.2f}  {row['queries']:>7}  {size:>9}"
            )
        page, export = results["targets"]["first_page"], results["targets"]["export"]
        for reached, text in (
            (
                page["met"],
                f"target first page <= {page['ms']:g} ms (median, every variant): "
                f"{'met' if page['met'] else 'NOT met'} (slowest: {page['worst']}, "
                f"{ms_text(page['measured_median_ms'])})",
            ),
            (
                export["met"],
                f"target whole export <= {export['ms'] / 1000:g} s (median): "
                f"{'met' if export['met'] else 'NOT met'} "
                f"({ms_text(export['measured_median_ms'])})",
            ),
        ):
            out.write((self.style.SUCCESS if reached else self.style.ERROR)(text))

    def log(self, message: str) -> None:
        self.stderr.write(message)


# --- seeding -----------------------------------------------------------------------------------


class Seeder:
    """Writes the book: staff, clusters, products, customers and 18 months of credit.

    Each customer's ledger is generated in date order with its running balance (as the services
    would compute it under the row lock); then every customer's events are merged in date order
    and numbered, so ids grow with time and rows lie on disk as a real shop's would.
    """

    def __init__(self, customers: int, entries: int, seed: int, log):
        self.customer_count = customers
        self.entry_count = entries
        self.rng = random.Random(seed)
        self.log = log
        self.now = timezone.now().timestamp()
        self.history_start = self.now - HISTORY_DAYS * 86400

    def run(self) -> dict:
        self.log(f"Seeding {self.customer_count:,} customers, {self.entry_count:,} ledger rows...")
        self._reference_data()
        started = time.perf_counter()
        customers = self._customers()
        events = self._ledger(customers)
        self.log(f"  generated in {time.perf_counter() - started:.0f} s; writing with COPY...")
        self._write(customers, events)
        with connection.cursor() as cursor:
            self.log("  VACUUM ANALYZE...")
            cursor.execute("VACUUM ANALYZE")
        kinds = Counter(event[3] for event in events)
        cluster_sizes = Counter(
            self.clusters[index].name for customer in customers for index in customer["clusters"]
        )
        return {
            "customers": len(customers),
            "owing": sum(1 for customer in customers if customer["balance"] > 0),
            "entries": len(events),
            "kinds": {kind: kinds.get(kind, 0) for kind in CreditEntryKind.values},
            "sale_lines": self.sale_line_count,
            "cluster_sizes": dict(cluster_sizes),
        }

    # Reference data, through the ORM: a handful of rows.

    def _reference_data(self):
        self.manager = User.objects.create_user(
            "bench-manager", password=None, first_name="Otieno", last_name="Odhiambo"
        )
        self.manager.groups.add(Group.objects.get(name=MANAGER))
        self.cashiers = []
        for number, (first, last) in enumerate(
            (("Wanjiru", "Kamau"), ("Achieng", "Onyango"), ("Mutua", "Kioko"))
        ):
            user = User.objects.create_user(
                f"bench-cashier-{number}", password=None, first_name=first, last_name=last
            )
            user.groups.add(Group.objects.get(name=CASHIER))
            self.cashiers.append(user.pk)
        self.staff = [*self.cashiers, self.manager.pk]
        self.staff_weights = [45, 30, 10, 15]
        self.clusters = Cluster.objects.bulk_create(
            Cluster(name=name, description=description) for name, description in CLUSTERS
        )
        self.cluster_weights = [CLUSTER_WEIGHTS[cluster.name] for cluster in self.clusters]
        self.products = Product.objects.bulk_create(
            Product(
                name=name,
                code=code,
                retail_price=Decimal(retail),
                wholesale_price=Decimal(wholesale),
            )
            for name, code, retail, wholesale, _weight in PRODUCTS
        )
        self.product_weights = [weight for *_fields, weight in PRODUCTS]
        self.groups = {group.slug: group for group in CustomerGroup.objects.all()}

    # Customers.

    def _customers(self) -> list[dict]:
        rng, count = self.rng, self.customer_count
        phones = self._phones(count)
        pins = rng.sample(range(10**9), count)
        villages = list(VILLAGES)
        communities = list(COMMUNITY_WEIGHTS)
        community_weights = list(COMMUNITY_WEIGHTS.values())
        group_weights = [share for _slug, share, _limits, _bags in GROUPS]
        institutions = next(
            index
            for index, cluster in enumerate(self.clusters)
            if cluster.name == "Schools & institutions"
        )
        customers = []
        for index in range(count):
            slug, _share, (low, high), bags = rng.choices(GROUPS, weights=group_weights)[0]
            village = rng.choice(villages)
            if slug == "corporate":
                name = f"{village} {rng.choice(INSTITUTION_KINDS)}"
                clusters = [institutions]
            else:
                community = rng.choices(communities, weights=community_weights)[0]
                given_names, surnames = COMMUNITIES[community]
                given = rng.choice(CHRISTIAN_NAMES if rng.random() < 0.5 else given_names)
                name = f"{given} {rng.choice(surnames)}"
                clusters = sorted(
                    set(
                        rng.choices(
                            range(len(self.clusters)),
                            weights=self.cluster_weights,
                            k=rng.choice((1, 1, 2, 3)),
                        )
                    )
                )
            joined = self.history_start + HISTORY_DAYS * 86400 * rng.triangular(0, 1, 0)
            customers.append(
                {
                    "id": index + 1,
                    "name": name,
                    "phone": phones[index],
                    "village": village,
                    "tax_pin": (
                        f"{'P' if slug == 'corporate' else 'A'}{pins[index]:09d}"
                        f"{rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}"
                        if rng.random() < 0.8
                        else ""
                    ),
                    "group": slug,
                    "bags": bags,
                    "send_sms": rng.random() < 0.6,
                    "credit_limit": Decimal(rng.randrange(low // 1000, high // 1000 + 1) * 1000),
                    "clusters": clusters,
                    "joined": joined,
                    # A quarter stopped coming some time ago; the rest still shop today.
                    "left": (
                        joined + (self.now - joined) * rng.uniform(0.3, 0.9)
                        if rng.random() < 0.25
                        else self.now - 600
                    ),
                    "habit": rng.choices(HABITS, weights=[h.weight for h in HABITS])[0],
                    "balance": Decimal(0),
                }
            )
        return customers

    def _phones(self, count: int) -> list[str]:
        """Unique, valid Kenyan mobile numbers in E.164, spread over the operators' prefixes."""
        phones, seen = [], set()
        while len(phones) < count:
            for number in self.rng.sample(range(len(MOBILE_PREFIXES) * 10**6), count):
                prefix, subscriber = divmod(number, 10**6)
                national = f"{MOBILE_PREFIXES[prefix]}{subscriber:06d}"
                parsed = phonenumbers.parse(national, "KE")
                e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
                if e164 not in seen and phonenumbers.is_valid_number(parsed):
                    seen.add(e164)
                    phones.append(e164)
                    if len(phones) == count:
                        break
        return phones

    # The ledger.

    def _entry_counts(self) -> list[int]:
        """Ledger rows per customer, adding up to exactly --entries: a long tail of regulars."""
        rng, total, count = self.rng, self.entry_count, self.customer_count
        weights = [min(rng.paretovariate(1.6), 40.0) for _ in range(count)]
        scale = total / sum(weights)
        counts = [max(1, int(weight * scale)) for weight in weights]
        missing = total - sum(counts)
        while missing:
            index = rng.randrange(count)
            if missing > 0:
                counts[index] += 1
                missing -= 1
            elif counts[index] > 1:
                counts[index] -= 1
                missing += 1
        return counts

    def _ledger(self, customers: list[dict]) -> list[list]:
        """Every ledger event of every customer, in date order, numbered.

        An event is [timestamp, customer index, sequence, kind, amount, balance_after, actor,
        detail, entry id, sale id or payment id]."""
        per_customer = [
            self._customer_ledger(customer, index, count)
            for index, (customer, count) in enumerate(
                zip(customers, self._entry_counts(), strict=True)
            )
        ]
        events = [event for ledger in per_customer for event in ledger]
        events.sort(key=itemgetter(0, 1, 2))  # by time; a customer's own order on a tie
        sale_ids, payment_ids = 0, 0
        for entry_id, event in enumerate(events, start=1):
            event.append(entry_id)
            if event[3] == CreditEntryKind.CREDIT_SALE:
                sale_ids += 1
                event.append(sale_ids)
            elif event[3] == CreditEntryKind.PAYMENT:
                payment_ids += 1
                event.append(payment_ids)
            else:
                event.append(None)
        return events

    def _customer_ledger(self, customer: dict, index: int, count: int) -> list[list]:
        rng, habit, limit = self.rng, customer["habit"], customer["credit_limit"]
        times = self._visit_times(customer["joined"], customer["left"], count)
        stops_paying_at = (
            self.now - rng.uniform(100, 400) * 86400
            if rng.random() < habit.stops_paying_chance
            else math.inf
        )
        # Whether the last visit, if it is more than a month ago, clears the account.
        settles = rng.random() < habit.full_chance
        events, balance, slot, owing_since = [], Decimal(0), 0, math.inf
        while slot < count:
            at = times[slot]
            actor = rng.choices(self.staff, weights=self.staff_weights)[0]
            roll = rng.random()
            if slot == 0 and roll < OPENING_BALANCE_CHANCE:
                amount = _money(limit * Decimal(rng.uniform(0.2, 0.8)))
                kind, detail, actor = "adjustment", "Opening balance from the paper book", None
            elif balance > 0 and roll < ADJUSTMENT_CHANCE:
                kind, actor = "adjustment", None
                if rng.random() < 0.7:
                    amount = -min(balance, _money(rng.uniform(50, 2000)))
                    detail = rng.choice(ADJUSTMENT_REASONS_DOWN)
                else:
                    amount = min(limit - balance, _money(rng.uniform(100, 1500)))
                    detail = rng.choice(ADJUSTMENT_REASONS_UP)
                if amount == 0:
                    kind, amount, detail = "payment", -balance, self._payment_detail(balance)
            elif (
                balance > 0 and at < stops_paying_at and at - owing_since > habit.term_days * 86400
            ):
                amount, kind, detail = -balance, "payment", self._payment_detail(balance)
            elif balance > 0 and at < stops_paying_at and roll < habit.pay_chance:
                amount = -self._payment_amount(balance, habit)
                kind, detail = "payment", self._payment_detail(-amount)
            elif balance > 0 and slot == count - 1 and settles and at < self.now - 30 * 86400:
                # The last visit a while ago: most had settled up before they went quiet.
                amount, kind, detail = -balance, "payment", self._payment_detail(balance)
            else:
                lines, total, price_list = self._basket(customer, room=limit - balance)
                if lines is None:
                    # No room left on the account (so something is owed): they pay something
                    # off to buy again.
                    amount = -self._payment_amount(balance, habit)
                    kind, detail = "payment", self._payment_detail(-amount)
                else:
                    kind, amount, detail = "sale", total, (lines, price_list, None)
            if actor is None:
                actor = self.manager.pk
            if balance == 0:
                owing_since = at
            balance += amount
            event = [at, index, slot, kind, amount, balance, actor, detail]
            events.append(event)
            slot += 1
            if kind == "sale" and slot < count and rng.random() < VOID_CHANCE:
                # Voided at the next visit (the balance still holds all of it).
                balance -= amount
                reason = rng.choice(VOID_REASONS)
                events.append(
                    [times[slot], index, slot, "void", -amount, balance, self.manager.pk, event]
                )
                event[7] = (lines, price_list, (times[slot], reason))
                slot += 1
        customer["balance"] = balance
        return events

    def _visit_times(self, joined: float, left: float, count: int) -> list[float]:
        """`count` moments in shop hours between joining and leaving, oldest first."""
        rng, times = self.rng, []
        for _ in range(count):
            moment = rng.uniform(joined, left) + NAIROBI_OFFSET
            day = moment - moment % 86400
            at = day + OPENS + rng.random() * (CLOSES - OPENS) - NAIROBI_OFFSET
            times.append(round(min(at, self.now - 60), 3))
        times.sort()
        return times

    def _basket(self, customer: dict, *, room: Decimal):
        """A credit sale of one to three products that fits the room on the account."""
        rng = self.rng
        wholesale = self.groups[customer["group"]].uses_wholesale_prices
        for attempt in range(3):
            chosen = {
                product.pk: product
                for product in rng.choices(self.products, self.product_weights, k=rng.randint(1, 3))
            }
            lines, total = [], Decimal(0)
            for product in chosen.values():
                if product.code.startswith("LOOSE"):
                    quantity = Decimal(rng.choice(("0.5", "1", "2", "2.5", "5", "10")))
                else:
                    low, high = customer["bags"] if attempt == 0 else (1, 1)
                    quantity = Decimal(rng.randint(low, high))
                price = product.wholesale_price if wholesale else product.retail_price
                line_total = _money(price * quantity)
                lines.append((product, quantity, price, line_total))
                total += line_total
            if total <= room:
                return lines, total, PriceList.WHOLESALE if wholesale else PriceList.RETAIL
        # One of something small, if even that fits.
        price_list = PriceList.WHOLESALE if wholesale else PriceList.RETAIL
        affordable = [
            (product, product.price_for(price_list))
            for product in self.products
            if product.price_for(price_list) <= room
        ]
        if not affordable:
            return None, None, None
        product, price = rng.choice(affordable)
        return [(product, Decimal(1), price, price)], price, price_list

    def _payment_amount(self, balance: Decimal, habit: Habit) -> Decimal:
        if self.rng.random() < habit.full_chance or balance <= 200:
            return balance
        part = Decimal(int(balance * Decimal(self.rng.uniform(0.2, 0.8)) / 100) * 100)
        return min(max(part, Decimal(100)), balance)

    def _payment_detail(self, amount: Decimal) -> tuple[str, str]:
        if self.rng.random() < MPESA_PAYMENT_SHARE:
            return "mpesa", "".join(self.rng.choices(MPESA_CHARACTERS, k=10))
        return "cash", ""

    # Writing.

    def _write(self, customers: list[dict], events: list[list]) -> None:
        # M-Pesa codes are unique across the book: redraw the rare repeat.
        seen = set()
        for event in events:
            if event[3] == "payment" and event[7][0] == "mpesa":
                while event[7][1] in seen:
                    event[7] = ("mpesa", "".join(self.rng.choices(MPESA_CHARACTERS, k=10)))
                seen.add(event[7][1])
        self._visit_figures(customers, events)
        steps = [
            (Customer, self._customer_rows(customers)),
            (Customer.clusters.through, self._cluster_rows(customers)),
            (Sale, self._sale_rows(customers, events)),
            (SaleLine, self._sale_line_rows(events)),
            (Payment, self._sale_payment_rows(events)),
            (CreditEntry, self._entry_rows(customers, events)),
            (CreditPayment, self._credit_payment_rows(customers, events)),
            (MpesaCode, self._mpesa_code_rows(events)),
        ]
        for model, (columns, rows) in steps:
            started = time.perf_counter()
            written = _copy(model, columns, rows)
            self.log(
                f"  {model._meta.db_table}: {written:,} rows in "
                f"{time.perf_counter() - started:.1f} s"
            )
        models = [Customer, Customer.clusters.through, Sale, SaleLine, Payment, CreditEntry]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [*models, CreditPayment]):
                cursor.execute(sql)

    def _visit_figures(self, customers, events) -> None:
        for customer in customers:
            customer.update(visits=0, spent=Decimal(0), first=None, last=None, cashier=None)
            customer["updated"] = customer["joined"]
        for event in events:
            customer = customers[event[1]]
            customer["updated"] = event[0]
            if event[3] == "sale" and event[7][2] is None:  # voided sales are not visits
                customer["visits"] += 1
                customer["spent"] += event[4]
                customer["first"] = customer["first"] or event[0]
                customer["last"], customer["cashier"] = event[0], event[6]

    def _customer_rows(self, customers):
        columns = [
            "id",
            "name",
            "phone",
            "email",
            "address",
            "village",
            "tax_pin",
            "group_id",
            "send_sms",
            "latitude",
            "longitude",
            "notes",
            "credit_limit",
            "credit_balance",
            "first_visit_at",
            "last_visit_at",
            "total_visits",
            "total_spent",
            "last_cashier_id",
            "created_at",
            "updated_at",
        ]
        groups = {slug: group.pk for slug, group in self.groups.items()}

        def rows():
            for c in customers:
                yield (
                    c["id"], c["name"], c["phone"], "", "", c["village"], c["tax_pin"],
                    groups[c["group"]], c["send_sms"], None, None, "", c["credit_limit"],
                    c["balance"], _when(c["first"]), _when(c["last"]), c["visits"], c["spent"],
                    c["cashier"], _when(c["joined"] - 86400), _when(c["updated"]),
                )  # fmt: skip

        return columns, rows()

    def _cluster_rows(self, customers):
        def rows():
            for customer in customers:
                for index in customer["clusters"]:
                    yield customer["id"], self.clusters[index].pk

        return ["customer_id", "cluster_id"], rows()

    def _sale_rows(self, customers, events):
        columns = [
            "id",
            "customer_id",
            "cashier_id",
            "total",
            "payment_method",
            "price_list",
            "sold_at",
            "till_token",
            "voided_at",
            "voided_by_id",
            "void_reason",
        ]

        def rows():
            for event in events:
                if event[3] != "sale":
                    continue
                _lines, price_list, void = event[7]
                yield (
                    event[9], customers[event[1]]["id"], event[6], event[4], "credit", price_list,
                    _when(event[0]), None, _when(void[0]) if void else None,
                    self.manager.pk if void else None, void[1] if void else "",
                )  # fmt: skip

        return columns, rows()

    def _sale_line_rows(self, events):
        columns = [
            "sale_id",
            "product_id",
            "product_name",
            "product_code",
            "quantity",
            "unit_price",
            "line_total",
        ]
        self.sale_line_count = 0

        def rows():
            for event in events:
                if event[3] != "sale":
                    continue
                for product, quantity, price, line_total in event[7][0]:
                    self.sale_line_count += 1
                    yield (
                        event[9], product.pk, product.name, product.code, quantity, price,
                        line_total,
                    )  # fmt: skip

        return columns, rows()

    def _sale_payment_rows(self, events):
        columns = ["sale_id", "method", "amount", "mpesa_code", "received_at"]

        def rows():
            for event in events:
                if event[3] == "sale":
                    yield event[9], "credit", event[4], "", _when(event[0])

        return columns, rows()

    def _entry_rows(self, customers, events):
        columns = [
            "id",
            "customer_id",
            "kind",
            "amount",
            "balance_after",
            "sale_id",
            "reason",
            "created_by_id",
            "created_at",
        ]

        def rows():
            for event in events:
                kind, detail = event[3], event[7]
                if kind == "sale":
                    sale_id, reason = event[9], ""
                elif kind == "void":
                    sale_id, reason = detail[9], detail[7][2][1]
                else:
                    sale_id, reason = None, detail if kind == "adjustment" else ""
                yield (
                    event[8], customers[event[1]]["id"], kind, event[4], event[5], sale_id,
                    reason, event[6], _when(event[0]),
                )  # fmt: skip

        return columns, rows()

    def _credit_payment_rows(self, customers, events):
        columns = [
            "id",
            "customer_id",
            "entry_id",
            "method",
            "amount",
            "balance_before",
            "balance_after",
            "mpesa_code",
            "received_by_id",
            "received_at",
            "form_token",
        ]

        def rows():
            for event in events:
                if event[3] != "payment":
                    continue
                method, code = event[7]
                yield (
                    event[9], customers[event[1]]["id"], event[8], method, -event[4],
                    event[5] - event[4], event[5], code, event[6], _when(event[0]), None,
                )  # fmt: skip

        return columns, rows()

    def _mpesa_code_rows(self, events):
        def rows():
            for event in events:
                if event[3] == "payment" and event[7][0] == "mpesa":
                    yield event[7][1], "credit payment", _when(event[0])

        return ["code", "purpose", "recorded_at"], rows()


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _when(timestamp: float | None) -> datetime | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC)


def _copy(model, columns: list[str], rows) -> int:
    """COPY `rows` into the model's table in one transaction: the database checks every
    constraint (and, at commit, every foreign key) as the services' inserts would be checked."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    written = 0
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
            written += 1
    return written
