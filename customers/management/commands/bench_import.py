"""`make bench-import`: customer import throughput on PostgreSQL, in rows per second.

A file of our template's columns (real-shaped: every column, clusters, groups, locations,
Tax PINs and opening figures on some rows) is read, previewed and imported into a throwaway
database; then imported again with every village changed (all updates) and a third time as it
is (all unchanged). Each round (`--repeat`, 3) brings new customers into the database the earlier
rounds filled; medians are reported beside the slowest round, as ratios to the target: >= 2,000
rows a second for the import itself.
"""

import csv
import io
import json
import random
import statistics
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand

from core.bench import require_postgresql, throwaway_database
from core.tabular import read_sheet
from customers.importing import TEMPLATE_COLUMNS, customer_import
from customers.models import Cluster, Customer

TARGET_ROWS_PER_SECOND = 2000
CLUSTERS = 200
VILLAGES = ("Mwingi", "Kyuso", "Tseikuru", "Migwani", "Nguni", "Kitui", "Mutomo", "Ikutha")
GROUPS = ("Regular", "Walk-in", "Corporate")
STEPS = ("preview", "import")


def template_file(rows: int, *, seed: int, first: int = 0, village_suffix: str = "") -> bytes:
    """A CSV of our template's columns, as a shop's spreadsheet might hold them: customers
    number `first` to `first + rows - 1` (their phones and Tax PINs)."""
    chance = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column for column, _attribute in TEMPLATE_COLUMNS])
    for n in range(first, first + rows):
        located = chance.random() < 0.4
        has_pin = chance.random() < 0.1
        opening = chance.random() < 0.3
        clusters = chance.sample(range(CLUSTERS), chance.choice((0, 1, 1, 2)))
        first_day = f"2024-{chance.randint(1, 12):02d}-{chance.randint(1, 28):02d}"
        writer.writerow(
            [
                f"Customer {n:06d}",
                f"07{n:08d}" if n % 2 else f"+254 11{n:07d}",
                f"customer{n}@example.com" if chance.random() < 0.05 else "",
                f"Box {chance.randint(1, 999)}",
                chance.choice(VILLAGES) + village_suffix,
                f"A{n:09d}Z" if has_pin else "",
                "; ".join(f"Cluster {c:03d}" for c in clusters),
                chance.choice(GROUPS),
                chance.choice(("Yes", "No")),
                f"{chance.uniform(-1.5, 0.5):.6f}" if located else "",
                f"{chance.uniform(37.5, 38.9):.6f}" if located else "",
                "From the old book" if chance.random() < 0.1 else "",
                str(chance.randint(1, 60)) if opening else "",
                f"{chance.randint(100, 90000)}.00" if opening else "",
                first_day if opening else "",
                "2025-06-30" if opening else "",
            ]
        )
    return buffer.getvalue().encode()


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000, help="Rows in the file (100000).")
        parser.add_argument("--repeat", type=int, default=3, help="Rounds, each new rows (3).")
        parser.add_argument("--json", metavar="PATH", help="Also write the results here as JSON.")
        parser.add_argument(
            "--keep-database", action="store_true", help="Leave the throwaway database in place."
        )

    def log(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def handle(self, *args, **options):
        require_postgresql("bench_import")
        with throwaway_database("import", keep=options["keep_database"], log=self.log):
            results = self._run(options["rows"], max(1, options["repeat"]))
        self._print(results)
        if options["json"]:
            Path(options["json"]).write_text(json.dumps(results, indent=2) + "\n")
            self.log(f"Wrote {options['json']}.")

    def _run(self, rows: int, repeat: int) -> dict:
        manager = get_user_model().objects.create_user("bench-manager", password="unused")
        Cluster.objects.bulk_create(Cluster(name=f"Cluster {n:03d}") for n in range(CLUSTERS))
        files = [
            ("new customers", "new", ""),
            ("every row an update (village changed)", "update", " West"),
            ("the same file again (all unchanged)", "unchanged", " West"),
        ]
        seconds = {(label, step): [] for label, _e, _s in files for step in STEPS}
        for round_number in range(repeat):
            for label, expected, village_suffix in files:
                first = round_number * rows  # each round's customers are new
                content = template_file(
                    rows, seed=round_number, first=first, village_suffix=village_suffix
                )
                self.log(
                    f"round {round_number + 1} of {repeat}, {label}: {rows:,} rows "
                    f"({len(content) / 1e6:.1f} MB)..."
                )
                for step in STEPS:
                    seconds[label, step].append(
                        self._timed(content, expected, confirm=step == "import", actor=manager)
                    )
        results = {
            "rows": rows,
            "rounds": repeat,
            "target_rows_per_second": TARGET_ROWS_PER_SECOND,
            "customers": Customer.objects.count(),
            "runs": [],
        }
        for label, expected, _suffix in files:
            run = {"label": label, "expected": expected}
            for step in STEPS:
                rates = sorted(round(rows / s) for s in seconds[label, step])
                run[step] = {
                    "rows_per_second_median": round(statistics.median(rates)),
                    "rows_per_second_slowest": rates[0],
                    "seconds_median": round(statistics.median(seconds[label, step]), 2),
                    "ratio_to_target": round(statistics.median(rates) / TARGET_ROWS_PER_SECOND, 2),
                }
            results["runs"].append(run)
        return results

    def _timed(self, content: bytes, expected: str, *, confirm: bool, actor) -> float:
        """Seconds to read and preview (or import) the file; every row must come out `expected`."""
        before = time.perf_counter()
        sheet = read_sheet(SimpleUploadedFile("customers.csv", content))
        report = customer_import(sheet, actor=actor, confirm=confirm, create_clusters=False)
        seconds = time.perf_counter() - before
        if report.count(expected) != len(report.rows) or (confirm and not report.written):
            errors = [row.errors for row in report.errors[:3]]
            raise RuntimeError(f"not every row {expected} ({confirm=}): {errors}")
        return seconds

    def _print(self, results: dict) -> None:
        target = results["target_rows_per_second"]
        self.log("")
        self.log(
            f"Customer import, {results['rows']:,} rows, PostgreSQL, median of "
            f"{results['rounds']} rounds (slowest round in brackets); target >= {target:,} rows/s"
        )
        self.log(f"{'file':<40} {'preview rows/s':>18} {'import rows/s':>18} {'x target':>9}  met")
        for run in results["runs"]:
            preview, imported = run["preview"], run["import"]
            self.log(
                f"{run['label']:<40} {self._rates(preview)} {self._rates(imported)} "
                f"{imported['ratio_to_target']:>9.2f}  "
                f"{'yes' if imported['rows_per_second_median'] >= target else 'NO'}"
            )
        self.log(f"Customers in the database at the end: {results['customers']:,}.")

    @staticmethod
    def _rates(step: dict) -> str:
        return f"{step['rows_per_second_median']:>8,} ({step['rows_per_second_slowest']:>7,})"
