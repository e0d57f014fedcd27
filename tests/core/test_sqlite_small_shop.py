"""A small shop on SQLite, as `make run` serves it: three tills, a manager and a stock-keeper
writing at once to one database file while the background worker (`manage.py worker`, a process
of its own) checks one customer file and imports another. Nobody may meet "database is locked",
and every sale, payment, ledger entry and edit must be there afterwards.

The database is a real file opened with the settings' SQLite options, as `db.sqlite3` is (an
in-memory database has table locks of its own and would prove nothing): a copy of the migrated
test database, which each thread here opens on its own connection, as a web server's threads do,
and the worker from its own process. The rest of the suite keeps its in-memory database. On
PostgreSQL this is skipped (tests/sales and tests/credit run the concurrency tests there).
"""

import copy
import importlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from core.models import AuditAction, AuditEvent
from core.roles import CASHIER, MANAGER
from credit.models import CreditEntry, CreditEntryKind, CreditPayment, CreditPaymentMethod
from credit.services import credit_payment_receive
from customers.importing import (
    customer_import_check,
    customer_import_confirm,
    customer_import_upload,
)
from customers.models import Cluster, Customer, CustomerImport
from customers.services import customer_create, customer_update
from sales.models import Payment, PaymentMethod, Product, Sale, SaleLine
from sales.services import product_update, sale_complete
from tests.conftest import DATA_MIGRATIONS
from tests.factories import make_product
from tests.sales.test_sale_concurrency import describe

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="SQLite's own locking; PostgreSQL has its own tests"
    ),
    # No transaction open on the test database, which is copied to the file (sqlite3's backup
    # would wait for it forever); the test writes only to its copy.
    pytest.mark.django_db(transaction=True),
]

BASE_DIR = Path(__file__).resolve().parents[2]
WORKER_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
TILLS = 3
# Each thread writes at least this often, and goes on until the worker has finished both jobs
# and polled the queue a few times more (every second when idle), but never past the most.
WRITES_AT_LEAST, WRITES_AT_MOST, AFTER_THE_JOBS = 10, 1000, 2.5
# Seconds between one write and the next: far busier than people at a counter, yet not a loop
# that keeps the lock taken all the time (SQLite's busy wait is not first come, first served).
PAUSE = {"sale": 0.03, "payment": 0.05, "customer edit": 0.05, "product save": 0.1}
CHECKED_ROWS, IMPORTED_ROWS = 400, 400  # a few tenths of a second of the worker's time each
CREDIT_LIMIT = Decimal("5000000")  # never reached: every credit sale must be recorded
OPENING_DEBT = Decimal("50000")  # so payments on account are never more than is owed
JOB_TIMEOUT = 60


@contextmanager
def shop_database(path: Path):
    """This thread's default connection opens the shop's file (closed at the end), with the
    settings' SQLite options, as a web worker's does."""
    settings_dict = copy.deepcopy(connections.settings[DEFAULT_DB_ALIAS])
    settings_dict["NAME"] = str(path)
    previous = connections[DEFAULT_DB_ALIAS]
    connections[DEFAULT_DB_ALIAS] = DatabaseWrapper(settings_dict, DEFAULT_DB_ALIAS)
    try:
        yield
    finally:
        connections[DEFAULT_DB_ALIAS].close()
        connections[DEFAULT_DB_ALIAS] = previous


def customer_file(first: int, rows: int) -> SimpleUploadedFile:
    lines = ["Name,Phone,Village,Clusters"]
    lines += [f"Farmer {n},07{n:08d},Mwingi,Dairy farmers" for n in range(first, first + rows)]
    return SimpleUploadedFile("customers.csv", "\n".join(lines).encode(), "text/csv")


def start_worker(path: Path, logs: Path) -> subprocess.Popen:
    """`manage.py worker` on the shop's file, as `make run` starts it (without the code
    reloader that DEBUG would add: the same worker, one process fewer)."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE")
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"sqlite:///{path}",
        CACHE_URL=f"filecache://{logs / 'cache'}",
        DEBUG="false",
    )
    with (logs / "worker.out").open("w") as out, (logs / "worker.err").open("w") as err:
        return subprocess.Popen(
            [sys.executable, "manage.py", "worker"],
            cwd=BASE_DIR,
            env=environment,
            stdout=out,
            stderr=err,
        )


def test_three_tills_a_manager_and_the_worker_at_once_never_meet_a_locked_database(
    django_db_blocker, settings, tmp_path
):
    settings.TASKS = WORKER_QUEUE
    path = tmp_path / "shop.sqlite3"
    with django_db_blocker.unblock():
        # The migrated test database, copied to a file (as Django's parallel runner does).
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        worker = start_worker(path, tmp_path)  # it starts up while the shop is set up
        try:
            with shop_database(path):
                setup = set_up_the_shop()
            logs, errors, slowest = run_the_shop(path, setup, worker)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        worker_errors = (tmp_path / "worker.err").read_text()

        assert not errors, f"a thread failed (slowest writes: {slowest}):\n" + describe(errors)
        assert worker.returncode == 0, worker_errors + (tmp_path / "worker.out").read_text()
        # manage.py worker says so, and starts db_worker again, when the database fails it.
        assert "not answering" not in worker_errors, worker_errors
        with shop_database(path):
            check_every_write_is_recorded(setup, logs)
            assert connection.cursor().execute("PRAGMA journal_mode").fetchone()[0] == "wal", (
                "the shop's file is not in WAL mode: readers and the writer wait for each other"
            )


def set_up_the_shop() -> dict:
    """Staff, customers owing money, products, and a customer file already checked (its import
    is one of the worker's jobs)."""
    from django.apps import apps

    for module_name, function_name in DATA_MIGRATIONS:  # a transactional test may have flushed
        getattr(importlib.import_module(module_name), function_name)(apps, None)
    cashiers = []
    for number in range(TILLS):
        cashier = User.objects.create_user(username=f"till-{number}", password="-")
        cashier.groups.add(Group.objects.get(name=CASHIER))
        cashiers.append(cashier)
    manager = User.objects.create_user(username="manager", password="-")
    manager.groups.add(Group.objects.get(name=MANAGER))
    cluster = Cluster.objects.create(name="Dairy farmers")
    customers = [
        customer_create(
            actor=manager,
            name=name,
            phone=f"+25471100000{number}",
            village="Mwingi",
            clusters=[cluster],
            credit_limit=CREDIT_LIMIT,
        )
        for number, name in enumerate(["Wanjiru Kamau", "Otieno Ochieng", "Chebet Kiprop"])
    ]
    products = [
        make_product(retail_price=price, wholesale_price=price)
        for price in ("99.99", "250", "1234.50", "12.34")
    ]
    opening = make_product(retail_price=OPENING_DEBT)
    opening_sales = [
        sale_complete(
            cashier=manager,
            customer=customer,
            lines=[(opening, Decimal("1"))],
            payment_method=PaymentMethod.CREDIT,
            till_token=uuid.uuid4(),
        ).pk
        for customer in customers
    ]
    imported = customer_import_upload(
        actor=manager, upload=customer_file(10_001, IMPORTED_ROWS), create_clusters=False
    )
    DBTaskResult.objects.all().delete()  # checked here, by hand, instead of by the worker
    customer_import_check(imported.pk)
    return {
        "cashiers": cashiers,
        "manager": manager,
        "customers": customers,
        "products": products,
        "opening_sales": opening_sales,
        "imported": imported.pk,
    }


def queue_the_jobs(setup: dict) -> None:
    """The manager confirms one file's import and uploads another to be checked: two jobs."""
    imported = CustomerImport.objects.get(pk=setup["imported"])
    customer_import_confirm(actor=setup["manager"], record=imported)
    checked = customer_import_upload(
        actor=setup["manager"], upload=customer_file(1, CHECKED_ROWS), create_clusters=False
    )
    setup["checked"] = checked.pk


def run_the_shop(path: Path, setup: dict, worker: subprocess.Popen):
    """The tills, the manager and the stock-keeper at once, each on its own connection to the
    file, until the worker has done its jobs and polled a while more. Returns what each
    recorded, the exceptions by thread, and the slowest write of each kind."""
    customers, products = setup["customers"], setup["products"]
    stop_at = [float("inf")]
    durations: dict[str, list[float]] = {}

    def going_on(number: int) -> bool:
        if number < WRITES_AT_LEAST:
            return True
        return number < WRITES_AT_MOST and time.monotonic() < stop_at[0]

    def timed(kind: str, write, **arguments):
        started = time.perf_counter()
        result = write(**arguments)
        durations.setdefault(kind, []).append(time.perf_counter() - started)
        time.sleep(PAUSE[kind])
        return result

    def till(index: int) -> dict:
        log = {"sales": []}
        number = 0
        while going_on(number):
            method = (PaymentMethod.CASH, PaymentMethod.MPESA, PaymentMethod.CREDIT)[number % 3]
            customer = customers[(index + number) % len(customers)]
            lines = [
                (products[(number + offset) % len(products)], Decimal(quantity))
                for offset, quantity in enumerate(["1", "2", "0.5"][: 1 + number % 3])
            ]
            sale = timed(
                "sale",
                sale_complete,
                cashier=setup["cashiers"][index],
                customer=None if method == PaymentMethod.CASH and number % 2 else customer,
                lines=lines,
                payment_method=method,
                cash_tendered=Decimal("100000") if method == PaymentMethod.CASH else None,
                mpesa_code=f"T{index:02d}{number:07d}" if method == PaymentMethod.MPESA else "",
                till_token=uuid.uuid4(),
            )
            log["sales"].append((sale.pk, sale.payment_method, len(lines)))
            number += 1
        log["stopped_at"] = timezone.now()
        return log

    def manager(index: int) -> dict:
        log = {"payments": [], "customer_edits": 0}
        number = 0
        while going_on(number):
            customer = customers[number % len(customers)]
            if number % 2:
                timed(
                    "customer edit",
                    customer_update,
                    actor=setup["manager"],
                    customer=customer,
                    village=f"Kyuso {number}",
                )
                log["customer_edits"] += 1
            else:
                method = (CreditPaymentMethod.CASH, CreditPaymentMethod.MPESA)[number // 2 % 2]
                payment = timed(
                    "payment",
                    credit_payment_receive,
                    actor=setup["manager"],
                    customer=customer,
                    amount="100",
                    method=method,
                    mpesa_code=f"P{number:09d}" if method == CreditPaymentMethod.MPESA else "",
                    form_token=uuid.uuid4(),
                )
                log["payments"].append(payment.pk)
            number += 1
        log["stopped_at"] = timezone.now()
        return log

    def stock_keeper(index: int) -> dict:
        log = {"product_saves": Counter()}
        number = 0
        while going_on(number):
            product = products[number % len(products)]
            timed(
                "product save",
                product_update,
                actor=setup["manager"],
                product=product,
                name=f"{product.code} ({number})",
            )
            log["product_saves"][product.pk] += 1
            number += 1
        log["stopped_at"] = timezone.now()
        return log

    workers = [till] * TILLS + [manager, stock_keeper]
    barrier = threading.Barrier(len(workers))
    logs: list = [None] * len(workers)
    errors: dict[int, BaseException] = {}

    def target(index: int):
        try:
            with shop_database(path):
                barrier.wait(timeout=30)
                logs[index] = workers[index](index)
        except BaseException as error:  # reported by the test, never swallowed
            errors[index] = error

    threads = [threading.Thread(target=target, args=(index,)) for index in range(len(workers))]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + JOB_TIMEOUT
    try:
        with shop_database(path):
            queue_the_jobs(setup)  # while the tills sell
            while stop_at[0] == float("inf"):
                jobs_left = DBTaskResult.objects.filter(
                    status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
                ).exists()
                if not jobs_left or worker.poll() is not None or time.monotonic() > deadline:
                    stop_at[0] = time.monotonic() + AFTER_THE_JOBS
                time.sleep(0.05)
    finally:
        stop_at[0] = min(stop_at[0], time.monotonic() + AFTER_THE_JOBS)
        for thread in threads:
            thread.join(JOB_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    slowest = {kind: f"{max(times) * 1000:.0f} ms" for kind, times in durations.items()}
    return logs, errors, slowest


def check_every_write_is_recorded(setup: dict, logs: list) -> None:
    sales = [sale for log in logs[:TILLS] for sale in log["sales"]]
    payments = logs[TILLS]["payments"]
    saves = logs[TILLS + 1]["product_saves"]
    assert len(sales) >= TILLS * WRITES_AT_LEAST

    # Every sale, whole, with its payment; every M-Pesa code once.
    opening = setup["opening_sales"]
    assert set(Sale.objects.values_list("pk", flat=True)) == {pk for pk, _, _ in sales} | set(
        opening
    )
    assert SaleLine.objects.count() == sum(lines for _, _, lines in sales) + len(opening)
    assert Payment.objects.count() == Sale.objects.count()
    assert Payment.objects.exclude(mpesa_code="").count() == sum(
        method == PaymentMethod.MPESA for _, method, _ in sales
    )
    # One ledger entry per credit sale and per payment on account, and the balances add up.
    credit_sales = [pk for pk, method, _ in sales if method == PaymentMethod.CREDIT] + opening
    entries = CreditEntry.objects.all()
    assert sorted(
        entries.filter(kind=CreditEntryKind.CREDIT_SALE).values_list("sale", flat=True)
    ) == sorted(credit_sales)
    assert set(CreditPayment.objects.values_list("pk", flat=True)) == set(payments)
    assert entries.filter(kind=CreditEntryKind.PAYMENT).count() == len(payments)
    assert entries.count() == len(credit_sales) + len(payments)
    out = StringIO()
    call_command("check_credit_balances", stdout=out)
    assert "Every customer's credit balance equals their ledger." in out.getvalue()
    call_command("rebuild_visit_figures", "--check", stdout=StringIO())
    for customer in Customer.objects.filter(pk__in=[c.pk for c in setup["customers"]]):
        assert Decimal("0") < customer.credit_balance <= customer.credit_limit, customer.name

    # Every edit by the manager and the stock-keeper.
    assert (
        AuditEvent.objects.filter(action=AuditAction.CUSTOMER_CHANGED).count()
        == logs[TILLS]["customer_edits"]
    )
    for product in Product.objects.filter(pk__in=saves):
        assert product.history.count() == 1 + saves[product.pk], product.code

    # The worker's two jobs, done while everyone else was at work: the check wrote nothing, the
    # import every row.
    jobs = DBTaskResult.objects.all()
    assert [job.status for job in jobs] == [TaskResultStatus.SUCCESSFUL] * 2
    assert max(job.finished_at for job in jobs) < min(log["stopped_at"] for log in logs)
    checked = CustomerImport.objects.get(pk=setup["checked"])
    imported = CustomerImport.objects.get(pk=setup["imported"])
    assert (checked.status, checked.rows_new) == ("previewed", CHECKED_ROWS)
    assert (imported.status, imported.rows_new) == ("imported", IMPORTED_ROWS)
    assert Customer.objects.count() == len(setup["customers"]) + IMPORTED_ROWS
