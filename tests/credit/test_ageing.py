"""FIFO ageing worked by hand, and "as of" a past day."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from credit.selectors import ageing_by_customer, ageing_summary, outstanding_total
from credit.services import credit_adjust, credit_payment_receive
from sales.services import sale_void
from tests.factories import sell

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def days_ago(days: int):
    return timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(
        days=days
    )


@pytest.fixture
def worked_example(make_customer, cashier, manager):
    """The example in the README, by hand:

    day -100 credit sale 1,000   day -70 credit sale 500   day -45 payment 1,200
    day -40  credit sale 800     day -10 credit sale 300   day -5  adjustment +100
    day -2   payment 400
    """
    customer = make_customer(name="Kioko Mutua", credit_limit=Decimal("100000"))

    def credit_sale(total, days):
        return sell(
            cashier=cashier,
            customer=customer,
            total=total,
            payment_method="credit",
            sold_at=days_ago(days),
        )

    credit_sale("1000", 100)
    credit_sale("500", 70)
    credit_payment_receive(
        actor=cashier, customer=customer, amount="1200", method="cash", received_at=days_ago(45)
    )
    credit_sale("800", 40)
    credit_sale("300", 10)
    credit_adjust(
        actor=manager, customer=customer, amount="100", reason="Delivery charge", at=days_ago(5)
    )
    credit_payment_receive(
        actor=cashier,
        customer=customer,
        amount="400",
        method="mpesa",
        mpesa_code="QWE1234567",
        received_at=days_ago(2),
    )
    return customer


def buckets(ageing) -> tuple:
    return (ageing.current, ageing.days_31_60, ageing.days_61_90, ageing.over_90)


def test_payments_settle_the_oldest_credit_first(worked_example):
    # Paid 1,600 in all: the 1,000 and the 500 are settled, 700 of the 800 is left (day -40,
    # 31-60 days), the 300 and the 100 adjustment are current.
    ageing = ageing_by_customer(TODAY)[worked_example.pk]
    assert buckets(ageing) == (
        Decimal("400.00"),
        Decimal("700.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert ageing.outstanding == Decimal("1100.00")
    assert timezone.localtime(ageing.oldest_unpaid_at).date() == TODAY - timedelta(days=40)
    worked_example.refresh_from_db()
    assert worked_example.credit_balance == ageing.outstanding


def test_as_of_a_past_day_ignores_what_came_later(worked_example):
    # Day -50: the payment of day -45 had not come yet; the 1,000 was 50 days old.
    ageing = ageing_by_customer(TODAY - timedelta(days=50))[worked_example.pk]
    assert buckets(ageing) == (
        Decimal("500.00"),
        Decimal("1000.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert outstanding_total(TODAY - timedelta(days=50)) == Decimal("1500.00")
    # Day -44: the 1,200 paid the 1,000 and 200 of the 500 (then 26 days old).
    ageing = ageing_by_customer(TODAY - timedelta(days=44))[worked_example.pk]
    assert buckets(ageing) == (Decimal("300.00"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    # Before the first credit sale nobody owed anything.
    assert ageing_by_customer(TODAY - timedelta(days=101)) == {}


def test_a_voided_credit_sale_drops_out_from_the_day_it_was_voided(
    worked_example, cashier, manager
):
    sale = sell(
        cashier=cashier,
        customer=worked_example,
        total="250",
        payment_method="credit",
        sold_at=days_ago(95),
    )
    before_void = ageing_by_customer(TODAY)[worked_example.pk]
    # The 250 (day -95) is now the oldest after the 1,000: the 1,600 paid settles 1,000, 250
    # and 350 of the 500, leaving 150 of the 500 (61-90) and all later sales.
    assert buckets(before_void) == (
        Decimal("400.00"),
        Decimal("800.00"),
        Decimal("150.00"),
        Decimal("0.00"),
    )
    sale_void(actor=manager, sale=sale, reason="Goods returned")
    assert buckets(ageing_by_customer(TODAY)[worked_example.pk]) == (
        Decimal("400.00"),
        Decimal("700.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    # Yesterday the void had not happened: still there.
    assert ageing_by_customer(TODAY - timedelta(days=1))[worked_example.pk].days_61_90 == Decimal(
        "150.00"
    )


def test_the_summary_adds_up_to_the_ledger(worked_example, make_customer, cashier):
    other = make_customer(name="Other", credit_limit=Decimal("5000"))
    sell(
        cashier=cashier,
        customer=other,
        total="2000",
        payment_method="credit",
        sold_at=days_ago(120),
    )
    summary = ageing_summary(TODAY)
    amounts = {bucket["name"]: bucket["amount"] for bucket in summary["buckets"]}
    assert amounts == {
        "current": Decimal("400.00"),
        "days_31_60": Decimal("700.00"),
        "days_61_90": Decimal("0.00"),
        "over_90": Decimal("2000.00"),
    }
    assert summary["outstanding"] == outstanding_total(TODAY) == Decimal("3100.00")
    assert summary["customers"] == 2
