"""What the `make bench` commands share: a throwaway PostgreSQL database; pages timed through
Django's test client, and through HTTP from a server in a thread, as medians and p95 of repeated
requests; streamed exports timed to their first byte and last, with the memory they took.

Benchmarks, not tests: these machines are shared and noisy, so speed is measured and reported
with medians and ratios side by side, never asserted by a timed unit test.
"""

import ctypes
import ctypes.util
import gc
import http.client
import os
import resource
import statistics
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.management.base import CommandError
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from django.core.wsgi import get_wsgi_application
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone


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
        with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver", "127.0.0.1"]):
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


def database_url(name: str | None = None) -> str:
    """The connection's PostgreSQL server as a URL, for another process or tool (gunicorn,
    pg_dump): its database, or `name` on the same server."""
    s = connection.settings_dict
    credentials = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        credentials += ":" + quote(s["PASSWORD"], safe="")
    port = f":{s['PORT']}" if s["PORT"] else ""
    return f"postgresql://{credentials}@{s['HOST'] or 'localhost'}{port}/{name or s['NAME']}"


def run_facts() -> dict:
    """When and where a run measured: the time, the PostgreSQL server and the CPUs."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        server = cursor.fetchone()[0]
    return {
        "measured_at": timezone.now().isoformat(timespec="seconds"),
        "server": server,
        "cpu_count": os.cpu_count(),
    }


def load_average() -> list[float]:
    """The machine's load over 1, 5 and 15 minutes: other work shows up in the medians."""
    return [round(value, 2) for value in os.getloadavg()]


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


def timing_row(label: str, samples: list[float]) -> dict:
    samples = sorted(samples)
    return {
        "label": label,
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(percentile(samples, 95), 1),
        "min_ms": round(samples[0], 1),
        "max_ms": round(samples[-1], 1),
    }


# --- through HTTP ------------------------------------------------------------------------------


class _QuietRequestHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the standard library's name
        pass  # a line per request on stderr would only hide the benchmark's own output


@contextmanager
def http_server() -> Iterator[tuple[str, int]]:
    """The project's WSGI application served in a background thread on a free local port, by
    the server `runserver` uses (one request at a time); yields (host, port). The thread's
    database connection is closed when it stops, so the throwaway database can be dropped."""
    server = WSGIServer(("127.0.0.1", 0), _QuietRequestHandler, ipv6=False)
    server.set_app(get_wsgi_application())

    def serve():
        try:
            server.serve_forever(poll_interval=0.05)
        finally:
            connections.close_all()

    thread = threading.Thread(target=serve, name="bench-http", daemon=True)
    thread.start()
    try:
        yield server.server_address[:2]
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


class HttpTimer:
    """GET requests over HTTP to `http_server()`, logged in with the test client's session
    cookie; each on a new connection (the server closes it after each response), the body read
    to its last byte. The same rows as PageTimer.measure, without the query count."""

    def __init__(self, address: tuple[str, int], client, *, repeat: int):
        self.host, self.port = address
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        self.headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie.value}"}
        self.repeat = repeat

    def get(self, path: str) -> tuple[float, int, int]:
        """One request: (ms, status, bytes)."""
        before = time.perf_counter()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=600)
        try:
            conn.request("GET", path, headers=self.headers)
            response = conn.getresponse()
            size = len(response.read())
        finally:
            conn.close()
        return (time.perf_counter() - before) * 1000, response.status, size

    def measure(self, label: str, url_name: str, params: dict, *, args=()) -> dict:
        path = reverse(url_name, args=args) + (f"?{urlencode(params)}" if params else "")
        row = {"label": label, "url": url_name, "params": params, "median_ms": None}
        try:
            _ms, status, size = self.get(path)
            row.update(status=status, bytes=size)
            if status != 200:
                row["error"] = f"HTTP {status}"
                return row
            samples = [self.get(path)[0] for _ in range(self.repeat)]
        except Exception as error:  # noqa: BLE001 - reported beside the other figures
            row["error"] = f"{type(error).__name__}: {error}"[:200]
            return row
        row.update({k: v for k, v in timing_row(label, samples).items() if k != "label"})
        return row


# --- exports -----------------------------------------------------------------------------------

CLEAR_REFS = Path("/proc/self/clear_refs")
STATUS = Path("/proc/self/status")


class PeakMemory:
    """How far this process's resident memory rose above where it stood when `start` was called.

    Linux keeps the peak (VmHWM in /proc/self/status); writing 5 to /proc/self/clear_refs sets
    it back to the current size, so the peak of one piece of work can be read on its own, in
    this process. Where that is not allowed, the peak since the process started
    (getrusage's ru_maxrss) is used: it shows growth only beyond every earlier peak, so it can
    read low, and the rows say which way was used."""

    def __init__(self):
        try:
            CLEAR_REFS.write_text("5")
            self.method = "VmHWM after clear_refs"
        except OSError:
            self.method = "ru_maxrss (a lower bound)"
        self.start_kb = 0

    def start(self) -> None:
        gc.collect()
        _return_free_memory()
        if self.method.startswith("VmHWM"):
            CLEAR_REFS.write_text("5")
            self.start_kb = self._status_kb("VmRSS")
        else:
            self.start_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def growth_mb(self) -> float:
        if self.method.startswith("VmHWM"):
            peak = self._status_kb("VmHWM")
        else:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return round(max(peak - self.start_kb, 0) / 1024, 1)

    @staticmethod
    def _status_kb(field: str) -> int:
        for line in STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise RuntimeError(f"{field} is not in {STATUS}")


def _return_free_memory() -> None:
    """Hand the memory earlier work freed back to the system (glibc's malloc_trim), so that what
    the next piece of work takes shows as growth instead of reusing it unseen."""
    name = ctypes.util.find_library("c")
    if not name:
        return
    # Not glibc: nothing to call, and growth may read low.
    with suppress(OSError, AttributeError):
        ctypes.CDLL(name).malloc_trim(0)


def measure_export(label: str, produce: Callable[[], Iterable[bytes]], *, repeat: int) -> dict:
    """Runs `produce` (the export's body, piece by piece) `repeat` times, with no untimed run
    first: each reads the whole table anyway, and at a million rows takes minutes. For each run:
    time to the first byte, to the first data row (the header comes before any query) and to
    the last byte; rows a second over the whole body; and the peak memory above where the
    process stood before the first run, over all runs."""
    memory = PeakMemory()
    memory.start()
    runs = []
    for _ in range(repeat):
        before = time.perf_counter()
        first_byte = first_row = None
        size = lines = 0
        for chunk in produce():
            now = time.perf_counter()
            if first_byte is None:
                first_byte = now
            size += len(chunk)
            lines += chunk.count(b"\n")
            if first_row is None and lines >= 2:
                first_row = now
        end = time.perf_counter()
        runs.append(
            {
                "ms": (end - before) * 1000,
                "first_byte_ms": ((first_byte or end) - before) * 1000,
                "first_row_ms": ((first_row or end) - before) * 1000,
                "rows": max(lines - 1, 0),
                "bytes": size,
            }
        )
    row = timing_row(label, [run["ms"] for run in runs])
    rows = runs[0]["rows"]
    median_s = row["median_ms"] / 1000
    row.update(
        rows=rows,
        bytes=runs[0]["bytes"],
        rows_per_s=round(rows / median_s) if median_s else None,
        first_byte_median_ms=round(statistics.median(r["first_byte_ms"] for r in runs), 1),
        first_byte_p95_ms=round(percentile(sorted(r["first_byte_ms"] for r in runs), 95), 1),
        first_row_median_ms=round(statistics.median(r["first_row_ms"] for r in runs), 1),
        first_row_p95_ms=round(percentile(sorted(r["first_row_ms"] for r in runs), 95), 1),
        peak_memory_mb=memory.growth_mb(),
        memory_method=memory.method,
        runs=len(runs),
    )
    return row


def response_body(client, url: str, params: dict | None = None) -> Callable[[], Iterator[bytes]]:
    """An export through the test client, as `measure_export` wants it: a streamed response is
    read piece by piece as the view yields it; any other at once."""

    def produce():
        response = client.get(url, params or {})
        if response.status_code != 200:
            raise CommandError(f"{url} answered HTTP {response.status_code}")
        try:
            if response.streaming:
                for chunk in response.streaming_content:
                    yield chunk if isinstance(chunk, bytes) else chunk.encode()
            else:
                yield response.content
        finally:
            response.close()

    return produce
