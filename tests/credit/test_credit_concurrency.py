"""Sixteen tills at once on one customer's account: credit sales and payments on account
interleaved, and not a shilling lost, counted twice or left behind by a refusal.

Each thread has its own database connection and commits for real, so these are transactional
tests and run on PostgreSQL only (SQLite serialises every writer, so it would prove nothing).
They assert correctness, never speed: `make bench` measures that.
"""

import uuid
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import Sum

from core.models import MpesaCode
from credit.models import CreditEntry, CreditEntryKind, CreditPayment, CreditPaymentMethod
from credit.services import CreditLimitExceeded, credit_payment_receive
from sales.models import Payment, PaymentMethod, Sale
from sales.services import sale_complete
from tests.factories import make_product
from tests.sales.test_sale_concurrency import CONCURRENCY_MARKS, describe, run_together

pytestmark = CONCURRENCY_MARKS

THREADS = 16
OPERATIONS_PER_THREAD = 12
# Amounts with cents, some larger than a typical balance at that moment, so that some payments
# are refused as more than is owed (or as nothing owed, before the first sale lands).
PAYMENT_AMOUNTS = [Decimal("150.25"), Decimal("400"), Decimal("999.99"), Decimal("2500")]
QUANTITIES = [Decimal("1"), Decimal("2"), Decimal("0.5"), Decimal("1.25")]
# A refusal the service is expected to give when the balance is too low at that moment.
PAYMENT_REFUSALS = {"more_than_owed", "owes_nothing"}


@pytest.fixture
def products():
    return [
        make_product(retail_price="99.99"),
        make_product(retail_price="250"),
        make_product(retail_price="1234.50"),
        make_product(retail_price="12.34"),
    ]


def operation(thread: int, number: int, products) -> dict:
    """The `number`-th operation of till `thread`: two credit sales to one payment on account,
    the payments cash or M-Pesa (each code unique), in a different order on each till."""
    k = thread * OPERATIONS_PER_THREAD + number
    if (thread + number) % 3 == 0:
        method = CreditPaymentMethod.MPESA if k % 2 else CreditPaymentMethod.CASH
        return {
            "kind": "payment",
            "amount": PAYMENT_AMOUNTS[k % len(PAYMENT_AMOUNTS)],
            "method": method,
            # Ten letters and digits, unique per thread and operation.
            "mpesa_code": f"P{thread:02d}{number:07d}" if method == "mpesa" else "",
            "form_token": uuid.uuid4(),
        }
    return {
        "kind": "sale",
        "lines": [
            (products[(k + offset) % len(products)], QUANTITIES[(k + offset) % len(QUANTITIES)])
            for offset in range(1 + k % 3)
        ],
        "till_token": uuid.uuid4(),
    }


@pytest.mark.parametrize(
    "credit_limit, expect_limit_refusals",
    [(Decimal("10000000"), False), (Decimal("5000"), True)],
    ids=["generous-limit", "tight-limit-refuses-some-sales"],
)
def test_sixteen_tills_selling_on_credit_and_taking_payments_lose_nothing(
    make_customer, cashier, manager, products, credit_limit, expect_limit_refusals
):
    customer = make_customer(name="Wanjiru Kamau", credit_limit=credit_limit)
    bystander = make_customer(name="Mutua Kioko", credit_limit=credit_limit)
    users = [cashier, manager]

    def till(thread):
        outcome = {"sales": [], "payments": [], "refused_sales": [], "refused_payments": []}
        actor = users[thread % 2]
        for number in range(OPERATIONS_PER_THREAD):
            op = operation(thread, number, products)
            if op["kind"] == "sale":
                try:
                    sale = sale_complete(
                        cashier=actor,
                        customer=customer.pk,
                        lines=op["lines"],
                        payment_method=PaymentMethod.CREDIT,
                        till_token=op["till_token"],
                    )
                except CreditLimitExceeded as refusal:
                    if not expect_limit_refusals:
                        raise
                    amount = refusal.shortfall + refusal.limit - refusal.balance
                    outcome["refused_sales"].append((op["till_token"], refusal.balance, amount))
                    continue
                outcome["sales"].append((sale.pk, sale.total))
            else:
                try:
                    payment = credit_payment_receive(
                        actor=actor,
                        customer=customer,
                        amount=op["amount"],
                        method=op["method"],
                        mpesa_code=op["mpesa_code"],
                        form_token=op["form_token"],
                    )
                except ValidationError as refusal:
                    if refusal.code not in PAYMENT_REFUSALS:
                        raise
                    outcome["refused_payments"].append(op)
                    continue
                outcome["payments"].append((payment.pk, payment.amount, op))
        return outcome

    results, errors = run_together(THREADS, till)
    # A deadlock shows as psycopg's DeadlockDetected (an OperationalError) in a thread.
    assert not errors, "a till failed:\n" + describe(errors)

    sales = [sale for result in results for sale in result["sales"]]
    payments = [payment for result in results for payment in result["payments"]]
    refused_sales = [refusal for result in results for refusal in result["refused_sales"]]
    refused_payments = [op for result in results for op in result["refused_payments"]]
    operations = len(sales) + len(payments) + len(refused_sales) + len(refused_payments)
    assert operations == THREADS * OPERATIONS_PER_THREAD
    assert sales and payments, "the mix needs both credit sales and payments to prove anything"
    if expect_limit_refusals:
        assert refused_sales, "the tight limit should have refused some credit sales"
    else:
        assert refused_sales == []

    # The balance is the ledger's sum, which is what was sold on credit less what was paid.
    customer.refresh_from_db()
    sold = sum((total for _pk, total in sales), Decimal("0"))
    paid = sum((amount for _pk, amount, _op in payments), Decimal("0"))
    ledger = CreditEntry.objects.filter(customer=customer).aggregate(total=Sum("amount"))["total"]
    assert customer.credit_balance == ledger == sold - paid
    assert (
        Sale.objects.filter(customer=customer, payment_method="credit").aggregate(
            total=Sum("total")
        )["total"]
        == sold
    )
    assert CreditPayment.objects.aggregate(total=Sum("amount"))["total"] == paid
    assert customer.credit_balance <= credit_limit

    # One entry per recorded sale and per recorded payment, and nothing else.
    entries = list(CreditEntry.objects.filter(customer=customer).order_by("pk"))
    assert len(entries) == len(sales) + len(payments)
    assert CreditEntry.objects.count() == len(entries)
    assert sorted(e.sale_id for e in entries if e.kind == CreditEntryKind.CREDIT_SALE) == sorted(
        pk for pk, _total in sales
    )
    payment_rows = {p.entry_id: p for p in CreditPayment.objects.all()}
    assert {p.pk for p in payment_rows.values()} == {pk for pk, _amount, _op in payments}
    assert {e.pk for e in entries if e.kind == CreditEntryKind.PAYMENT} == set(payment_rows)

    # In id order (the order the row lock let them through) each entry starts from the balance
    # the previous one left: an exact running sum, never below zero, never past the limit.
    running = Decimal("0")
    for entry in entries:
        if entry.kind == CreditEntryKind.PAYMENT:
            payment = payment_rows[entry.pk]
            assert payment.balance_before == running
            assert payment.balance_before - payment.amount == payment.balance_after
            assert payment.balance_after == entry.balance_after
            assert entry.amount == -payment.amount
        running += entry.amount
        assert entry.balance_after == running
        assert Decimal("0") <= entry.balance_after <= credit_limit
    assert running == customer.credit_balance

    # Refusals left nothing behind: no sale, no payment, no M-Pesa code claimed.
    assert Sale.objects.count() == len(sales)
    assert Payment.objects.count() == len(sales)
    assert not Sale.objects.filter(till_token__in=[r[0] for r in refused_sales]).exists()
    assert not CreditPayment.objects.filter(
        form_token__in=[op["form_token"] for op in refused_payments]
    ).exists()
    refused_codes = [op["mpesa_code"] for op in refused_payments if op["mpesa_code"]]
    assert not MpesaCode.objects.filter(code__in=refused_codes).exists()
    recorded_codes = {op["mpesa_code"] for _pk, _amount, op in payments if op["mpesa_code"]}
    assert set(MpesaCode.objects.values_list("code", flat=True)) == recorded_codes
    # Each refusal read a balance the ledger really passed through (not a stale or half-written
    # one), and from it the sale would indeed have passed the limit.
    balances_passed = {Decimal("0")} | {entry.balance_after for entry in entries}
    for _token, balance_seen, amount in refused_sales:
        assert balance_seen in balances_passed
        assert balance_seen + amount > credit_limit

    bystander.refresh_from_db()
    assert bystander.credit_balance == 0
    out = StringIO()
    call_command("check_credit_balances", stdout=out)
    assert "equals their ledger" in out.getvalue()
    call_command("rebuild_visit_figures", "--check", stdout=StringIO())
    call_command("rebuild_report_figures", "--check", stdout=StringIO())
