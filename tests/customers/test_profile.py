"""The customer profile: every figure checked against a computation made here, in Python, from
the customer's sales, sale lines and credit ledger."""

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from credit.models import CreditEntry
from sales.models import Sale, SaleLine
from sales.services import sale_complete, sale_void
from tests.factories import make_product, next_mpesa_code, sell

pytestmark = pytest.mark.django_db

PER_PAGE = 20


def months_ago(months: int, *, day: int = 1, hour: int = 0, minute: int = 30) -> datetime:
    """A moment in the shop's time zone `months` calendar months back (0: this month, clamped
    to now so no sale is in the future)."""
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months
    moment = timezone.make_aware(datetime(index // 12, index % 12 + 1, day, hour, minute))
    return min(moment, timezone.now() - timedelta(seconds=1))


def last_months(count: int = 12) -> list[tuple[int, int]]:
    today = timezone.localdate()
    now_index = today.year * 12 + today.month - 1
    return [(index // 12, index % 12 + 1) for index in range(now_index - count + 1, now_index + 1)]


def buy(customer, cashier, lines, *, sold_at=None, payment_method="cash"):
    return sale_complete(
        cashier=cashier,
        customer=customer,
        lines=[(product, Decimal(str(quantity))) for product, quantity in lines],
        payment_method=payment_method,
        cash_tendered=Decimal("1000000") if payment_method == "cash" else None,
        mpesa_code=next_mpesa_code() if payment_method == "mpesa" else "",
        sold_at=sold_at,
    )


@pytest.fixture
def shop(make_customer, cashier, manager):
    """Wanjiru's sales over the last year: several products, one credit sale, one voided sale
    (of a product she bought nowhere else), a sale 14 months ago, and another customer's sales
    of the same products."""
    customer = make_customer(name="Wanjiru Kamau", credit_limit=Decimal("50000"))
    other = make_customer(name="Otieno Ouma")
    maize, dap, seed, salt, feed, rope, voided_only = (
        make_product(name=name, retail_price=price)
        for name, price in [
            ("Maize flour", "150"),
            ("DAP fertiliser", "3500"),
            ("Hybrid seed", "650"),
            ("Salt", "40"),
            ("Dairy meal", "2200"),
            ("Rope", "120"),
            ("Voided thing", "999"),
        ]
    )
    buy(customer, cashier, [(maize, 2), (dap, 1)], sold_at=months_ago(0))
    buy(
        customer,
        cashier,
        [(maize, 1), (seed, "2.5")],
        sold_at=months_ago(1),
        payment_method="mpesa",
    )
    buy(customer, cashier, [(maize, 3), (salt, 10)], sold_at=months_ago(3, day=1, hour=0))
    buy(customer, cashier, [(dap, 2), (feed, 1)], sold_at=months_ago(3, day=20, hour=14))
    buy(customer, cashier, [(seed, 1), (rope, 4)], sold_at=months_ago(6), payment_method="credit")
    buy(customer, cashier, [(salt, 1)], sold_at=months_ago(11, day=2))
    buy(customer, cashier, [(feed, 5)], sold_at=months_ago(14, day=10))
    voided = buy(customer, cashier, [(voided_only, 50), (maize, 40)], sold_at=months_ago(2))
    sale_void(actor=manager, sale=voided, reason="Wrong customer")
    for _ in range(3):
        buy(other, cashier, [(voided_only, 1), (rope, 9)], sold_at=months_ago(1))
    customer.refresh_from_db()
    return customer


def profile(client, user, customer, page=None):
    client.force_login(user)
    url = customer.get_absolute_url() + (f"?page={page}" if page else "")
    response = client.get(url)
    assert response.status_code == 200
    return response


def expected_favourites(customer, limit=5):
    times, quantity, latest = defaultdict(set), defaultdict(Decimal), {}
    for sale in Sale.objects.filter(customer=customer):
        if sale.voided_at is not None:
            continue
        for line in SaleLine.objects.filter(sale=sale):
            times[line.product_id].add(sale.pk)
            quantity[line.product_id] += line.quantity
            if line.product_id not in latest or line.pk > latest[line.product_id].pk:
                latest[line.product_id] = line
    ranked = sorted(times, key=lambda pid: (-len(times[pid]), -quantity[pid], pid))[:limit]
    return [(latest[pid].product_name, len(times[pid]), quantity[pid]) for pid in ranked]


def test_totals_credit_balance_and_last_visit_match_the_sales_and_ledger(client, manager, shop):
    response = profile(client, manager, shop)
    sales = [sale for sale in Sale.objects.filter(customer=shop) if sale.voided_at is None]
    total_spent = sum((sale.total for sale in sales), Decimal("0"))
    balance = sum((entry.amount for entry in CreditEntry.objects.filter(customer=shop)), Decimal(0))
    last_visit = max(sale.sold_at for sale in sales)

    customer = response.context["customer"]
    assert customer.total_spent == total_spent
    assert customer.credit_balance == balance > 0
    assert customer.last_visit_at == last_visit
    html = response.content.decode()
    assert f'data-testid="total-spent">KES {total_spent:,.2f}<' in html
    credit_figure = html.split('data-testid="credit-balance">', 1)[1].split("</dd>", 1)[0]
    assert f"KES {balance:,.2f}<" in credit_figure


def test_favourite_products_are_the_top_five_by_times_bought_with_quantities(client, manager, shop):
    response = profile(client, manager, shop)
    shown = [
        (row["name"], row["times_bought"], row["quantity"])
        for row in response.context["favourite_products"]
    ]
    expected = expected_favourites(shop)
    assert shown == expected
    assert len(shown) == 5
    # Maize: three sales (the voided one, with 40 more, does not count), 2 + 1 + 3.
    assert shown[0] == ("Maize flour", 3, Decimal("6"))
    assert "Voided thing" not in {name for name, _, _ in shown}
    html = response.content.decode()
    assert "Maize flour" in html


def test_favourites_show_the_latest_name_a_product_was_sold_under(
    client, manager, make_customer, cashier
):
    customer = make_customer()
    product = make_product(name="Old name")
    buy(customer, cashier, [(product, 1)], sold_at=months_ago(2))
    product.name = "New name"
    product.save()
    buy(customer, cashier, [(product, 2)], sold_at=months_ago(1))
    rows = profile(client, manager, customer).context["favourite_products"]
    assert [(row["name"], row["times_bought"], row["quantity"]) for row in rows] == [
        ("New name", 2, Decimal("3"))
    ]


def test_visits_per_month_count_non_voided_sales_per_nairobi_month_with_zero_months(
    client, manager, shop
):
    response = profile(client, manager, shop)
    counts = defaultdict(int)
    for sale in Sale.objects.filter(customer=shop, voided_at__isnull=True):
        local = timezone.localtime(sale.sold_at)
        counts[(local.year, local.month)] += 1
    expected = [counts[month] for month in last_months()]

    rows = response.context["visits_per_month"]
    assert [(row["month"].year, row["month"].month) for row in rows] == last_months()
    assert [row["visits"] for row in rows] == expected
    assert expected.count(0) >= 6  # months without a visit are listed, as 0
    assert expected[-4] == 2  # both sales three months ago, one at 00:30 on the 1st in Nairobi
    assert expected[-3] == 0  # the voided sale's month
    chart = response.context["visits_chart"].as_json_data()
    assert chart["series"][0]["data"] == expected
    assert len(chart["labels"]) == 12
    html = response.content.decode()
    assert 'data-testid="chart-visits-per-month"' in html
    assert 'data-testid="visits-per-month"' in html


def test_history_lists_every_sale_newest_first_with_voided_marked(client, manager, shop):
    response = profile(client, manager, shop)
    sales = sorted(
        Sale.objects.filter(customer=shop), key=lambda s: (s.sold_at, s.pk), reverse=True
    )
    shown = list(response.context["purchases"])
    assert [sale.pk for sale in shown] == [sale.pk for sale in sales]
    assert len(shown) == 8
    html = response.content.decode()
    voided = next(sale for sale in sales if sale.voided_at)
    assert html.count('data-testid="voided"') == 1
    row = html.split(f'data-sale="{voided.pk}"')[1].split("</tr>")[0]
    assert "Voided" in row
    assert f'href="{voided.get_absolute_url()}"' in row
    for sale in shown:
        row = html.split(f'data-sale="{sale.pk}"')[1].split("</tr>")[0]
        assert f"{sale.total:,.2f}" in row
        assert sale.get_payment_method_display() in row
        assert sale.cashier.get_username() in row
        assert timezone.localtime(sale.sold_at).strftime("%H:%M") in row


def test_other_customers_sales_are_not_counted(client, manager, shop, make_customer):
    other = make_customer(name="Nobody Else")
    response = profile(client, manager, other)
    assert list(response.context["purchases"]) == []
    assert response.context["favourite_products"] == []
    assert all(row["visits"] == 0 for row in response.context["visits_per_month"])


def test_history_is_paginated(client, manager, make_customer, cashier):
    customer = make_customer()
    sales = [
        sell(
            cashier=cashier,
            customer=customer,
            total="10",
            payment_method="cash",
            sold_at=timezone.now() - timedelta(hours=index + 1),
        )
        for index in range(PER_PAGE + 5)
    ]
    first = profile(client, manager, customer)
    assert [s.pk for s in first.context["purchases"]] == [s.pk for s in sales[:PER_PAGE]]
    assert 'href="?page=2#purchases"' in first.content.decode()
    second = profile(client, manager, customer, page=2)
    assert [s.pk for s in second.context["purchases"]] == [s.pk for s in sales[PER_PAGE:]]
    assert 'href="?page=1#purchases"' in second.content.decode()
    # A page past the end shows the last page, never an error.
    assert profile(client, manager, customer, page=99).context["purchases_page"].number == 2


def count_queries(client, customer, page=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(customer.get_absolute_url() + (f"?page={page}" if page else ""))
    assert response.status_code == 200
    return len(queries)


def test_the_profile_runs_a_fixed_number_of_queries_whatever_the_history_length(
    client, manager, make_customer, cashier
):
    few, many = make_customer(name="Few"), make_customer(name="Many")
    products = [make_product() for _ in range(8)]
    for customer, count in ((few, 5), (many, 60)):
        for index in range(count):
            buy(
                customer,
                cashier,
                [(products[index % 8], 1), (products[(index + 3) % 8], 2)],
                sold_at=months_ago(index % 12, day=5),
            )
    client.force_login(manager)
    count_queries(client, few)  # session and permission caches warm alike for both
    assert (
        count_queries(client, few)
        == count_queries(client, many)
        == count_queries(client, many, page=3)
    )
