"""A small credit book, made through the services, that the report tests read back."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from credit.models import CreditEntry
from credit.selectors import end_of_day
from credit.services import credit_payment_receive
from customers.models import Customer, CustomerGroup
from tests.factories import next_mpesa_code, sell

TODAY = timezone.localdate()


def days_ago(days: int):
    """10:00 in Nairobi, `days` days ago."""
    return timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(
        days=days
    )


def ledger_total(customer=None, *, as_of=None) -> Decimal:
    """What the ledger adds up to (one customer or everyone), up to the end of `as_of`."""
    entries = CreditEntry.objects.all()
    if customer is not None:
        entries = entries.filter(customer=customer)
    if as_of is not None:
        entries = entries.filter(created_at__lt=end_of_day(as_of))
    return entries.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


@dataclass
class Book:
    amina: Customer  # Dairy, walk-in, Mwingi, SMS: 1,000 current
    baraka: Customer  # Maize, wholesale, Kitui, SMS: 1,700 in 61-90 and 500 in 31-60
    chebet: Customer  # Dairy, walk-in, Matuu, no SMS: 700 over 90
    daudi: Customer  # owed 300 from day -50 to day -20, nothing today
    esther: Customer  # never bought on credit
    cash_payment: object
    mpesa_payment: object
    daudi_payment: object


@pytest.fixture
def book(make_customer, cashier, manager, clusters) -> Book:
    dairy, maize = clusters
    wholesale = CustomerGroup.objects.get(slug="wholesale")
    limit = Decimal("5000")
    amina = make_customer(
        name="Amina Current", village="Mwingi", clusters=[dairy], send_sms=True, credit_limit=limit
    )
    baraka = make_customer(
        name="Baraka Overdue",
        village="Kitui",
        clusters=[maize],
        group=wholesale,
        send_sms=True,
        credit_limit=limit,
    )
    chebet = make_customer(
        name="Chebet Old", village="Matuu", clusters=[dairy], credit_limit=Decimal("1000")
    )
    daudi = make_customer(name="Daudi Paid", village="Mwingi", credit_limit=limit)
    esther = make_customer(name="Esther Cash", village="Mwingi", credit_limit=limit)

    def credit_sale(customer, total, days):
        sell(
            cashier=cashier,
            customer=customer,
            total=total,
            payment_method="credit",
            sold_at=days_ago(days),
        )

    credit_sale(amina, "1000", 10)
    credit_sale(baraka, "2000", 75)
    credit_sale(baraka, "500", 40)
    cash_payment = credit_payment_receive(
        actor=cashier, customer=baraka, amount="300", method="cash", received_at=days_ago(5)
    )
    credit_sale(chebet, "800", 120)
    mpesa_payment = credit_payment_receive(
        actor=manager,
        customer=chebet,
        amount="100",
        method="mpesa",
        mpesa_code=next_mpesa_code(),
        received_at=days_ago(1),
    )
    credit_sale(daudi, "300", 50)
    daudi_payment = credit_payment_receive(
        actor=cashier, customer=daudi, amount="300", method="cash", received_at=days_ago(20)
    )
    for customer in (amina, baraka, chebet, daudi, esther):
        customer.refresh_from_db()
    return Book(amina, baraka, chebet, daudi, esther, cash_payment, mpesa_payment, daudi_payment)
