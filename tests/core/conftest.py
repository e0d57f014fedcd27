"""Fixtures of the walks over every page (authorisation, bad input)."""

from decimal import Decimal

import pytest

from credit.services import credit_payment_receive
from customers.models import CustomerImport
from sales.models import ProductImport
from sales.services import invoice_issue
from tests.factories import make_product, sell


@pytest.fixture
def objects(cashier, manager, make_customer):
    """One of each kind of object a URL names, made through the services."""
    customer = make_customer(name="Wanjiru Kamau", credit_limit=Decimal("5000"))
    sale = sell(cashier=cashier, customer=customer, total="500", payment_method="credit")
    payment = credit_payment_receive(actor=cashier, customer=customer, amount="100", method="cash")
    return {
        "customer": customer.pk,
        "sale": sale.pk,
        "invoice": invoice_issue(actor=manager, sale=sale).pk,
        "credit_payment": payment.pk,
        "product": make_product(actor=manager).pk,
        "customer_import": CustomerImport.objects.create(
            created_by=manager, file_name="customers.csv"
        ).pk,
        "product_import": ProductImport.objects.create(
            created_by=manager, file_name="prices.csv"
        ).pk,
    }
