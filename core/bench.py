"""What the `make bench` commands share: a throwaway PostgreSQL database, and pages timed
through Django's test client as medians and p95 of repeated requests.

Benchmarks, not tests: these machines are shared and noisy, so speed is measured and reported
with medians and ratios side by side, never asserted by a timed unit test.
"""

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse


def require_postgresql(command: str) -> None:
    if connection.vendor != "postgresql":
        raise CommandError(
            f"{command} measures PostgreSQL, where the shop runs; this database is "
            f"{connection.vendor}. Run it as `make bench`, or with "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/backoffice_bench."
        )


@contextmanager
def throwaway_database(
    suffix: str, *, keep: bool, reuse: bool = False, log: Callable[[str], None]
) -> Iterator[bool]:
    """Switch the connection to `<NAME>_<suffix>`, created for the run and dropped after it; the
    database DATABASE_URL names is never written. Yields True when an earlier run's database
    was kept and is reused as it is (`reuse`, which implies `keep`)."""
    settings_dict = connection.settings_dict
    original_name = settings_dict["NAME"]
    bench_name = f"{original_name}_{suffix}"
    settings_dict["TEST"]["NAME"] = bench_name
    reused = False
    if reuse:
        # Through the server's maintenance database: the one DATABASE_URL names may not exist.
        with connection.creation._nodb_cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [bench_name])
            reused = cursor.fetchone() is not None
    try:
        if reused:
            log(f"Reusing the kept database {bench_name} (--reuse-database).")
            connection.close()
            settings_dict["NAME"] = bench_name
        else:
            log(f"Creating the throwaway database {bench_name}...")
            connection.creation.create_test_db(
                verbosity=0, autoclobber=True, serialize=False, keepdb=False
            )
        # Query logging (DEBUG) would add to every timed request; production runs without.
        with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"]):
            yield reused
    finally:
        # Only ever drop the database this run switched to.
        if connection.settings_dict["NAME"] == bench_name != original_name:
            if keep or reuse:
                log(f"Kept {bench_name}.")
                connection.close()
                settings_dict["NAME"] = original_name
            else:
                connection.creation.destroy_test_db(original_name, verbosity=0)
                log(f"Dropped {bench_name}.")


def percentile(sorted_samples: list[float], percent: int) -> float:
    if len(sorted_samples) == 1:
        return sorted_samples[0]
    return statistics.quantiles(sorted_samples, n=100, method="inclusive")[percent - 1]


def met(row: dict, target_ms: float, key: str = "median_ms") -> bool:
    return row.get(key) is not None and row[key] <= target_ms


def ms_text(value) -> str:
    return "no measurement" if value is None else f"{value:,.1f} ms"


class PageTimer:
    """Times GET requests through a logged-in test client, each body read to its last byte."""

    def __init__(self, client, *, repeat: int, log: Callable[[str], None]):
        self.client = client
        self.repeat = repeat
        self.log = log

    def get(self, url: str, params: dict) -> tuple[float, int, int, int]:
        """One request: (ms, status, bytes, lines)."""
        before = time.perf_counter()
        response = self.client.get(url, params)
        size = lines = 0
        for chunk in response.streaming_content if response.streaming else [response.content]:
            size += len(chunk)
            lines += chunk.count(b"\n")
        ms = (time.perf_counter() - before) * 1000
        response.close()
        return ms, response.status_code, size, lines

    def measure(self, label: str, url_name: str, params: dict, *, args=()) -> dict:
        """One untimed request (warms caches, counts queries and CSV rows), then `repeat` timed
        ones: median, p95, min and max in ms. A failing page is reported, not fatal."""
        url = reverse(url_name, args=args)
        row = {"label": label, "url": url_name, "params": params, "median_ms": None}
        try:
            with CaptureQueriesContext(connection) as queries:
                _ms, status, size, lines = self.get(url, params)
            row.update(status=status, bytes=size, queries=len(queries.captured_queries))
            if url_name.endswith("_export"):
                row["rows"] = max(lines - 1, 0)  # less the header
            if status != 200:
                row["error"] = f"HTTP {status}"
                return row
            samples = sorted(self.get(url, params)[0] for _ in range(self.repeat))
        except Exception as error:  # noqa: BLE001 - reported beside the other figures
            row["error"] = f"{type(error).__name__}: {error}"[:200]
            return row
        row.update(
            median_ms=round(statistics.median(samples), 1),
            p95_ms=round(percentile(samples, 95), 1),
            min_ms=round(samples[0], 1),
            max_ms=round(samples[-1], 1),
        )
        return row

    def explain(self, label: str, url_name: str, params: dict, *, args=(), write) -> None:
        """Each query of one request, slowest first, with PostgreSQL's plan (to `write`)."""
        captured = []

        def capture(execute, sql, params_, many, context):
            before = time.perf_counter()
            result = execute(sql, params_, many, context)
            captured.append((sql, params_, (time.perf_counter() - before) * 1000))
            return result

        with connection.execute_wrapper(capture):
            try:
                self.get(reverse(url_name, args=args), params)
            except Exception as error:  # noqa: BLE001
                write(f"{label}: {type(error).__name__}: {error}")
                return
        write(f"\n=== {label}: {len(captured)} queries ===")
        for sql, query_params, ms in sorted(captured, key=lambda item: -item[2])[:6]:
            write(f"\n--- {ms:.1f} ms: {sql[:300]}")
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, query_params)
                write("\n".join(line for (line,) in cursor.fetchall()))
