"""`manage.py bench_exports` (`make bench-exports`): the customer CSV exports at 1,000,000
customers on PostgreSQL, in a throwaway database (customers.bench does the seeding and measuring).
"""

import json
import time
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone

from core.bench import require_postgresql, throwaway_database
from customers.bench import (
    TARGET_FIRST_ROW_SECONDS,
    TARGET_MEMORY_GROWTH_MB,
    TARGET_ROWS_PER_SECOND,
    measure_exports,
    seed_customers,
)
from customers.models import Customer


class Command(BaseCommand):
    help = (
        "Benchmark the customer exports (the table's CSV, the SMS upload) on PostgreSQL at "
        "1,000,000 customers written into a throwaway database (<NAME>_exports_bench_tmp, "
        "created and dropped by this command): rows a second, time to the first row and memory "
        "growth, beside django-import-export's own export() and the instance path used before. "
        f"Targets: >= {TARGET_ROWS_PER_SECOND:,} rows/s, first row <= "
        f"{TARGET_FIRST_ROW_SECONDS:g} s, memory <= {TARGET_MEMORY_GROWTH_MB} MB above idle."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=1_000_000, help="(1000000)")
        parser.add_argument("--repeat", type=int, default=3, help="Downloads of each export (3).")
        parser.add_argument(
            "--reference-rows",
            type=int,
            default=100_000,
            help="Rows for the two references (100000; 0: every row). django-import-export's "
            "export() pages through a prefetching queryset with OFFSET, slower with every page.",
        )
        parser.add_argument("--seed", type=float, default=0.42, help="Random seed, -1..1 (0.42).")
        parser.add_argument("--json", metavar="PATH", help="Also write the results here as JSON.")
        parser.add_argument(
            "--keep-database", action="store_true", help="Leave the throwaway database in place."
        )
        parser.add_argument(
            "--reuse-database",
            action="store_true",
            help="Measure the database an earlier --keep-database run left, without seeding.",
        )

    def log(self, message: str) -> None:
        self.stderr.write(message)

    def handle(self, *args, **options):
        require_postgresql("bench_exports")
        if options["customers"] < 1 or options["repeat"] < 1:
            raise CommandError("Give at least one customer and one repeat.")
        with throwaway_database(
            "exports_bench_tmp",
            keep=options["keep_database"],
            reuse=options["reuse_database"],
            log=self.log,
        ) as reused:
            started = time.perf_counter()
            if not reused:
                seed_customers(options["customers"], seed=options["seed"], log=self.log)
            seed_seconds = None if reused else round(time.perf_counter() - started, 1)
            client = Client()
            client.force_login(User.objects.get(username="bench-manager"))
            results = measure_exports(
                client,
                repeat=options["repeat"],
                reference_rows=options["reference_rows"] or None,
                log=self.log,
            )
            with connection.cursor() as cursor:
                cursor.execute("SELECT version()")
                results["server"] = cursor.fetchone()[0].split(" on ")[0]
            results.update(
                measured_at=timezone.now().isoformat(timespec="seconds"),
                customers=Customer.objects.count(),
                seed_seconds=seed_seconds,
            )
        self._report(results)
        if options["json"]:
            Path(options["json"]).write_text(json.dumps(results, indent=2) + "\n")
            self.log(f"Wrote {options['json']}.")

    def _report(self, results: dict) -> None:
        out = self.stdout
        load = results["load_average_1_5_15_min"]
        out.write("")
        out.write(
            f"Customer exports: {results['customers']:,} customers; {results['server']}; "
            f"{results['cpu_count']} CPUs, load {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}"
        )
        if results["seed_seconds"] is not None:
            out.write(f"Seeded in {results['seed_seconds']:.0f} s.")
        out.write(
            f"Each export downloaded {results['repeat']} times through the Django test client, "
            "body read chunk by chunk; median (slowest). Memory: peak RSS above the RSS before."
        )
        header = (
            f"{'export':<40} {'rows':>9} {'rows/s':>17} {'first row ms':>14} {'first byte ms':>13}"
            f" {'MB up':>6} {'queries':>7} {'x stock':>8} {'x before':>8}"
        )
        out.write(header)
        out.write("-" * len(header))
        for row in results["exports"]:
            slowest_rate = round(row["rows"] / row["seconds_slowest"])
            out.write(
                f"{row['label']:<40} {row['rows']:>9,} "
                f"{row['rows_per_second_median']:>8,} ({slowest_rate:>6,}) "
                f"{row.get('first_row_ms_median', 0):>6} ({row.get('first_row_ms_slowest', 0):>5}) "
                f"{row.get('first_byte_ms_median', 0):>13} {row['memory_growth_mb_max']:>6.1f} "
                f"{row['queries']:>7} {row.get('x_stock', '-'):>8} {row.get('x_before', '-'):>8}"
            )
        rows = results["reference_rows"]
        out.write("")
        out.write(f"References, {'every row' if rows is None else f'the first {rows:,} rows'}:")
        for row in results["references"]:
            out.write(
                f"  {row['label']:<52} {row['rows']:>9,} rows "
                f"{row['rows_per_second_median']:>8,} rows/s, {row['seconds_median']:>7.2f} s, "
                f"memory up {row['memory_growth_mb_max']:>7.1f} MB"
            )
        failed = []
        for row in results["exports"]:
            missed = [name for name, met in row["targets_met"].items() if not met]
            if missed:
                failed.append(f"{row['label'].strip()} ({', '.join(missed)})")
        targets = results["targets"]
        text = (
            f"Targets >= {targets['rows_per_second']:,} rows/s, first row <= "
            f"{targets['first_row_ms']:g} ms, memory <= {targets['memory_growth_mb']} MB: "
            + ("met by every export" if not failed else "NOT met by " + "; ".join(failed))
        )
        out.write((self.style.ERROR if failed else self.style.SUCCESS)(text))
