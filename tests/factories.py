"""Building blocks for tests that need products and sales, made through the services."""

import itertools
from decimal import Decimal

from sales.models import PaymentMethod, Product
from sales.services import sale_complete

_codes = itertools.count(1)
_mpesa_codes = itertools.count(1)


def make_product(*, actor=None, name=None, retail_price="100", wholesale_price=None, **fields):
    number = next(_codes)
    return Product.objects.create(
        name=name or f"Product {number}",
        code=fields.pop("code", f"TEST{number:06d}"),
        retail_price=Decimal(str(retail_price)),
        wholesale_price=Decimal(
            str(wholesale_price if wholesale_price is not None else retail_price)
        ),
        **fields,
    )


def next_mpesa_code() -> str:
    return f"TST{next(_mpesa_codes):07d}"


def sell(*, cashier, total, payment_method, customer=None, sold_at=None, till_token=None):
    """A one-line sale of `total` shillings through the till's service (cash paid exactly)."""
    product = make_product(retail_price=total)
    return sale_complete(
        cashier=cashier,
        customer=customer,
        lines=[(product, Decimal("1"))],
        payment_method=payment_method,
        cash_tendered=Decimal(str(total)) if payment_method == PaymentMethod.CASH else None,
        mpesa_code=next_mpesa_code() if payment_method == PaymentMethod.MPESA else "",
        sold_at=sold_at,
        till_token=till_token,
    )
