"""`manage.py loadtest` (make loadtest): 50 staff at once on the production server, then the
same with PostgreSQL restarted under them; afterwards the money is held to every receipt shown.

A test with a verdict (it exits non-zero when something must not happen happened), not a
benchmark: its times are reported, never judged, as these machines are shared and noisy.
"""

import json
import os
import secrets
import shlex
import shutil
import signal
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from core.bench import database_url, require_postgresql, run_facts, throwaway_database
from core.loadtest import shop, verify
from customers.importing import customer_import_upload
from customers.models import CustomerImport

LOCUSTFILE = Path(settings.BASE_DIR) / "core" / "loadtest" / "locustfile.py"
# The first requests after the database is back find their old connections dead; Django
# replaces them (CONN_HEALTH_CHECKS) but a request already past that check may still fail.
RECONNECT_GRACE_SECONDS = 10
WORKER_CHECK_SECONDS = 90


class Command(BaseCommand):
    help = (
        "Load test on PostgreSQL: the back office under gunicorn with the production settings "
        "(as make serve runs it) and the background worker, in a throwaway database "
        "(<NAME>_loadtest, created and dropped; the database DATABASE_URL names is never "
        "written) holding the demo shop; Locust drives --cashiers + --managers staff over "
        "loopback, each with a login of their own, for --seconds (the steady run: no request "
        "may fail). Then, unless --fault-seconds is 0, a second run during which PostgreSQL "
        "is stopped (immediate mode, as a crash) and started again: requests may fail only "
        "while it is away, with the 503 page; the app and the worker recover by themselves. "
        "After each run every sale and payment acknowledged with a receipt must be recorded "
        "exactly once, and every credit balance must equal its ledger. Reports requests per "
        "second, median, p95 and p99 in ms per page; writes --json and --markdown."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cashiers", type=int, default=35, help="Cashiers at tills (35).")
        parser.add_argument("--managers", type=int, default=15, help="Managers (15).")
        parser.add_argument(
            "--seconds", type=int, default=300, help="Length of the steady run (300)."
        )
        parser.add_argument(
            "--fault-seconds",
            type=int,
            default=120,
            help="Length of the run with the database restarted in it (120; 0: no such run).",
        )
        parser.add_argument(
            "--restart-after",
            type=int,
            default=40,
            help="Seconds into that run when the database is stopped (40).",
        )
        parser.add_argument(
            "--outage",
            type=int,
            default=10,
            help="Seconds the database stays stopped before it is started again (10).",
        )
        parser.add_argument(
            "--database-stop-command",
            help="How to stop PostgreSQL (default: pg_ctlcluster of this machine's cluster, "
            "immediate mode).",
        )
        parser.add_argument(
            "--database-start-command", help="How to start it again (default: pg_ctlcluster)."
        )
        parser.add_argument("--port", type=int, default=8765, help="The server's port (8765).")
        parser.add_argument(
            "--output",
            default=str(Path(settings.BASE_DIR) / "var" / "loadtest"),
            help="Folder for the requests, receipts and server logs (var/loadtest).",
        )
        parser.add_argument("--json", metavar="PATH", help="Also write the results as JSON.")
        parser.add_argument("--markdown", metavar="PATH", help="And as a Markdown table.")
        parser.add_argument(
            "--keep-database", action="store_true", help="Keep <NAME>_loadtest afterwards."
        )

    def handle(self, *args, **options):
        require_postgresql("loadtest")
        if options["cashiers"] < 1 or options["managers"] < 1 or options["seconds"] < 10:
            raise CommandError("At least one cashier and one manager, for at least 10 seconds.")
        restart = None
        if options["fault_seconds"]:
            if not 0 < options["restart_after"] < options["fault_seconds"]:
                raise CommandError("--restart-after must fall inside --fault-seconds.")
            restart = database_restart_commands(options)
        output = Path(options["output"])
        shutil.rmtree(output, ignore_errors=True)
        output.mkdir(parents=True)
        log = self.stderr.write

        with throwaway_database("loadtest", keep=options["keep_database"], log=log):
            staff = shop.open_shop(
                cashiers=options["cashiers"], managers=options["managers"], log=log
            )
            world_path = output / "world.json"
            world_path.write_text(json.dumps(shop.world(staff, seed=secrets.randbits(32))))
            server = Server(database_url(), port=options["port"], log=log)
            server.collect_static()
            runs = [("steady", options["seconds"], None)]
            if restart:
                runs.append(("database restart", options["fault_seconds"], restart))
            results = {
                **run_facts(),
                "staff": {"cashiers": options["cashiers"], "managers": options["managers"]},
                "runs": [],
            }
            problems = []
            # M-Pesa codes are accepted once ever: this test's start with two letters of its
            # own, then one per run (the demo shop's codes are random letters and digits).
            code_letters = "".join(secrets.choice(string.ascii_uppercase) for _ in range(2))
            for run_letter, (name, seconds, restart_commands) in zip("AB", runs, strict=False):
                folder = output / name.replace(" ", "-")
                folder.mkdir()
                result, run_problems = self.run(
                    name, seconds, restart_commands, server, world_path, folder, options,
                    code_letters + run_letter,
                )  # fmt: skip
                results["runs"].append(result)
                problems += [f"{name}: {problem}" for problem in run_problems]
        results["problems"] = problems
        for path in (options["json"], options["markdown"]):
            if path:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        if options["json"]:
            Path(options["json"]).write_text(json.dumps(results, indent=2) + "\n")
        if options["markdown"]:
            Path(options["markdown"]).write_text(markdown(results))
        self.stdout.write(markdown(results))
        if problems:
            raise CommandError("The load test found problems:\n- " + "\n- ".join(problems))
        self.stdout.write(self.style.SUCCESS("Load test passed."))

    def run(self, name, seconds, restart, server, world_path, folder, options, mpesa_prefix):
        log = self.stderr.write
        connection.close()
        since = datetime.now(UTC)
        outage = None
        with server.running(folder):
            locust = start_locust(server.url, world_path, folder, seconds, options, mpesa_prefix)
            log(
                f"{name}: {options['cashiers']} cashiers and {options['managers']} managers for "
                f"{seconds} s..."
            )
            if restart:
                time.sleep(options["restart_after"])
                outage = restart_database(restart, options["outage"], log)
            finished = wait_for(locust, seconds + 180)
            if not finished:
                raise CommandError(f"Locust did not finish; see {folder / 'locust.log'}.")
            worker_problems = []
            if restart:
                worker_problems = worker_recovered(server, log)
        connection.close()
        requests_path = folder / "requests.csv"
        if not requests_path.exists():
            raise CommandError(f"Locust made no request; see {folder / 'locust.log'}.")
        requests = verify.read_requests(requests_path)
        requests_report, request_problems = verify.request_report(
            requests,
            verify.Outage(*outage, RECONNECT_GRACE_SECONDS) if outage else None,
        )
        money, money_problems = verify.money_report(
            verify.read_acknowledged(folder / "acks.jsonl"), since=since
        )
        problems = request_problems + money_problems + worker_problems + server.problems
        for problem in problems:
            log(f"PROBLEM ({name}): {problem}")
        return {"run": name, "seconds": seconds, **requests_report, **money}, problems


class Server:
    """gunicorn with the production settings and the background worker, as make serve runs
    them, on this machine's loopback."""

    def __init__(self, database_url: str, *, port: int, log):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self.problems: list[str] = []
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "HTTPS": "off",
            "BIND": f"127.0.0.1:{port}",
        }

    def collect_static(self) -> None:
        self.log("Collecting the static files (production storage)...")
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=settings.BASE_DIR,
            env=self.env,
            check=True,
        )

    @contextmanager
    def running(self, folder: Path):
        env = {**self.env, "GUNICORN_ACCESS_LOG": str(folder / "access.log")}
        with (
            (folder / "server.log").open("w") as server_log,
            (folder / "worker.log").open("w") as worker_log,
        ):
            gunicorn = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "gunicorn"),
                    "-c",
                    "config/gunicorn.conf.py",
                    "config.wsgi",
                ],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=server_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self.worker = subprocess.Popen(
                [sys.executable, "manage.py", "worker", "--retry-seconds", "3"],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=worker_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                self._wait_until_answering(gunicorn)
                yield self
                if gunicorn.poll() is not None:
                    self.problems.append(f"gunicorn stopped (exit {gunicorn.returncode})")
            finally:
                for process in (gunicorn, self.worker):
                    if process.poll() is None:
                        os.killpg(process.pid, signal.SIGTERM)
                for process in (gunicorn, self.worker):
                    try:
                        process.wait(timeout=40)
                    except subprocess.TimeoutExpired:
                        os.killpg(process.pid, signal.SIGKILL)
                        process.wait()

    def _wait_until_answering(self, gunicorn) -> None:
        for _attempt in range(120):
            if gunicorn.poll() is not None:
                raise CommandError("gunicorn did not start; see server.log.")
            try:
                with urllib.request.urlopen(f"{self.url}/login/", timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise CommandError("gunicorn did not answer within a minute; see server.log.")


def start_locust(url: str, world_path: Path, folder: Path, seconds: int, options, mpesa_prefix):
    users = options["cashiers"] + options["managers"]
    env = {
        **os.environ,
        "PYTHONPATH": str(settings.BASE_DIR),
        "LOADTEST_WORLD": str(world_path),
        "LOADTEST_OUTPUT": str(folder),
        "LOADTEST_CASHIERS": str(options["cashiers"]),
        "LOADTEST_MANAGERS": str(options["managers"]),
        "LOADTEST_MPESA_PREFIX": mpesa_prefix,
    }
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "--host", url, "--users", str(users), "--spawn-rate", str(max(users // 5, 1)),
        "--run-time", f"{seconds}s",
        # At the end each person finishes what they are doing (a sale half sent would be
        # recorded with no one to see its receipt).
        "--stop-timeout", "120",
        "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    log_file = (folder / "locust.log").open("w")
    return subprocess.Popen(
        command, cwd=settings.BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT
    )


def wait_for(process, timeout: float) -> bool:
    try:
        process.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return False


def database_restart_commands(options) -> tuple[list[str], list[str]]:
    stop, start = options["database_stop_command"], options["database_start_command"]
    if bool(stop) != bool(start):
        raise CommandError("Give both --database-stop-command and --database-start-command.")
    if stop:
        return shlex.split(stop), shlex.split(start)
    local = (connection.settings_dict["HOST"] or "localhost") in ("127.0.0.1", "localhost", "::1")
    clusters = sorted(Path("/etc/postgresql").glob("*/main"))
    if not (local and shutil.which("pg_ctlcluster") and clusters):
        raise CommandError(
            "The run with the database restarted needs to stop and start PostgreSQL: on this "
            "machine pg_ctlcluster and a cluster under /etc/postgresql were not found (or the "
            "database is not local). Pass --database-stop-command and --database-start-command,"
            " or --fault-seconds 0 to skip that run."
        )
    version = clusters[-1].parent.name
    base = ["pg_ctlcluster", "--skip-systemctl-redirect"]
    return [*base, "-m", "immediate", version, "main", "stop"], [*base, version, "main", "start"]


def restart_database(commands, outage_seconds: int, log) -> tuple[float, float]:
    """Stop PostgreSQL as a crash would, wait, start it; returns (down, up) in epoch seconds,
    `up` when it accepts a connection again."""
    stop, start = commands
    connection.close()
    log(f"Stopping PostgreSQL ({' '.join(stop)})...")
    down = time.time()
    _run_or_explain(stop)
    time.sleep(outage_seconds)
    log(f"Starting PostgreSQL ({' '.join(start)})...")
    _run_or_explain(start)
    for _attempt in range(600):
        try:
            psycopg.connect(database_url(), connect_timeout=2).close()
            break
        except psycopg.OperationalError:
            time.sleep(0.1)
    else:
        raise CommandError("PostgreSQL did not come back within a minute.")
    up = time.time()
    log(f"PostgreSQL answering again after {up - down:.1f} s.")
    return down, up


def _run_or_explain(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        raise CommandError(
            f"{' '.join(command)} failed ({result.returncode}): "
            f"{(result.stderr or result.stdout).strip()}"
        )


def worker_recovered(server: Server, log) -> list[str]:
    """The worker that was running when the database went away checks a file uploaded after."""
    if server.worker.poll() is not None:
        return [f"the background worker stopped (exit {server.worker.returncode})"]
    manager = User.objects.get(username=shop.MANAGER_USERNAME.format(number=1))
    upload = SimpleUploadedFile(
        "after-restart.csv",
        b"Name,Phone,Village,Clusters\nAfter Restart,0799000001,Mwingi,\n",
        "text/csv",
    )
    record = customer_import_upload(actor=manager, upload=upload, create_clusters=False)
    log("An import uploaded after the restart: waiting for the worker to check it...")
    deadline = time.monotonic() + WORKER_CHECK_SECONDS
    while time.monotonic() < deadline:
        record.refresh_from_db()
        if record.status != CustomerImport.Status.CHECKING:
            break
        time.sleep(0.5)
    if record.status != CustomerImport.Status.PREVIEWED:
        return [f"an import uploaded after the restart was not checked ({record.status})"]
    if server.worker.poll() is not None:
        return [f"the background worker stopped (exit {server.worker.returncode})"]
    return []


def markdown(results: dict) -> str:
    lines = [
        f"Load test, {results['measured_at']} on {results['cpu_count']} CPUs: "
        f"{results['staff']['cashiers']} cashiers and {results['staff']['managers']} managers.",
        "",
    ]
    for run in results["runs"]:
        lines += [
            f"### {run['run']}: {run['seconds']} s, {run.get('requests', 0)} requests "
            f"({run.get('requests_per_second', 0)}/s), {run.get('failures', 0)} failed",
            "",
            f"Sales acknowledged: {run['sales_acknowledged']} "
            f"({', '.join(f'{k} {v}' for k, v in sorted(run['sales_by_method'].items()))}); "
            f"payments on account: {run['payments_acknowledged']}. Ledger: {run['ledger']}",
            "",
        ]
        if "outage" in run:
            o = run["outage"]
            lines += [
                f"Database away {o['database_away_seconds']} s: {o['requests_while_away']} "
                f"requests meanwhile, {o['refused_with_503']} answered with the 503 page, "
                f"{o['failed_otherwise_while_away']} failed otherwise; after it "
                f"{o['requests_after']} requests, {o['failures_after']} failed "
                f"(p95 {o['after']['p95_ms']} ms).",
                "",
            ]
        lines += [
            "| page | requests | failed | median ms | p95 ms | p99 ms |",
            "|---|---:|---:|---:|---:|---:|",
            f"| **all** | {run.get('requests', 0)} | {run.get('failures', 0)} | "
            f"{run.get('median_ms')} | {run.get('p95_ms')} | {run.get('p99_ms')} |",
        ]
        for name, row in run.get("pages", {}).items():
            lines.append(
                f"| {name} | {row['requests']} | {row['failures']} | {row['median_ms']} | "
                f"{row['p95_ms']} | {row['p99_ms']} |"
            )
        lines.append("")
    if results.get("problems"):
        lines += ["Problems:", *[f"- {p}" for p in results["problems"]], ""]
    return "\n".join(lines) + "\n"
