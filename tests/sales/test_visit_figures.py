from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from core.staff import staff_name
from credit.models import CreditEntry
from credit.services import CreditLimitExceeded
from customers.models import Customer
from sales.models import Sale
from sales.selectors import VISIT_FIGURES, customers_with_stale_visit_figures
from sales.services import sale_complete
from tests.factories import make_product, sell

pytestmark = pytest.mark.django_db


def figures(customer):
    customer.refresh_from_db()
    return {name: getattr(customer, name) for name in VISIT_FIGURES}


def test_a_sale_updates_the_visit_figures_in_the_same_call(make_customer, cashier):
    customer = make_customer()
    when = timezone.now() - timedelta(days=3)
    sell(cashier=cashier, customer=customer, total="100.10", payment_method="cash", sold_at=when)
    assert figures(customer) == {
        "first_visit_at": when,
        "last_visit_at": when,
        "total_visits": 1,
        "total_spent": Decimal("100.10"),
        "last_cashier_id": cashier.pk,
        "last_cashier_name": staff_name(cashier),
    }


def test_stored_figures_and_the_rebuild_agree(make_customer, cashier, manager):
    alice, bob, never = make_customer(), make_customer(name="Bob"), make_customer(name="Never")
    now = timezone.now()
    # Out of order on purpose: a back-dated sale must not steal Last Visit or Last Cashier.
    sell(cashier=cashier, customer=alice, total="50", payment_method="cash", sold_at=now)
    sell(
        cashier=manager,
        customer=alice,
        total="20.25",
        payment_method="mpesa",
        sold_at=now - timedelta(days=40),
    )
    sell(
        cashier=manager,
        customer=bob,
        total="999.99",
        payment_method="cash",
        sold_at=now - timedelta(days=1),
    )
    sell(cashier=cashier, customer=None, total="10", payment_method="cash")
    stored = {c.pk: figures(c) for c in (alice, bob, never)}
    assert stored[alice.pk]["last_cashier_id"] == cashier.pk
    assert stored[bob.pk]["last_cashier_name"] == staff_name(manager)
    assert stored[alice.pk]["first_visit_at"] == now - timedelta(days=40)
    assert stored[never.pk]["total_visits"] == 0 and stored[never.pk]["last_visit_at"] is None

    assert customers_with_stale_visit_figures() == []
    Customer.objects.update(
        total_visits=0,
        total_spent=0,
        last_visit_at=None,
        first_visit_at=None,
        last_cashier=None,
        last_cashier_name=None,
    )
    assert len(customers_with_stale_visit_figures()) == 2
    call_command("rebuild_visit_figures")
    assert {c.pk: figures(c) for c in (alice, bob, never)} == stored
    call_command("rebuild_visit_figures", "--check")


def test_check_mode_fails_when_figures_differ(make_customer, cashier):
    customer = make_customer()
    sell(cashier=cashier, customer=customer, total="50", payment_method="cash")
    Customer.objects.filter(pk=customer.pk).update(total_visits=7)
    with pytest.raises(Exception, match="differ"):
        call_command("rebuild_visit_figures", "--check")


def test_credit_sale_writes_the_ledger_entry_with_the_balance(make_customer, cashier):
    customer = make_customer(credit_limit=Decimal("1000"))
    sale = sell(cashier=cashier, customer=customer, total="400", payment_method="credit")
    customer.refresh_from_db()
    entry = CreditEntry.objects.get()
    assert customer.credit_balance == Decimal("400.00")
    assert (entry.sale, entry.amount, entry.balance_after, entry.created_by) == (
        sale,
        Decimal("400.00"),
        Decimal("400.00"),
        cashier,
    )


def test_credit_past_the_limit_is_refused_and_nothing_is_recorded(make_customer, cashier):
    customer = make_customer(credit_limit=Decimal("1000"))
    sell(cashier=cashier, customer=customer, total="800", payment_method="credit")
    with pytest.raises(CreditLimitExceeded) as refused:
        sell(cashier=cashier, customer=customer, total="300", payment_method="credit")
    assert refused.value.shortfall == Decimal("100.00")
    assert "by KES 100.00" in refused.value.messages[0]
    customer.refresh_from_db()
    assert (customer.credit_balance, customer.total_visits, Sale.objects.count()) == (
        Decimal("800.00"),
        1,
        1,
    )


def test_refused_sales_leave_the_visit_figures_alone(make_customer, cashier):
    customer = make_customer()
    before = figures(customer)
    with pytest.raises(ValidationError):
        sell(cashier=cashier, customer=None, total="10", payment_method="credit")
    with pytest.raises(ValidationError):
        sale_complete(
            cashier=cashier,
            customer=customer,
            lines=[(make_product(), Decimal("-1"))],
            payment_method="cash",
            cash_tendered="1000",
        )
    assert not Sale.objects.exists()
    assert figures(customer) == before
