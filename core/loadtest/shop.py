"""The shop of `make loadtest`, and what its staff know of it.

The demo shop (`load_demo_data`: 30 products, 300 customers, 3,000 sales, payments on account),
a login for each member of staff in the test, and room on every credit account, so a credit sale
is refused only by a bug and never by a limit the test itself used up. All through the services,
as the shop would have done it. `world()` is what the staff know: what to type to find each
product and customer (checked against the till's and the list's own search), written to JSON
for the Locust process, which imports no Django.
"""

import secrets
from decimal import Decimal
from io import StringIO

from django.contrib.auth.models import Group, User
from django.core.management import call_command

from core.roles import CASHIER, MANAGER
from credit.services import credit_limit_set
from customers.models import Cluster, Customer
from customers.selectors import customer_search, customer_suggestions
from sales.models import Product
from sales.selectors import products_for_till

CASHIER_USERNAME = "load-cashier-{number:02d}"
MANAGER_USERNAME = "load-manager-{number:02d}"
CREDIT_ROOM = Decimal("1000000")
# A customer found on the list's first page (25 rows) by what the manager types.
LIST_PAGE = 25


def open_shop(*, cashiers: int, managers: int, log) -> dict:
    """Fill the (empty) database; returns the staff's logins: {"cashiers", "managers",
    "password"}."""
    log("Loading the demo shop (load_demo_data)...")
    call_command("load_demo_data", stdout=StringIO())  # it prints the demo logins
    password = secrets.token_urlsafe(16)
    staff = {
        "cashiers": _logins(CASHIER_USERNAME, cashiers, CASHIER, password),
        "managers": _logins(MANAGER_USERNAME, managers, MANAGER, password),
        "password": password,
    }
    owner = User.objects.get(username=staff["managers"][0])
    for customer in Customer.objects.filter(credit_limit__gt=0, credit_limit__lt=CREDIT_ROOM):
        credit_limit_set(actor=owner, customer=customer, credit_limit=CREDIT_ROOM)
    return staff


def world(staff: dict, *, seed: int) -> dict:
    """What the staff know: their logins, and what to type to find each product and customer."""
    products = []
    active = Product.objects.filter(is_active=True).order_by("pk")
    for product_id, name, code in active.values_list("pk", "name", "code"):
        query = name if _offers(products_for_till(name), product_id) else code
        products.append({"id": product_id, "query": query})
    customers = [_findable(customer) for customer in Customer.objects.order_by("pk")]
    return {
        **staff,
        "seed": seed,
        "products": products,
        "customers": customers,
        "credit_customers": [c for c in customers if c["credit"]],
        "clusters": list(Cluster.objects.order_by("pk").values_list("pk", flat=True)),
    }


def _findable(customer: Customer) -> dict:
    """Type the name where it finds them (on the till's suggestions and the list's first page),
    else the phone number as it is written in Kenya (0712 345678), which is theirs alone."""
    phone = "0" + str(customer.phone.national_number) if customer.phone else ""
    by_name = _offers(customer_suggestions(customer.name), customer.pk) and (
        customer_search(Customer.objects.all(), customer.name).count() <= LIST_PAGE
    )
    return {
        "id": customer.pk,
        "query": customer.name if by_name or not phone else phone,
        "phone": phone,
        "credit": customer.credit_limit > 0,
    }


def _offers(matches, pk: int) -> bool:
    return any(match.pk == pk for match in matches)


def _logins(pattern: str, count: int, role: str, password: str) -> list[str]:
    group = Group.objects.get(name=role)
    usernames = []
    for number in range(1, count + 1):
        user = User.objects.create_user(
            pattern.format(number=number),
            password=password,
            first_name=role,
            last_name=str(number),
        )
        user.groups.add(group)
        usernames.append(user.username)
    return usernames
