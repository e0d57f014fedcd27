"""Each customer's sales per month and per year (CustomerSalesTotal), kept with every sale and
void and rebuilt by `rebuild_report_figures`: always equal to a sum over the sales made here."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from customers.services import customer_delete
from sales.models import CustomerSalesTotal, Sale
from sales.selectors import customers_with_stale_sales_totals
from sales.services import sale_void
from tests.factories import sell

pytestmark = pytest.mark.django_db


def expected_totals() -> dict:
    """Straight from the sales, in Python: the shop's local month and year of each sale."""
    totals = defaultdict(lambda: [0, Decimal("0")])
    for sale in Sale.objects.filter(customer__isnull=False, voided_at__isnull=True):
        day = timezone.localtime(sale.sold_at).date()
        for period, starts_on in (
            ("month", day.replace(day=1)),
            ("year", day.replace(month=1, day=1)),
        ):
            row = totals[(sale.customer_id, period, starts_on)]
            row[0] += 1
            row[1] += sale.total
    return {key: tuple(value) for key, value in totals.items()}


def stored_totals() -> dict:
    return {
        (row.customer_id, row.period, row.starts_on): (row.visits, row.revenue)
        for row in CustomerSalesTotal.objects.all()
    }


def test_sales_add_up_per_month_and_year_in_the_shops_time_zone(make_customer, cashier):
    alice, bob = make_customer(), make_customer(name="Bob")
    # 21:30 UTC on 31 December is 00:30 on 1 January in Nairobi: the new year's sale.
    new_year = datetime(2025, 12, 31, 21, 30, tzinfo=UTC)
    sell(cashier=cashier, customer=alice, total="100.10", payment_method="cash", sold_at=new_year)
    sell(
        cashier=cashier,
        customer=alice,
        total="50",
        payment_method="mpesa",
        sold_at=new_year - timedelta(hours=1),
    )
    sell(cashier=cashier, customer=alice, total="25.05", payment_method="cash", sold_at=new_year)
    sell(cashier=cashier, customer=bob, total="999.99", payment_method="cash")
    sell(cashier=cashier, customer=None, total="10", payment_method="cash")

    assert stored_totals() == expected_totals()
    assert stored_totals()[(alice.pk, "year", datetime(2026, 1, 1).date())] == (
        2,
        Decimal("125.15"),
    )
    assert stored_totals()[(alice.pk, "month", datetime(2025, 12, 1).date())] == (
        1,
        Decimal("50.00"),
    )
    assert not CustomerSalesTotal.objects.filter(customer=None).exists()  # walk-ins: none


def test_a_void_takes_the_sale_out_and_an_emptied_period_goes(make_customer, cashier, manager):
    customer = make_customer()
    last_month = timezone.now() - timedelta(days=40)
    only = sell(
        cashier=cashier, customer=customer, total="70", payment_method="cash", sold_at=last_month
    )
    sell(cashier=cashier, customer=customer, total="30", payment_method="cash")
    kept = sell(cashier=cashier, customer=customer, total="45.50", payment_method="mpesa")

    sale_void(actor=manager, sale=only, reason="Entered twice")
    sale_void(actor=manager, sale=kept, reason="Customer changed mind")

    assert stored_totals() == expected_totals()
    months = CustomerSalesTotal.objects.filter(period="month")
    assert [(row.visits, row.revenue) for row in months] == [(1, Decimal("30.00"))]


def test_deleting_a_customer_removes_their_totals_and_keeps_the_sales(
    make_customer, cashier, manager
):
    customer = make_customer()
    sell(cashier=cashier, customer=customer, total="80", payment_method="cash")
    customer_delete(actor=manager, customer=customer)
    assert not CustomerSalesTotal.objects.exists()
    assert Sale.objects.filter(customer=None, total=Decimal("80")).exists()
    assert customers_with_stale_sales_totals() == []


def test_the_rebuild_restores_tampered_figures_and_check_says_so(make_customer, cashier):
    alice, bob = make_customer(), make_customer(name="Bob")
    sell(cashier=cashier, customer=alice, total="10", payment_method="cash")
    sell(
        cashier=cashier,
        customer=bob,
        total="20",
        payment_method="cash",
        sold_at=timezone.now() - timedelta(days=400),
    )
    before = stored_totals()
    call_command("rebuild_report_figures", "--check")

    CustomerSalesTotal.objects.filter(customer=alice).update(visits=9)
    CustomerSalesTotal.objects.filter(customer=bob, period="year").delete()
    stale = customers_with_stale_sales_totals()
    assert sorted(row["pk"] for row in stale) == sorted([alice.pk, bob.pk])
    with pytest.raises(CommandError, match="2 customer"):
        call_command("rebuild_report_figures", "--check")

    call_command("rebuild_report_figures")
    assert stored_totals() == before == expected_totals()
    call_command("rebuild_report_figures", "--check")
