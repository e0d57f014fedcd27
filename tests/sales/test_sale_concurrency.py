"""Sixteen tills at once against PostgreSQL: no lost visit, no lost shilling of credit, no
deadlock, no invoice number twice, no till form recorded twice.

Each thread has its own database connection and commits for real, as the tills' web workers do,
so these are transactional tests and run on PostgreSQL only (SQLite serialises every writer, so
it would prove nothing). They assert correctness, never speed: `make bench` measures that.
"""

import threading
import uuid
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum

from core.models import NumberSequence
from core.sequences import INVOICE_SEQUENCE
from credit.models import CreditEntry, CreditEntryKind
from credit.services import CreditLimitExceeded
from customers.models import Customer, CustomerGroup
from sales.models import Invoice, Payment, PaymentMethod, Sale, SaleLine
from sales.services import SaleAlreadyRecorded, invoice_issue, sale_complete
from tests.factories import make_product, sell

# Threads that each commit on their own connection: PostgreSQL only, committed for real. The
# other concurrency tests (tests/credit) use the same marks.
CONCURRENCY_MARKS = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency tests need PostgreSQL (row locks, concurrent commits); "
        "run with DATABASE_URL=postgres://...",
    ),
    pytest.mark.django_db(transaction=True),
    # Before any fixture that needs a role or a customer group: the flush removed them.
    pytest.mark.usefixtures("migrated_reference_data"),
]
pytestmark = CONCURRENCY_MARKS

THREADS = 16
SALES_PER_THREAD = 10
# Seconds. Real waits here are milliseconds; these only turn a hang into a failure (and let the
# flush after the test run instead of waiting forever behind a stuck transaction).
LOCK_TIMEOUT = "30s"
JOIN_TIMEOUT = 120
CASH_TENDERED = Decimal("100000")


def run_together(count: int, work) -> tuple[list, dict[int, BaseException]]:
    """Call work(index) in `count` threads released at the same instant.

    Returns each call's result (None where it raised) and the exceptions by thread index. Every
    thread closes its own database connection, as a web worker does at the end of a request.
    """
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: dict[int, BaseException] = {}

    def target(index):
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
            barrier.wait(timeout=30)
            results[index] = work(index)
        except BaseException as error:  # reported by the test, never swallowed
            errors[index] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=target, args=(index,), name=f"till-{index}")
        for index in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    hung = [thread.name for thread in threads if thread.is_alive()]
    assert not hung, f"threads still running after {JOIN_TIMEOUT} s: {hung}"
    return results, errors


def describe(errors: dict[int, BaseException]) -> str:
    """One line per failed thread, with the database's own error (DeadlockDetected, ...)."""
    lines = []
    for index, error in sorted(errors.items()):
        cause = error.__cause__
        detail = f" (caused by {type(cause).__module__}.{type(cause).__name__})" if cause else ""
        lines.append(f"thread {index}: {type(error).__name__}{detail}: {error}")
    return "\n".join(lines)


@pytest.fixture
def products():
    """Prices with cents, and wholesale prices that differ, so totals are not round numbers."""
    return [
        make_product(retail_price="99.99", wholesale_price="90.50"),
        make_product(retail_price="250", wholesale_price="230"),
        make_product(retail_price="1234.50", wholesale_price="1100.05"),
        make_product(retail_price="12.34", wholesale_price="11.11"),
    ]


QUANTITIES = [Decimal("1"), Decimal("2"), Decimal("0.5"), Decimal("1.25")]


def sale_plan(thread: int, number: int, shared: list[Customer], products) -> dict:
    """The `number`-th sale of till `thread`: a third each cash, M-Pesa and credit; credit to a
    shared customer, the others to a shared customer or a walk-in."""
    k = thread * SALES_PER_THREAD + number
    method = (PaymentMethod.CASH, PaymentMethod.MPESA, PaymentMethod.CREDIT)[k % 3]
    if method == PaymentMethod.CREDIT:
        customer = shared[k % len(shared)]
    else:
        customer = None if k % 4 == 0 else shared[(k // 3) % len(shared)]
    lines = [
        (products[(k + offset) % len(products)], QUANTITIES[(k + offset) % len(QUANTITIES)])
        for offset in range(1 + k % 3)
    ]
    return {
        "customer": customer,
        "payment_method": method,
        "lines": lines,
        "cash_tendered": CASH_TENDERED if method == PaymentMethod.CASH else None,
        # Ten letters and digits, unique per thread and sale.
        "mpesa_code": f"C{thread:02d}{number:07d}" if method == PaymentMethod.MPESA else "",
        "till_token": uuid.uuid4(),
    }


@pytest.mark.parametrize(
    "credit_limit, expect_refusals",
    [(Decimal("1000000"), False), (Decimal("1500"), True)],
    ids=["limits-never-reached", "tight-limits-refuse-some"],
)
def test_sixteen_tills_lose_no_visit_and_no_shilling(
    make_customer, cashier, manager, products, credit_limit, expect_refusals
):
    wholesale = CustomerGroup.objects.get(slug="wholesale")
    shared = [
        make_customer(name="Wanjiru", credit_limit=credit_limit),
        make_customer(name="Otieno", credit_limit=credit_limit),
        make_customer(name="Akinyi", credit_limit=credit_limit, group=wholesale),
        make_customer(name="Kiprono", credit_limit=credit_limit),
    ]
    bystander = make_customer(name="Never came in", credit_limit=credit_limit)
    cashiers = [cashier, manager]

    def till(thread):
        done, refused = [], []
        for number in range(SALES_PER_THREAD):
            plan = sale_plan(thread, number, shared, products)
            try:
                sale = sale_complete(cashier=cashiers[thread % 2], **plan)
            except CreditLimitExceeded as error:
                if not expect_refusals:
                    raise
                amount = error.shortfall + error.limit - error.balance
                refused.append((plan["customer"].pk, amount, error.balance, plan["till_token"]))
                continue
            done.append(
                {
                    "pk": sale.pk,
                    "customer_id": sale.customer_id,
                    "method": sale.payment_method,
                    "total": sale.total,
                    "lines": len(plan["lines"]),
                }
            )
        return done, refused

    results, errors = run_together(THREADS, till)
    assert not errors, "a till failed (a deadlock shows as DeadlockDetected):\n" + describe(errors)

    done = [sale for thread_done, _ in results for sale in thread_done]
    refused = [refusal for _, thread_refused in results for refusal in thread_refused]
    assert len(done) + len(refused) == THREADS * SALES_PER_THREAD
    if expect_refusals:
        assert {refusal[0] for refusal in refused} == {c.pk for c in shared}
    else:
        assert refused == []

    # Exactly the recorded sales exist, each with its lines and one payment; refusals left
    # nothing behind (their till tokens were never used).
    assert Sale.objects.count() == len(done)
    assert set(Sale.objects.values_list("pk", flat=True)) == {sale["pk"] for sale in done}
    assert SaleLine.objects.count() == sum(sale["lines"] for sale in done)
    assert Payment.objects.count() == Sale.objects.count()
    assert not Sale.objects.filter(payment__isnull=True).exists()
    assert not Sale.objects.filter(till_token__in=[refusal[3] for refusal in refused]).exists()
    assert Payment.objects.exclude(mpesa_code="").count() == sum(
        sale["method"] == PaymentMethod.MPESA for sale in done
    )

    # Visit figures: every sale counted once, every shilling of it.
    visits = Counter(sale["customer_id"] for sale in done if sale["customer_id"])
    spent = defaultdict(Decimal)
    owed = defaultdict(Decimal)
    for sale in done:
        if sale["customer_id"]:
            spent[sale["customer_id"]] += sale["total"]
            if sale["method"] == PaymentMethod.CREDIT:
                owed[sale["customer_id"]] += sale["total"]
    for customer in [*shared, bystander]:
        customer.refresh_from_db()
        assert customer.total_visits == visits[customer.pk], customer.name
        assert customer.total_spent == spent[customer.pk], customer.name
    call_command("rebuild_visit_figures", "--check")
    call_command("rebuild_report_figures", "--check")  # each customer's month and year

    # Credit: the balance is the ledger's sum and the credit sales' sum, never past the limit.
    ledger = dict(
        CreditEntry.objects.values("customer")
        .annotate(s=Sum("amount"))
        .values_list("customer", "s")
    )
    credit_sales = dict(
        Sale.objects.filter(payment_method=PaymentMethod.CREDIT)
        .values("customer")
        .annotate(s=Sum("total"))
        .values_list("customer", "s")
    )
    for customer in [*shared, bystander]:
        balance = customer.credit_balance
        assert balance == ledger.get(customer.pk, Decimal("0")), customer.name
        assert balance == credit_sales.get(customer.pk, Decimal("0")), customer.name
        assert balance == owed[customer.pk], customer.name
        assert balance <= customer.credit_limit, customer.name
        # Each entry saw the balance the previous one left (no lost update), never past the limit.
        running = Decimal("0")
        for entry in CreditEntry.objects.filter(customer=customer).order_by("pk"):
            assert entry.kind == CreditEntryKind.CREDIT_SALE
            running += entry.amount
            assert entry.balance_after == running, customer.name
            assert entry.balance_after <= customer.credit_limit, customer.name
    # One ledger entry per credit sale, none for anything else.
    assert sorted(CreditEntry.objects.values_list("sale_id", flat=True)) == sorted(
        sale["pk"] for sale in done if sale["method"] == PaymentMethod.CREDIT
    )
    # Each refusal read a real balance (the balance only grows here, so at most the final one)
    # and the final balance has no room for that sale either.
    final = {customer.pk: customer for customer in shared}
    for customer_id, amount, balance_seen, _ in refused:
        customer = final[customer_id]
        assert balance_seen <= customer.credit_balance, customer.name
        assert customer.credit_balance + amount > customer.credit_limit, customer.name


def test_sixteen_invoices_at_once_are_numbered_one_to_sixteen(make_customer, cashier, manager):
    customer = make_customer()
    sales = [
        sell(cashier=cashier, customer=customer, total="100", payment_method="cash")
        for _ in range(THREADS)
    ]

    results, errors = run_together(
        THREADS, lambda index: invoice_issue(actor=manager, sale=sales[index]).number
    )

    assert not errors, describe(errors)
    assert sorted(results) == list(range(1, THREADS + 1))
    assert sorted(Invoice.objects.values_list("number", flat=True)) == list(range(1, THREADS + 1))
    assert set(Invoice.objects.values_list("sale_id", flat=True)) == {sale.pk for sale in sales}
    assert NumberSequence.objects.get(name=INVOICE_SEQUENCE).last_value == THREADS


@pytest.mark.parametrize(
    "payment_method, with_customer",
    [
        (PaymentMethod.CASH, False),
        (PaymentMethod.MPESA, False),
        (PaymentMethod.CREDIT, True),
    ],
    ids=["walk-in-cash", "walk-in-mpesa", "customer-on-credit"],
)
def test_one_till_form_submitted_at_once_by_many_threads_is_one_sale(
    make_customer, cashier, payment_method, with_customer
):
    customer = make_customer(credit_limit=Decimal("100000")) if with_customer else None
    product = make_product(retail_price="480.50")
    token = uuid.uuid4()
    form = {
        "cashier": cashier,
        "customer": customer,
        "lines": [(product, Decimal("2"))],
        "payment_method": payment_method,
        "cash_tendered": Decimal("1000") if payment_method == PaymentMethod.CASH else None,
        "mpesa_code": "QWE1RTY2UI" if payment_method == PaymentMethod.MPESA else "",
        "till_token": token,
    }
    submissions = 8

    results, errors = run_together(submissions, lambda index: sale_complete(**form))

    recorded = [sale for sale in results if sale is not None]
    assert len(recorded) == 1, describe(errors)
    sale = recorded[0]
    assert len(errors) == submissions - 1
    for error in errors.values():
        assert isinstance(error, SaleAlreadyRecorded), describe(errors)
        assert error.sale.pk == sale.pk
    assert Sale.objects.get() == sale
    assert sale.till_token == token and sale.total == Decimal("961.00")
    assert Payment.objects.get().sale_id == sale.pk
    assert SaleLine.objects.count() == 1
    if customer is not None:
        customer.refresh_from_db()
        assert (customer.total_visits, customer.total_spent) == (1, Decimal("961.00"))
        assert customer.credit_balance == Decimal("961.00")
        assert CreditEntry.objects.get().sale_id == sale.pk
    call_command("rebuild_visit_figures", "--check")
