"""Fixtures of the walks over every page (authorisation, bad input)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from credit.services import credit_payment_receive
from customers.models import CustomerImport
from sales.models import ProductImport
from sales.services import invoice_issue, offline_sale_record
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
        # A sale sent from the till's offline queue on credit, which needs the link: refused.
        "offline_refusal": offline_sale_record(
            cashier=cashier,
            payload={
                "till_token": "5b0c2f0e-8a39-4c43-9d3e-2f6c1f0a7b11",
                "sold_at": timezone.now().isoformat(),
                "customer": customer.pk,
                "payment_method": "credit",
                "lines": [
                    {
                        "product": sale.lines.first().product_id,
                        "quantity": "1",
                        "unit_price": "500.00",
                    }
                ],
                "total": "500.00",
            },
        ).refusal.pk,
    }
