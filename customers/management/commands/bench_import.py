"""`make bench-import`: customer import throughput on PostgreSQL, in rows per second.

A file of our template's columns (real-shaped: every column, clusters, groups, locations,
Tax PINs and opening figures on some rows) is read, previewed and imported into a throwaway
database; then imported again with every village changed (all updates) and a third time as it
is (all unchanged). Target: >= 2,000 rows a second for the import itself.
"""

import csv
import io
import json
import random
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


def template_file(rows: int, *, seed: int, village_suffix: str = "") -> bytes:
    """A CSV of our template's columns, as a shop's spreadsheet might hold them."""
    chance = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column for column, _attribute in TEMPLATE_COLUMNS])
    for n in range(rows):
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
            results = self._run(options["rows"])
        self._print(results)
        if options["json"]:
            Path(options["json"]).write_text(json.dumps(results, indent=2) + "\n")
            self.log(f"Wrote {options['json']}.")

    def _run(self, rows: int) -> dict:
        manager = get_user_model().objects.create_user("bench-manager", password="unused")
        Cluster.objects.bulk_create(Cluster(name=f"Cluster {n:03d}") for n in range(CLUSTERS))
        first = template_file(rows, seed=1)
        changed = template_file(rows, seed=1, village_suffix=" West")
        runs = [
            ("new customers", first, "new"),
            ("every row an update (village changed)", changed, "update"),
            ("the same file again (all unchanged)", changed, "unchanged"),
        ]
        results = {"rows": rows, "target_rows_per_second": TARGET_ROWS_PER_SECOND, "runs": []}
        for label, content, expected in runs:
            self.log(f"{label}: {rows:,} rows ({len(content) / 1e6:.1f} MB)...")
            timings = {}
            for step, confirm in (("preview", False), ("import", True)):
                before = time.perf_counter()
                sheet = read_sheet(SimpleUploadedFile("customers.csv", content))
                report = customer_import(
                    sheet, actor=manager, confirm=confirm, create_clusters=False
                )
                seconds = time.perf_counter() - before
                if report.count(expected) != rows or (confirm and not report.written):
                    errors = [row.errors for row in report.errors[:3]]
                    raise RuntimeError(f"{label} {step}: not every row {expected}: {errors}")
                timings[step] = {
                    "seconds": round(seconds, 2),
                    "rows_per_second": round(rows / seconds),
                }
            results["runs"].append({"label": label, "expected": expected, **timings})
        results["customers"] = Customer.objects.count()
        return results

    def _print(self, results: dict) -> None:
        target = results["target_rows_per_second"]
        self.log("")
        self.log(f"Customer import, {results['rows']:,} rows, PostgreSQL (target >= {target:,}/s)")
        self.log(f"{'file':<42} {'preview rows/s':>15} {'import rows/s':>14} {'import s':>9}  met")
        for run in results["runs"]:
            preview, imported = run["preview"], run["import"]
            self.log(
                f"{run['label']:<42} {preview['rows_per_second']:>15,} "
                f"{imported['rows_per_second']:>14,} {imported['seconds']:>9.1f}  "
                f"{'yes' if imported['rows_per_second'] >= target else 'NO'}"
            )
