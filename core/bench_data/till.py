"""The till's regulars: what the sale-commit benchmark (sales/management/commands/bench_till.py)
sells to. Made through the services, as a shop would have made them: 60 products and a few
hundred customers, every third with a credit limit generous enough that no timed credit sale is
refused, every tenth wholesale. The cashiers are the data set's (shop.reference_data)."""

import random
from decimal import Decimal

from django.contrib.auth.models import User

from core.bench_data.shop import MANAGER_USERNAME
from customers.models import Customer, CustomerGroup
from customers.services import customer_create
from sales.models import Product
from sales.services import product_create

PRODUCTS = 60
PRODUCT_CODE = "BENCH{number:04d}"
# 07 9x: a range the data set's other customers (+2547 1...) never use.
PHONE = "+25479{number:07d}"
CREDIT_LIMIT = Decimal("10000000")


def seed_world(customer_count: int, *, seed: int = 1) -> None:
    rng = random.Random(seed)
    manager = User.objects.get(username=MANAGER_USERNAME)
    for number in range(PRODUCTS):
        retail = Decimal(rng.randrange(2000, 500000)) / 100
        product_create(
            actor=manager,
            name=f"Bench product {number}",
            code=PRODUCT_CODE.format(number=number),
            retail_price=retail,
            wholesale_price=(retail * Decimal("0.9")).quantize(Decimal("0.01")),
        )
    wholesale = CustomerGroup.objects.filter(slug="wholesale").first()
    for number in range(customer_count):
        customer_create(
            actor=manager,
            name=f"Bench customer {number}",
            phone=PHONE.format(number=number),
            village="Mwingi",
            group=wholesale if wholesale is not None and number % 10 == 0 else None,
            credit_limit=CREDIT_LIMIT if number % 3 == 0 else Decimal("0"),
        )


def world() -> dict:
    """What the cashiers sell and to whom: {"cashiers": [User], "products": [pk],
    "customers": [(pk, buys on credit)]}."""
    cashiers = list(User.objects.filter(username__startswith="bench-cashier-").order_by("username"))
    products = list(
        Product.objects.filter(code__startswith="BENCH")
        .order_by("code")
        .values_list("pk", flat=True)
    )
    customers = [
        (pk, limit > 0)
        for pk, limit in Customer.objects.filter(name__startswith="Bench customer ")
        .order_by("pk")
        .values_list("pk", "credit_limit")
    ]
    return {"cashiers": cashiers, "products": products, "customers": customers}
