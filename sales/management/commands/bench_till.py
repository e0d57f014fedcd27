"""`manage.py bench_till` (`make bench`): sale-commit latency with 1, 4 and 16 cashiers at once.

A benchmark, not a test: these machines are shared and noisy, so speed is measured here, with
medians and ratios side by side, and never asserted by a timed unit test.
"""

import itertools
import json
import multiprocessing
import os
import random
import statistics
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone

from core.roles import CASHIER
from customers.models import CustomerGroup
from customers.services import customer_create
from sales.models import PaymentMethod
from sales.services import product_create, sale_complete

LEVELS = (1, 4, 16)
TARGET_CONCURRENCY = 16
TARGET_P95_MS = 50.0
PRODUCTS = 60
# Generous enough that no credit sale in a run is refused: every timed call records a sale.
CREDIT_LIMIT = Decimal("10000000")
CASH_TENDERED = Decimal("1000000")
QUANTITIES = [Decimal(q) for q in ("1", "1", "1", "2", "3", "0.5", "1.5", "12")]


class Command(BaseCommand):
    help = (
        "Benchmark the till on PostgreSQL: how long completing one sale takes (one call of "
        "sales.services.sale_complete, which is one transaction and one commit) with 1, 4 and "
        "16 cashiers selling at once, each in its own thread with its own connection, spread "
        "over worker processes as the web server runs them (--processes, one per CPU). Runs in a "
        "throwaway database (<NAME>_bench_tmp, created and dropped by this command; the database "
        "DATABASE_URL names is never written), seeded with products and customers through the "
        "services. Reports median, p95 and p99 latency in ms, throughput, and the median and "
        f"p95 as a ratio to the one-cashier level; the target is p95 <= {TARGET_P95_MS:g} ms "
        f"at {TARGET_CONCURRENCY} cashiers. Sales mix: cash, M-Pesa and credit, to customers "
        "and walk-ins, 1-4 lines each."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--sales-per-level",
            type=int,
            default=400,
            help="Timed sales at each concurrency level, split between the cashiers (400).",
        )
        parser.add_argument("--customers", type=int, default=300, help="Customers to seed (300).")
        parser.add_argument(
            "--warmup",
            type=int,
            default=3,
            help="Untimed sales per cashier before each level (3): connections open, caches warm.",
        )
        parser.add_argument("--json", metavar="PATH", help="Also write the results here as JSON.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed of the sales mix (1).")
        parser.add_argument(
            "--processes",
            type=int,
            default=os.cpu_count() or 1,
            help=(
                "Worker processes the cashiers are spread over, as a web server runs one worker "
                "per CPU (default: the CPU count). 1 puts every cashier in one Python process."
            ),
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "bench_till measures PostgreSQL, where the shop runs; this database is "
                f"{connection.vendor}. Run it as `make bench`, or with "
                "DATABASE_URL=postgres://postgres@127.0.0.1:5432/backoffice_bench."
            )
        if options["sales_per_level"] < max(LEVELS):
            raise CommandError(f"--sales-per-level must be at least {max(LEVELS)}.")
        if options["customers"] < 1 or options["warmup"] < 0 or options["processes"] < 1:
            raise CommandError(
                "--customers and --processes must be at least 1, --warmup not negative."
            )

        settings_dict = connection.settings_dict
        original_name = settings_dict["NAME"]
        bench_name = f"{original_name}_bench_tmp"
        settings_dict["TEST"]["NAME"] = bench_name
        self.stderr.write(f"Creating the throwaway database {bench_name}...")
        try:
            connection.creation.create_test_db(
                verbosity=0, autoclobber=True, serialize=False, keepdb=False
            )
            # Query logging (DEBUG) would add to every timed call; production runs without it.
            with override_settings(DEBUG=False):
                results = self._run(options)
        finally:
            # Only ever drop the database this command created.
            if connection.settings_dict["NAME"] == bench_name != original_name:
                connection.creation.destroy_test_db(original_name, verbosity=0)
                self.stderr.write(f"Dropped {bench_name}.")

        self._report(results)
        if options["json"]:
            Path(options["json"]).write_text(json.dumps(results, indent=2) + "\n")
            self.stderr.write(f"Wrote {options['json']}.")

    # --- seeding and running -----------------------------------------------------------------

    def _run(self, options) -> dict:
        self.stderr.write(f"Seeding {PRODUCTS} products and {options['customers']} customers...")
        world = self._seed(options["customers"], max(LEVELS), random.Random(options["seed"]))
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            server = cursor.fetchone()[0]
        connection.close()

        levels = []
        for level in LEVELS:
            self.stderr.write(f"{level} cashier(s): {options['sales_per_level']} sales...")
            levels.append(
                self._level(
                    level,
                    total=options["sales_per_level"],
                    warmup=options["warmup"],
                    world=world,
                    seed=options["seed"],
                    processes=options["processes"],
                )
            )
        base = levels[0]
        for row in levels:
            row["median_ratio"] = round(row["median_ms"] / base["median_ms"], 2)
            row["p95_ratio"] = round(row["p95_ms"] / base["p95_ms"], 2)
        at_target = next(row for row in levels if row["concurrency"] == TARGET_CONCURRENCY)
        return {
            "measured_at": timezone.now().isoformat(timespec="seconds"),
            "server": server,
            "cpu_count": os.cpu_count(),
            "processes": options["processes"],
            "sales_per_level": options["sales_per_level"],
            "customers": options["customers"],
            "products": PRODUCTS,
            "warmup_per_cashier": options["warmup"],
            "levels": levels,
            "target": {
                "concurrency": TARGET_CONCURRENCY,
                "p95_ms": TARGET_P95_MS,
                "measured_p95_ms": at_target["p95_ms"],
                "met": at_target["p95_ms"] <= TARGET_P95_MS,
            },
        }

    def _seed(self, customer_count: int, cashier_count: int, rng: random.Random) -> dict:
        manager = User.objects.create_user("bench-manager", password=None)
        cashier_role = Group.objects.filter(name=CASHIER).first()
        cashiers = []
        for number in range(cashier_count):
            user = User.objects.create_user(f"bench-cashier-{number:02d}", password=None)
            if cashier_role is not None:
                user.groups.add(cashier_role)
            cashiers.append(user)
        products = []
        for number in range(PRODUCTS):
            retail = Decimal(rng.randrange(2000, 500000)) / 100
            product = product_create(
                actor=manager,
                name=f"Bench product {number}",
                code=f"BENCH{number:04d}",
                retail_price=retail,
                wholesale_price=(retail * Decimal("0.9")).quantize(Decimal("0.01")),
            )
            products.append(product.pk)
        wholesale = CustomerGroup.objects.filter(slug="wholesale").first()
        customers = []
        for number in range(customer_count):
            on_credit = number % 3 == 0
            customer = customer_create(
                actor=manager,
                name=f"Bench customer {number}",
                phone=f"+2547{10000000 + number:08d}",
                village="Mwingi",
                group=wholesale if wholesale is not None and number % 10 == 0 else None,
                credit_limit=CREDIT_LIMIT if on_credit else Decimal("0"),
            )
            customers.append((customer.pk, on_credit))
        return {"cashiers": cashiers, "products": products, "customers": customers}

    def _sale(self, rng: random.Random, world: dict, cashier, mpesa_code) -> dict:
        """One till form: 1-4 lines; 60% to a customer (30% of those with credit on credit),
        otherwise a walk-in; cash or M-Pesa."""
        lines = [
            (product, rng.choice(QUANTITIES))
            for product in rng.sample(world["products"], rng.randint(1, 4))
        ]
        customer, on_credit = (None, False)
        if rng.random() < 0.6:
            customer, on_credit = rng.choice(world["customers"])
        if on_credit and rng.random() < 0.3:
            method = PaymentMethod.CREDIT
        else:
            method = PaymentMethod.CASH if rng.random() < 0.55 else PaymentMethod.MPESA
        return {
            "cashier": cashier,
            "customer": customer,
            "lines": lines,
            "payment_method": method,
            "cash_tendered": CASH_TENDERED if method == PaymentMethod.CASH else None,
            "mpesa_code": mpesa_code() if method == PaymentMethod.MPESA else "",
            "till_token": uuid.uuid4(),
        }

    def _level(self, level, *, total, warmup, world, seed, processes) -> dict:
        counts = [total // level + (1 if index < total % level else 0) for index in range(level)]
        # Cashier i runs in worker process i % processes, as a server spreads its requests.
        groups = [list(range(first, level, processes)) for first in range(min(processes, level))]
        run = {"level": level, "counts": counts, "warmup": warmup, "world": world, "seed": seed}
        if len(groups) == 1:
            outcomes = [self._cashiers(groups[0], threading.Barrier(level), run)]
        else:
            context = multiprocessing.get_context("fork")
            barrier, queue = context.Barrier(level), context.Queue()
            connection.close()  # each worker opens its own; a forked socket must not be shared
            workers = [
                context.Process(target=self._worker, args=(group, barrier, run, queue))
                for group in groups
            ]
            for worker in workers:
                worker.start()
            outcomes = [queue.get() for _ in workers]
            for worker in workers:
                worker.join()
        errors = [error for outcome in outcomes for error in outcome["errors"]]
        if errors:
            raise CommandError(f"a cashier failed at {level} concurrent: {errors[0]}")

        latencies = sorted(ms for outcome in outcomes for ms in outcome["samples"])
        spans = [span for outcome in outcomes for span in outcome["spans"]]
        percentiles = statistics.quantiles(latencies, n=100, method="inclusive")
        # perf_counter is the system's monotonic clock, the same in every worker process.
        wall = max(end for _, end in spans) - min(start for start, _ in spans)
        return {
            "concurrency": level,
            "processes": len(groups),
            "sales": len(latencies),
            "median_ms": round(statistics.median(latencies), 2),
            "p95_ms": round(percentiles[94], 2),
            "p99_ms": round(percentiles[98], 2),
            "max_ms": round(latencies[-1], 2),
            "sales_per_s": round(len(latencies) / wall, 1),
        }

    def _worker(self, indices, barrier, run, queue) -> None:
        """A forked worker process: its cashiers' results go back to the parent by `queue`."""
        try:
            queue.put(self._cashiers(indices, barrier, run))
        except BaseException as error:  # noqa: BLE001 - reported to the parent, which fails
            queue.put({"samples": [], "spans": [], "errors": [f"{type(error).__name__}: {error}"]})

    def _cashiers(self, indices, barrier, run) -> dict:
        """Cashiers `indices`, each a thread with its own connection, selling back to back."""
        level, world = run["level"], run["world"]
        stop = threading.Event()
        samples: list[float] = []
        spans: list[tuple[float, float]] = []
        errors: list[str] = []

        def cashier(index):
            rng = random.Random(f"{run['seed']}-{level}-{index}")
            user = world["cashiers"][index]
            numbers = itertools.count(1)
            # Ten characters, unique across cashiers, levels and worker processes.
            mpesa_code = lambda: f"{level:02d}{index:02d}{next(numbers):06d}"  # noqa: E731
            try:
                for _ in range(run["warmup"]):
                    sale_complete(**self._sale(rng, world, user, mpesa_code))
                barrier.wait()
                started = time.perf_counter()
                for _ in range(run["counts"][index]):
                    if stop.is_set():
                        return
                    form = self._sale(rng, world, user, mpesa_code)
                    before = time.perf_counter()
                    sale_complete(**form)
                    samples.append((time.perf_counter() - before) * 1000)
                spans.append((started, time.perf_counter()))
            except threading.BrokenBarrierError:
                pass  # another cashier failed first; its error is the one to report
            except BaseException as error:  # noqa: BLE001 - reported, then the run fails
                errors.append(f"{type(error).__name__}: {error}")
                stop.set()
                barrier.abort()
            finally:
                connection.close()

        threads = [
            threading.Thread(target=cashier, args=(index,), name=f"bench-{index}", daemon=True)
            for index in indices
        ]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            # Interrupted (Ctrl-C): let each cashier finish the sale in hand and close its
            # connection, so the throwaway database can be dropped.
            stop.set()
            for thread in threads:
                thread.join()
        return {"samples": samples, "spans": spans, "errors": errors}

    # --- report ------------------------------------------------------------------------------

    def _report(self, results: dict) -> None:
        out = self.stdout
        out.write("")
        out.write(
            "Till: sale-commit latency (one sale_complete call = one transaction), "
            f"{results['sales_per_level']} sales per level, {results['customers']} customers, "
            f"{results['cpu_count']} CPUs, cashiers spread over up to {results['processes']} "
            "worker processes"
        )
        out.write(results["server"].split(" on ")[0])
        header = (
            f"{'cashiers':>8}  {'sales':>5}  {'median ms':>9}  {'p95 ms':>7}  {'p99 ms':>7}  "
            f"{'sales/s':>7}  {'median x1':>9}  {'p95 x1':>6}"
        )
        out.write(header)
        out.write("-" * len(header))
        for row in results["levels"]:
            out.write(
                f"{row['concurrency']:>8}  {row['sales']:>5}  {row['median_ms']:>9.2f}  "
                f"{row['p95_ms']:>7.2f}  {row['p99_ms']:>7.2f}  {row['sales_per_s']:>7.1f}  "
                f"{row['median_ratio']:>9.2f}  {row['p95_ratio']:>6.2f}"
            )
        target = results["target"]
        verdict = "met" if target["met"] else "NOT met"
        style = self.style.SUCCESS if target["met"] else self.style.ERROR
        out.write(
            style(
                f"target p95 <= {target['p95_ms']:g} ms at {target['concurrency']}: {verdict} "
                f"(p95 {target['measured_p95_ms']:.2f} ms)"
            )
        )
