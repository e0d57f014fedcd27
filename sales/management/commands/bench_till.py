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
import string
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from core.bench import require_postgresql, run_facts, throwaway_database
from core.bench_data import shop, till
from sales.models import PaymentMethod
from sales.services import sale_complete

LEVELS = (1, 4, 16)
TARGET_CONCURRENCY = 16
TARGET_P95_MS = 50.0
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
        require_postgresql("bench_till")
        if options["sales_per_level"] < max(LEVELS):
            raise CommandError(f"--sales-per-level must be at least {max(LEVELS)}.")
        if options["customers"] < 1 or options["warmup"] < 0 or options["processes"] < 1:
            raise CommandError(
                "--customers and --processes must be at least 1, --warmup not negative."
            )
        with throwaway_database("bench_tmp", keep=False, log=self.stderr.write):
            self.stderr.write(
                f"Seeding {till.PRODUCTS} products and {options['customers']} customers..."
            )
            shop.reference_data(cluster_count=0)
            till.seed_world(options["customers"], seed=options["seed"])
            load = TillLoad(
                till.world(),
                sales_per_level=options["sales_per_level"],
                warmup=options["warmup"],
                seed=options["seed"],
                processes=options["processes"],
                log=self.stderr.write,
            )
            results = {
                **run_facts(),
                "customers": options["customers"],
                "products": till.PRODUCTS,
                **load.run(),
            }
        report(results, self.stdout, self.style)
        if options["json"]:
            Path(options["json"]).write_text(json.dumps(results, indent=2) + "\n")
            self.stderr.write(f"Wrote {options['json']}.")


class TillLoad:
    """Cashiers completing sales as fast as they can at each level of concurrency, each a
    thread with its own connection, spread over worker processes as the web server runs them;
    every `sale_complete` call timed. `world` is core.bench_data.till.world()."""

    def __init__(self, world: dict, *, sales_per_level, warmup, seed, processes, log):
        if len(world["cashiers"]) < max(LEVELS):
            raise CommandError(f"The till needs {max(LEVELS)} cashiers.")
        self.world = world
        self.sales_per_level = sales_per_level
        self.warmup = warmup
        self.seed = seed
        self.processes = processes
        self.log = log
        # M-Pesa codes are unique for ever: this run's start with its own three characters, so
        # a database kept from an earlier run (bench --reuse-database) takes them too.
        alphabet = string.ascii_uppercase
        self.code_prefix = "".join(random.SystemRandom().choice(alphabet) for _ in range(3))

    def run(self) -> dict:
        connection.close()
        levels = []
        for level in LEVELS:
            self.log(f"{level} cashier(s): {self.sales_per_level} sales...")
            levels.append(self._level(level))
        base = levels[0]
        for row in levels:
            row["median_ratio"] = round(row["median_ms"] / base["median_ms"], 2)
            row["p95_ratio"] = round(row["p95_ms"] / base["p95_ms"], 2)
        at_target = next(row for row in levels if row["concurrency"] == TARGET_CONCURRENCY)
        return {
            "processes": self.processes,
            "sales_per_level": self.sales_per_level,
            "warmup_per_cashier": self.warmup,
            "levels": levels,
            "target": {
                "concurrency": TARGET_CONCURRENCY,
                "p95_ms": TARGET_P95_MS,
                "measured_p95_ms": at_target["p95_ms"],
                "met": at_target["p95_ms"] <= TARGET_P95_MS,
            },
        }

    def _sale(self, rng: random.Random, cashier, mpesa_code) -> dict:
        """One till form: 1-4 lines; 60% to a customer (30% of those with credit on credit),
        otherwise a walk-in; cash or M-Pesa."""
        world = self.world
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

    def _level(self, level) -> dict:
        total, processes = self.sales_per_level, self.processes
        counts = [total // level + (1 if index < total % level else 0) for index in range(level)]
        # Cashier i runs in worker process i % processes, as a server spreads its requests.
        groups = [list(range(first, level, processes)) for first in range(min(processes, level))]
        run = {"level": level, "counts": counts}
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
        level = run["level"]
        stop = threading.Event()
        samples: list[float] = []
        spans: list[tuple[float, float]] = []
        errors: list[str] = []

        def cashier(index):
            rng = random.Random(f"{self.seed}-{level}-{index}")
            user = self.world["cashiers"][index]
            numbers = itertools.count(1)
            # Ten characters, unique across runs, levels, cashiers and worker processes: the
            # run's prefix, the cashier's place among all levels' cashiers (0-20), a number.
            place = sum(lower for lower in LEVELS if lower < level) + index
            mpesa_code = lambda: f"{self.code_prefix}{place:02d}{next(numbers):05d}"  # noqa: E731
            try:
                for _ in range(self.warmup):
                    sale_complete(**self._sale(rng, user, mpesa_code))
                barrier.wait()
                started = time.perf_counter()
                for _ in range(run["counts"][index]):
                    if stop.is_set():
                        return
                    form = self._sale(rng, user, mpesa_code)
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


# --- report ------------------------------------------------------------------------------------


def report(results: dict, out, style) -> None:
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
    paint = style.SUCCESS if target["met"] else style.ERROR
    out.write(
        paint(
            f"target p95 <= {target['p95_ms']:g} ms at {target['concurrency']}: {verdict} "
            f"(p95 {target['measured_p95_ms']:.2f} ms)"
        )
    )
