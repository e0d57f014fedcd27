"""Bounds a till can't break (issue 18): a line holds at most TILL_MAX_LINE_QUANTITY, a sale at
most TILL_MAX_SALE_TOTAL, and the report figures that add sales up hold years of a chain's
revenue, so one mistaken quantity never stops the shop. Run on SQLite and on PostgreSQL (where
numeric overflow raises)."""

import os
import subprocess
import sys
import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from core.models import MpesaCode
from core.money import MONEY_MAX
from credit.models import CreditEntry
from credit.services import credit_adjust
from customers.models import Customer
from reports.selectors import ReportPeriod, activity_by_cluster
from sales.bounds import MAX_CART_LINES
from sales.figures import figures_differences, figures_rebuild
from sales.forms import ProductForm
from sales.importing import product_import
from sales.models import (
    CustomerSalesTotal,
    Payment,
    PaymentMethod,
    Product,
    RevenueBand,
    Sale,
    SaleLine,
    SalesSummary,
)
from sales.selectors import customers_with_stale_visit_figures
from sales.services import product_create, sale_complete, visit_figures_rebuild
from tests.factories import make_product, next_mpesa_code, sell
from tests.sales.test_product_import import sheet_of

pytestmark = pytest.mark.django_db

MAX_TOTAL = settings.TILL_MAX_SALE_TOTAL
MAX_QUANTITY = settings.TILL_MAX_LINE_QUANTITY
TILL_URL = reverse("sales:till")

# What the till accepted before these bounds: the probe's 26 lines of 9,999,999.999 at KES 3,846
# are KES 999,959,999,899.90 a sale, just inside what a sale's column holds.
OLD_BOUNDS = {"TILL_MAX_LINE_QUANTITY": Decimal("9999999.999"), "TILL_MAX_SALE_TOTAL": MONEY_MAX}
PROBE_QUANTITY = Decimal("9999999.999")
PROBE_LINES = 26


def this_year() -> ReportPeriod:
    return ReportPeriod.of_year(timezone.localdate().year)


def books() -> tuple:
    """Everything a refused sale must leave as it was."""
    return (
        Sale.objects.count(),
        SaleLine.objects.count(),
        Payment.objects.count(),
        CreditEntry.objects.count(),
        MpesaCode.objects.count(),
        sorted(SalesSummary.objects.values_list("segment", "slot", "visits", "revenue")),
        sorted(CustomerSalesTotal.objects.values_list("customer", "period", "revenue")),
        sorted(RevenueBand.objects.values_list("band", "slot", "customers", "revenue")),
        sorted(Customer.objects.values_list("pk", "total_visits", "total_spent", "credit_balance")),
    )


def assert_figures_match_the_sales():
    assert figures_differences() == []
    assert customers_with_stale_visit_figures() == []


def year_figures() -> dict:
    """This year's walk-in and customer revenue as the activity report shows it, and the sales'."""
    report = activity_by_cluster(this_year())
    start = timezone.make_aware(datetime.combine(this_year().starts_on, time()))
    standing = Sale.objects.filter(voided_at__isnull=True, sold_at__gte=start)
    return {
        "walk_in": report["walk_in"]["revenue"],
        "total": report["total"]["revenue"],
        "walk_in_sales": sum(s.total for s in standing.filter(customer__isnull=True)),
        "all_sales": sum(s.total for s in standing),
    }


@pytest.fixture
def regular(make_customer):
    return make_customer(name="Mzee Mutua", credit_limit=str(10 * MAX_TOTAL))


# --- the probe: sales the old till took no longer stop the next one -------------------------


def test_the_probes_sales_no_longer_stop_later_sales(cashier, regular):
    """Nine walk-in and nine customer M-Pesa sales of about 10^12 (what the till took before):
    two land in the same figure row, past what numeric(14, 2) holds. Later sales go through and
    the reports add up."""
    product = make_product(name="Probe", retail_price="3846")
    with override_settings(**OLD_BOUNDS):
        for customer in [None] * 9 + [regular] * 9:
            sale_complete(
                cashier=cashier,
                customer=customer,
                lines=[(product, PROBE_QUANTITY)] * PROBE_LINES,
                payment_method=PaymentMethod.MPESA,
                mpesa_code=next_mpesa_code(),
            )
    probe = Sale.objects.first().total
    assert probe == Decimal("999959999899.90")
    assert max(SalesSummary.objects.values_list("revenue", flat=True)) > MONEY_MAX

    walk_in = sell(cashier=cashier, total="450", payment_method=PaymentMethod.MPESA)
    customer_sale = sell(
        cashier=cashier, customer=regular, total="1200", payment_method=PaymentMethod.CASH
    )
    assert walk_in.pk and customer_sale.pk
    assert_figures_match_the_sales()
    figures = year_figures()
    assert figures["walk_in"] == figures["walk_in_sales"] == 9 * probe + Decimal("450")
    assert figures["total"] == figures["all_sales"] == 18 * probe + Decimal("1650")
    regular.refresh_from_db()
    assert regular.total_spent == 9 * probe + Decimal("1200")


def test_the_reports_open_with_the_probes_figures(client, manager, cashier, regular):
    product = make_product(name="Probe", retail_price="3846")
    with override_settings(**OLD_BOUNDS):
        for customer in (None, None, regular, regular):
            sale_complete(
                cashier=cashier,
                customer=customer,
                lines=[(product, PROBE_QUANTITY)] * PROBE_LINES,
                payment_method=PaymentMethod.MPESA,
                mpesa_code=next_mpesa_code(),
            )
    client.force_login(manager)
    for name in ("dashboard", "vip", "activity_clusters", "activity_customers"):
        response = client.get(reverse(f"reports:{name}"))
        assert response.status_code == 200, name
    assert "1,999,919,999,799.80" in client.get(reverse("reports:vip")).content.decode()


# --- sales at the bounds --------------------------------------------------------------------


def test_many_sales_at_the_bounds_then_ordinary_sales(cashier, regular):
    """Walk-in and customer sales (cash, M-Pesa, credit) each at the largest total, one line at
    the largest quantity; then an ordinary sale of each kind."""
    at_most = make_product(name="Lorry of fertiliser", retail_price=MAX_TOTAL)
    by_the_kg = make_product(name="CAN loose (kg)", retail_price=MAX_TOTAL / MAX_QUANTITY)
    for method in (PaymentMethod.CASH, PaymentMethod.MPESA) * 5:
        sale_complete(
            cashier=cashier,
            lines=[(at_most, Decimal("1"))],
            payment_method=method,
            cash_tendered=MAX_TOTAL if method == PaymentMethod.CASH else None,
            mpesa_code=next_mpesa_code() if method == PaymentMethod.MPESA else "",
        )
    for method in (PaymentMethod.CASH, PaymentMethod.MPESA, PaymentMethod.CREDIT) * 3:
        sale_complete(
            cashier=cashier,
            customer=regular,
            lines=[(by_the_kg, MAX_QUANTITY)],
            payment_method=method,
            cash_tendered=MAX_TOTAL if method == PaymentMethod.CASH else None,
            mpesa_code=next_mpesa_code() if method == PaymentMethod.MPESA else "",
        )
    assert set(Sale.objects.values_list("total", flat=True)) == {MAX_TOTAL}

    sell(cashier=cashier, total="80", payment_method=PaymentMethod.CASH)
    sell(cashier=cashier, customer=regular, total="120.50", payment_method=PaymentMethod.CREDIT)
    assert_figures_match_the_sales()
    figures = year_figures()
    assert figures["walk_in"] == 10 * MAX_TOTAL + Decimal("80")
    assert figures["total"] == 19 * MAX_TOTAL + Decimal("200.50")
    regular.refresh_from_db()
    assert regular.total_spent == 9 * MAX_TOTAL + Decimal("120.50")
    assert regular.credit_balance == 3 * MAX_TOTAL + Decimal("120.50")


def test_years_of_a_chains_sales_fit_the_figures(cashier, regular):
    """10,000 walk-in and 10,000 customer sales at the largest total in one year (KES 10^12 each
    way, past what a sale's column holds), counted by rebuild_report_figures; the next sales
    still go through and every figure agrees with the sales."""
    sold_at = timezone.now() - timedelta(minutes=5)
    for customer in (None, regular):
        Sale.objects.bulk_create(
            Sale(
                customer=customer,
                cashier=cashier,
                total=MAX_TOTAL,
                payment_method=PaymentMethod.MPESA,
                sold_at=sold_at,
            )
            for _ in range(10_000)
        )
    # The customer's first visit first: the report figures count new customers from it.
    visit_figures_rebuild()
    figures_rebuild()
    chain_year = 10_000 * MAX_TOTAL
    assert chain_year > MONEY_MAX

    sell(cashier=cashier, total="99.99", payment_method=PaymentMethod.MPESA)
    sell(cashier=cashier, customer=regular, total="0.01", payment_method=PaymentMethod.CASH)
    assert_figures_match_the_sales()
    figures = year_figures()
    assert figures["walk_in"] == chain_year + Decimal("99.99")
    assert figures["total"] == 2 * chain_year + Decimal("100.00")
    regular.refresh_from_db()
    assert regular.total_spent == chain_year + Decimal("0.01")
    assert CustomerSalesTotal.objects.get(customer=regular, period="year").revenue == (
        chain_year + Decimal("0.01")
    )


# --- over the bounds: refused with a message, nothing written --------------------------------


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (Decimal("9999999.999"), "Quantity 9,999,999.999 looks wrong: check it."),
        (Decimal("9999999"), "Quantity 9,999,999 looks wrong: check it."),
        (MAX_QUANTITY + Decimal("0.001"), "Quantity 100,000.001 looks wrong: check it."),
        (Decimal("1E+30"), "Quantity 1,000,000,000,000,000,000,000,000,000,000 looks wrong"),
    ],
)
@pytest.mark.parametrize("walk_in", [True, False])
def test_a_quantity_over_the_bound_is_refused(cashier, regular, quantity, message, walk_in):
    sell(cashier=cashier, customer=None if walk_in else regular, total="10", payment_method="cash")
    product = make_product(name="DAP 50 kg", retail_price="0.01")
    before = books()
    with pytest.raises(ValidationError) as refusal:
        sale_complete(
            cashier=cashier,
            customer=None if walk_in else regular,
            lines=[(product, Decimal("1")), (product, quantity)],
            payment_method=PaymentMethod.MPESA,
            mpesa_code=next_mpesa_code(),
        )
    assert message in refusal.value.messages[0]
    assert books() == before


def test_a_total_over_the_bound_is_refused_for_every_payment(cashier, regular):
    at_most = make_product(name="Lorry", retail_price=MAX_TOTAL)
    cent = make_product(name="Sweet", retail_price="0.01")
    before = books()
    for customer, method in (
        (None, PaymentMethod.MPESA),
        (None, PaymentMethod.CASH),
        (regular, PaymentMethod.CREDIT),
        (regular, PaymentMethod.MPESA),
    ):
        with pytest.raises(ValidationError) as refusal:
            sale_complete(
                cashier=cashier,
                customer=customer,
                lines=[(at_most, Decimal("1")), (cent, Decimal("1"))],
                payment_method=method,
                cash_tendered=MAX_TOTAL if method == PaymentMethod.CASH else None,
                mpesa_code=next_mpesa_code() if method == PaymentMethod.MPESA else "",
            )
        assert refusal.value.messages == [
            "The total KES 100,000,000.01 looks wrong: check the quantities. One sale can be "
            "at most KES 100,000,000.00."
        ]
    assert books() == before


def test_absurd_cash_tendered_and_too_many_lines_are_refused(cashier):
    product = make_product(name="Panga", retail_price="350")
    before = books()
    with pytest.raises(ValidationError) as refusal:
        sale_complete(
            cashier=cashier,
            lines=[(product, Decimal("1"))],
            payment_method=PaymentMethod.CASH,
            cash_tendered=Decimal("99999999999999"),
        )
    assert refusal.value.messages == [
        "Cash tendered KES 99,999,999,999,999.00 looks wrong: check it."
    ]
    with pytest.raises(ValidationError) as refusal:
        sale_complete(
            cashier=cashier,
            lines=[(product, Decimal("1"))] * (MAX_CART_LINES + 1),
            payment_method=PaymentMethod.MPESA,
            mpesa_code=next_mpesa_code(),
        )
    assert refusal.value.messages == [
        f"A sale can have at most {MAX_CART_LINES} lines: complete this one as two sales."
    ]
    assert books() == before


def test_the_bounds_are_settings(cashier):
    product = make_product(name="Bag", retail_price="10")
    with override_settings(TILL_MAX_LINE_QUANTITY=Decimal("5"), TILL_MAX_SALE_TOTAL=Decimal("40")):
        with pytest.raises(ValidationError, match="Quantity 6 looks wrong"):
            sale_complete(
                cashier=cashier,
                lines=[(product, Decimal("6"))],
                payment_method=PaymentMethod.MPESA,
                mpesa_code=next_mpesa_code(),
            )
        with pytest.raises(ValidationError, match="The total KES 50.00 looks wrong"):
            sale_complete(
                cashier=cashier,
                lines=[(product, Decimal("5"))],
                payment_method=PaymentMethod.MPESA,
                mpesa_code=next_mpesa_code(),
            )
    assert not Sale.objects.exists()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TILL_MAX_LINE_QUANTITY", "10000000"),
        ("TILL_MAX_SALE_TOTAL", "1000000000000"),
        ("TILL_MAX_SALE_TOTAL", "0"),
    ],
)
def test_a_bound_the_columns_cannot_hold_stops_the_server_starting(variable, value):
    environment = {**os.environ, variable: value}
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings.base"],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and variable in result.stderr


# --- the till page: the message shows on the line before Complete ----------------------------


@pytest.fixture
def till(client, cashier):
    client.force_login(cashier)
    token = client.get(TILL_URL).context["cart"].token

    def post(action, **fields):
        data = {"till_token": str(token), "payment_method": "mpesa", "action": action}
        data.update(fields)
        return client.post(TILL_URL, data)

    return post


def test_the_till_shows_the_quantity_message_on_the_line(till):
    product = make_product(name="DAP fertiliser 50 kg", retail_price="3846")
    response = till(
        "update", line_product=[product.pk], line_quantity=["9999999"], line_price=["3846.00"]
    )
    assert response.status_code == 200
    (line,) = response.context["cart"].lines
    assert line.error == "Quantity 9,999,999 looks wrong: check it."
    assert "Quantity 9,999,999 looks wrong: check it." in response.content.decode()

    response = till(
        "complete",
        line_product=[product.pk],
        line_quantity=["9999999"],
        line_price=["3846.00"],
        mpesa_code="QWE1234567",
    )
    assert response.status_code == 200
    assert "Quantity 9,999,999 looks wrong: check it." in response.content.decode()
    assert not Sale.objects.exists() and not MpesaCode.objects.exists()


def test_the_till_refuses_a_total_over_the_bound_on_complete(till):
    product = make_product(name="DAP fertiliser 50 kg", retail_price="600")
    lines = {
        "line_product": [product.pk, product.pk],
        "line_quantity": ["100000", "100000"],
        "line_price": ["600.00", "600.00"],
    }
    response = till("update", **lines)
    assert [line.error for line in response.context["cart"].lines] == ["", ""]
    response = till("complete", mpesa_code="QWE1234567", **lines)
    assert response.status_code == 200
    assert "The total KES 120,000,000.00 looks wrong: check the quantities." in (
        response.content.decode()
    )
    assert not Sale.objects.exists() and not MpesaCode.objects.exists()


def test_the_till_sells_at_the_bound(till):
    product = make_product(name="CAN loose (kg)", retail_price="1000")
    response = till(
        "complete",
        line_product=[product.pk],
        line_quantity=["100000"],
        line_price=["1000.00"],
        mpesa_code="QWE1234567",
    )
    assert response.status_code == 302
    assert Sale.objects.get().total == MAX_TOTAL


# --- prices and credit: refused with a message, never a 500 ---------------------------------


def test_a_price_no_sale_could_take_is_refused_by_service_form_and_import(manager):
    with pytest.raises(ValidationError) as refusal:
        product_create(
            actor=manager,
            name="DAP",
            code="DAP",
            retail_price="100000000.01",
            wholesale_price="4000",
        )
    assert refusal.value.message_dict == {
        "retail_price": ["Price KES 100,000,000.01 looks wrong: check it."]
    }
    form = ProductForm(
        data={
            "name": "DAP",
            "code": "DAP",
            "retail_price": "4200",
            "wholesale_price": "999999999999",
            "is_active": "on",
        }
    )
    assert not form.is_valid()
    assert form.errors["wholesale_price"] == ["Price KES 999,999,999,999.00 looks wrong: check it."]
    (row,) = product_import(
        sheet_of('DAP,DAP,"999,999,999",90,'), actor=manager, confirm=True
    ).errors
    assert row.errors == [("Retail price", "Price KES 999,999,999.00 looks wrong: check it.")]
    assert not Product.objects.exists()
    assert (
        product_create(
            actor=manager, name="DAP", code="DAP", retail_price=MAX_TOTAL, wholesale_price="0"
        ).retail_price
        == MAX_TOTAL
    )


def test_the_product_form_page_shows_the_price_message(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("sales:product_add"),
        {"name": "DAP", "code": "DAP", "retail_price": "500000000", "wholesale_price": "1"},
    )
    assert response.status_code == 200
    assert "Price KES 500,000,000.00 looks wrong: check it." in response.content.decode()
    assert not Product.objects.exists()


def test_a_credit_adjustment_is_bounded(client, manager, regular):
    before = books()
    with pytest.raises(ValidationError) as refusal:
        credit_adjust(actor=manager, customer=regular, amount="100000000.01", reason="Typo?")
    assert refusal.value.messages == ["Adjustment KES 100,000,000.01 looks wrong: check it."]

    client.force_login(manager)
    for amount, message in (
        ("+5,000,000,000", "Adjustment KES 5,000,000,000.00 looks wrong: check it."),
        ("+99999999999999", "Ensure that there are no more than"),
    ):
        response = client.post(
            reverse("credit:credit_adjust", args=[regular.pk]),
            {"amount": amount, "reason": "Typo", "form_token": str(uuid.uuid4())},
        )
        assert response.status_code == 200
        assert message in response.content.decode()
    assert books() == before


def test_an_adjustment_the_balance_column_cannot_hold_is_refused(manager, regular):
    # Only reachable after thousands of adjustments; the refusal keeps it a message, not a 500.
    Customer.objects.filter(pk=regular.pk).update(credit_balance=MONEY_MAX - MAX_TOTAL + 1)
    before = books()
    with pytest.raises(ValidationError, match="more than the books can hold"):
        credit_adjust(actor=manager, customer=regular, amount=MAX_TOTAL, reason="Delivery")
    assert books() == before
