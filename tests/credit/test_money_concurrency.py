"""Every kind of money change at once on the same few customers: credit sales, payments on
account, voids of sales other tills just made, and managers' adjustments up and down.

Afterwards every balance equals its ledger (the credit issue's `check_credit_balances`, run
here, so CI runs it on PostgreSQL), each recorded change has exactly one ledger entry and each
voided credit sale exactly one reversal, the running sums are exact, visit figures agree with
the sales, and no thread met a deadlock or a lock timeout.

Each thread has its own connection and commits for real, so this runs on PostgreSQL only
(SQLite serialises every writer). It asserts correctness, never speed.
"""

import random
import threading
import uuid
from decimal import Decimal
from io import StringIO

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import Sum

from credit.models import CreditEntry, CreditEntryKind, CreditPayment, CreditPaymentMethod
from credit.services import CreditLimitExceeded, credit_adjust, credit_payment_receive
from customers.models import Customer
from sales.models import PaymentMethod, Sale
from sales.selectors import customers_with_stale_visit_figures
from sales.services import sale_complete, sale_void
from tests.factories import make_product
from tests.sales.test_sale_concurrency import CONCURRENCY_MARKS, describe, run_together

pytestmark = CONCURRENCY_MARKS

THREADS = 12
OPERATIONS_PER_THREAD = 14
CREDIT_LIMIT = Decimal("20000")
# What the services may rightly refuse at a given moment; anything else fails the test.
EXPECTED_REFUSALS = {
    "more_than_owed",
    "owes_nothing",
    "below_zero",
    "already_voided",
    "credit_partly_paid",  # a void of a credit sale the customer has since paid part of
}


def run_mix(customers, products, cashier, manager):
    """THREADS tills and back offices at once. Returns each thread's log of what it recorded."""
    made_sales: list[int] = []  # credit sales committed so far, for other threads to void
    made_sales_lock = threading.Lock()

    def work(thread):
        rng = random.Random(thread)
        log = {"sales": [], "payments": [], "adjustments": [], "voids": [], "refusals": []}
        for number in range(OPERATIONS_PER_THREAD):
            customer = customers[rng.randrange(len(customers))]
            kind = rng.choice(["sale", "sale", "sale", "payment", "adjust", "void", "void"])
            try:
                if kind == "sale":
                    sale = sale_complete(
                        cashier=cashier,
                        customer=customer.pk,
                        lines=[(rng.choice(products), Decimal(rng.choice(["1", "2", "0.5"])))],
                        payment_method=PaymentMethod.CREDIT,
                        till_token=uuid.uuid4(),
                    )
                    log["sales"].append(sale.pk)
                    with made_sales_lock:
                        made_sales.append(sale.pk)
                elif kind == "payment":
                    method = rng.choice([CreditPaymentMethod.CASH, CreditPaymentMethod.MPESA])
                    payment = credit_payment_receive(
                        actor=cashier,
                        customer=customer,
                        amount=rng.choice(["100", "250.50", "999.99"]),
                        method=method,
                        mpesa_code=f"Q{thread:02d}{number:07d}" if method == "mpesa" else "",
                        form_token=uuid.uuid4(),
                    )
                    log["payments"].append(payment.pk)
                elif kind == "adjust":
                    entry = credit_adjust(
                        actor=manager,
                        customer=customer,
                        amount=rng.choice(["-300", "-45.55", "120", "500"]),
                        reason="Counted again at closing",
                        form_token=uuid.uuid4(),
                    )
                    log["adjustments"].append(entry.pk)
                else:
                    with made_sales_lock:
                        chosen = rng.choice(made_sales) if made_sales else None
                    if chosen is None:
                        continue
                    sale_void(actor=manager, sale=Sale(pk=chosen), reason="Goods returned unopened")
                    log["voids"].append(chosen)
            except CreditLimitExceeded:
                log["refusals"].append("credit_limit")
            except ValidationError as refusal:
                if refusal.code not in EXPECTED_REFUSALS:
                    raise
                log["refusals"].append(refusal.code)
        return log

    results, errors = run_together(THREADS, work)
    # A deadlock shows as psycopg's DeadlockDetected, a lock wait past 30 s as LockNotAvailable.
    assert not errors, "a thread failed:\n" + describe(errors)
    return {key: [item for log in results for item in log[key]] for key in results[0]}


def test_sales_payments_voids_and_adjustments_at_once_keep_every_balance_equal_to_its_ledger(
    make_customer, cashier, manager
):
    customers = [
        make_customer(name=name, credit_limit=CREDIT_LIMIT)
        for name in ("Wanjiru Kamau", "Otieno Ochieng", "Chebet Kiprop")
    ]
    products = [make_product(retail_price=price) for price in ("99.99", "450", "1234.50")]

    done = run_mix(customers, products, cashier, manager)

    assert done["sales"] and done["payments"] and done["adjustments"] and done["voids"], (
        "the mix needs every kind of change to prove anything"
    )
    # The credit issue's own check, as an operator would run it.
    out = StringIO()
    call_command("check_credit_balances", stdout=out)
    assert "Every customer's credit balance equals their ledger." in out.getvalue()

    voided = set(done["voids"])
    assert Sale.objects.filter(voided_at__isnull=False).count() == len(voided)
    entries = CreditEntry.objects.all()
    # One entry per recorded change: nothing lost, nothing counted twice.
    assert sorted(
        entries.filter(kind=CreditEntryKind.CREDIT_SALE).values_list("sale", flat=True)
    ) == sorted(done["sales"])
    assert sorted(
        entries.filter(kind=CreditEntryKind.SALE_VOIDED).values_list("sale", flat=True)
    ) == sorted(voided)
    assert set(entries.filter(kind=CreditEntryKind.ADJUSTMENT).values_list("pk", flat=True)) == set(
        done["adjustments"]
    )
    assert set(CreditPayment.objects.values_list("pk", flat=True)) == set(done["payments"])
    assert entries.filter(kind=CreditEntryKind.PAYMENT).count() == len(done["payments"])

    for customer in Customer.objects.filter(pk__in=[c.pk for c in customers]):
        own = list(CreditEntry.objects.filter(customer=customer).order_by("pk"))
        running = Decimal("0")
        for entry in own:  # in the order the customer's row lock let them through
            running += entry.amount
            assert entry.balance_after == running, entry
            assert entry.balance_after >= 0, entry
        sold = Sale.objects.filter(
            customer=customer, payment_method="credit", voided_at__isnull=True
        ).aggregate(total=Sum("total"))["total"] or Decimal("0")
        paid = CreditPayment.objects.filter(entry__customer=customer).aggregate(
            total=Sum("amount")
        )["total"] or Decimal("0")
        adjusted = CreditEntry.objects.filter(
            customer=customer, kind=CreditEntryKind.ADJUSTMENT
        ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
        assert customer.credit_balance == running == sold - paid + adjusted
        assert (
            customer.total_visits
            == Sale.objects.filter(customer=customer, voided_at__isnull=True).count()
        )
    assert customers_with_stale_visit_figures() == []
