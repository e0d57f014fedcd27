"""sale_complete: one transaction for the sale, its lines, payment, visits and credit."""

import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from credit.models import CreditEntry
from credit.services import CreditLimitExceeded
from customers.models import CustomerGroup
from sales.models import Payment, Sale, SaleLine
from sales.services import SaleAlreadyRecorded, sale_complete
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def nothing_recorded():
    return not (
        Sale.objects.exists()
        or SaleLine.objects.exists()
        or Payment.objects.exists()
        or CreditEntry.objects.exists()
    )


def test_a_cash_sale_records_lines_with_price_snapshots_and_the_change(cashier, make_customer):
    customer = make_customer()
    seed = make_product(name="Maize seed 2 kg", retail_price="560", wholesale_price="520")
    dap = make_product(name="DAP loose (kg)", retail_price="75.50")
    sale = sale_complete(
        cashier=cashier,
        customer=customer,
        lines=[(seed, Decimal("2")), (dap, Decimal("2.5"))],
        payment_method="cash",
        cash_tendered="1500",
    )
    assert sale.total == Decimal("1308.75")  # 2 x 560 + 2.5 x 75.50
    assert sale.price_list == "retail"
    lines = list(sale.lines.values_list("product_name", "quantity", "unit_price", "line_total"))
    assert lines == [
        ("Maize seed 2 kg", Decimal("2"), Decimal("560.00"), Decimal("1120.00")),
        ("DAP loose (kg)", Decimal("2.5"), Decimal("75.50"), Decimal("188.75")),
    ]
    assert (sale.payment.cash_tendered, sale.payment.change_due) == (
        Decimal("1500.00"),
        Decimal("191.25"),
    )
    # A later price change does not rewrite the sale.
    seed.retail_price = Decimal("600")
    seed.save()
    assert SaleLine.objects.get(sale=sale, product=seed).unit_price == Decimal("560.00")
    customer.refresh_from_db()
    assert (customer.total_visits, customer.total_spent) == (1, Decimal("1308.75"))


def test_wholesale_customers_pay_wholesale_prices(cashier, make_customer):
    wholesaler = make_customer(group=CustomerGroup.objects.get(slug="wholesale"))
    can = make_product(retail_price="3200", wholesale_price="3000")
    sale = sale_complete(
        cashier=cashier,
        customer=wholesaler,
        lines=[(can, Decimal("10"))],
        payment_method="mpesa",
        mpesa_code="nlj7 rt61sv",
    )
    assert (sale.price_list, sale.total) == ("wholesale", Decimal("30000.00"))
    assert sale.payment.mpesa_code == "NLJ7RT61SV"


def test_a_credit_sale_writes_the_ledger_entry_and_the_new_balance(cashier, make_customer):
    customer = make_customer(credit_limit=Decimal("5000"))
    sale = sale_complete(
        cashier=cashier,
        customer=customer,
        lines=[(make_product(retail_price="1200"), Decimal("3"))],
        payment_method="credit",
    )
    customer.refresh_from_db()
    entry = CreditEntry.objects.get(sale=sale)
    assert (entry.kind, entry.amount, entry.balance_after) == (
        "sale",
        Decimal("3600.00"),
        Decimal("3600.00"),
    )
    assert customer.credit_balance == Decimal("3600.00")


def test_credit_past_the_limit_is_refused_with_the_figures_and_records_nothing(
    cashier, make_customer
):
    customer = make_customer(credit_limit=Decimal("1000"))
    with pytest.raises(CreditLimitExceeded) as refusal:
        sale_complete(
            cashier=cashier,
            customer=customer,
            lines=[(make_product(retail_price="1500"), Decimal("1"))],
            payment_method="credit",
        )
    assert (refusal.value.balance, refusal.value.limit, refusal.value.shortfall) == (
        Decimal("0.00"),
        Decimal("1000.00"),
        Decimal("500.00"),
    )
    customer.refresh_from_db()
    assert (customer.credit_balance, customer.total_visits) == (Decimal("0.00"), 0)
    assert nothing_recorded()


@pytest.mark.parametrize(
    ("lines_for", "payment", "message"),
    [
        (lambda product: [], {"payment_method": "cash", "cash_tendered": "10"}, "cart is empty"),
        (
            lambda product: [(product, Decimal("0"))],
            {"payment_method": "cash", "cash_tendered": "1000"},
            "more than zero",
        ),
        (
            lambda product: [(product, Decimal("-2"))],
            {"payment_method": "cash", "cash_tendered": "1000"},
            "more than zero",
        ),
        (
            lambda product: [(987654, Decimal("1"))],
            {"payment_method": "cash", "cash_tendered": "1000"},
            "no longer exists",
        ),
        (
            lambda product: [(product, Decimal("1"))],
            {"payment_method": "cash", "cash_tendered": "99.99"},
            "less than the total",
        ),
        (
            lambda product: [(product, Decimal("1"))],
            {"payment_method": "cash"},
            "Enter the cash tendered",
        ),
        (
            lambda product: [(product, Decimal("1"))],
            {"payment_method": "mpesa", "mpesa_code": "ABC123"},
            "10 letters and digits",
        ),
        (
            lambda product: [(product, Decimal("1"))],
            {"payment_method": "mpesa", "mpesa_code": "NLJ7RT61S!"},
            "10 letters and digits",
        ),
        (
            lambda product: [(product, Decimal("1"))],
            {"payment_method": "credit"},
            "walk-in sale cannot be on credit",
        ),
        (lambda product: [(product, Decimal("1"))], {"payment_method": "bitcoin"}, "Choose"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_recorded(
    cashier, lines_for, payment, message
):
    product = make_product(retail_price="100")
    with pytest.raises(ValidationError) as refusal:
        sale_complete(cashier=cashier, lines=lines_for(product), **payment)
    assert message in " ".join(refusal.value.messages)
    assert nothing_recorded()


def test_a_product_taken_off_sale_is_refused(cashier):
    product = make_product(is_active=False)
    with pytest.raises(ValidationError, match="no longer on sale"):
        sale_complete(
            cashier=cashier,
            lines=[(product, Decimal("1"))],
            payment_method="cash",
            cash_tendered="1000",
        )
    assert nothing_recorded()


def test_an_mpesa_code_pays_only_once(cashier):
    product = make_product()
    sale_complete(
        cashier=cashier,
        lines=[(product, Decimal("1"))],
        payment_method="mpesa",
        mpesa_code="NLJ7RT61SV",
    )
    with pytest.raises(ValidationError, match="already been used"):
        sale_complete(
            cashier=cashier,
            lines=[(product, Decimal("1"))],
            payment_method="mpesa",
            mpesa_code="nlj7rt61sv",
        )
    assert Sale.objects.count() == 1


def test_a_stale_till_total_is_refused(cashier):
    product = make_product(retail_price="100")
    with pytest.raises(ValidationError, match="Prices changed"):
        sale_complete(
            cashier=cashier,
            lines=[(product, Decimal("2"))],
            payment_method="cash",
            cash_tendered="500",
            expected_total=Decimal("180"),  # the till showed yesterday's price
        )
    assert nothing_recorded()


def test_the_same_till_form_never_records_twice(cashier, make_customer):
    customer = make_customer()
    token = uuid.uuid4()
    arguments = {
        "cashier": cashier,
        "customer": customer,
        "lines": [(make_product(retail_price="250"), Decimal("1"))],
        "payment_method": "cash",
        "cash_tendered": "300",
        "till_token": token,
    }
    first = sale_complete(**arguments)
    with pytest.raises(SaleAlreadyRecorded) as again:
        sale_complete(**arguments)
    assert again.value.sale == first
    customer.refresh_from_db()
    assert (Sale.objects.count(), customer.total_visits) == (1, 1)
