"""Fixtures every test may use: users in each role, clusters, and customers made by the service."""

import itertools
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User

from core.roles import ADMIN, CASHIER, MANAGER
from customers.models import Cluster
from customers.services import customer_create

_phone_numbers = itertools.count(712000001)
_tax_pins = itertools.count(100000001)


def make_user(username: str, role: str | None) -> User:
    user = User.objects.create_user(username=username, password="pw-for-tests-only")
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def cashier(db):
    return make_user("cashier", CASHIER)


@pytest.fixture
def manager(db):
    return make_user("manager", MANAGER)


@pytest.fixture
def admin_role_user(db):
    return make_user("admin-role", ADMIN)


@pytest.fixture
def no_role_user(db):
    return make_user("nobody", None)


@pytest.fixture
def clusters(db):
    return [Cluster.objects.create(name=name) for name in ("Dairy farmers", "Maize growers")]


@pytest.fixture
def make_customer(db, manager, clusters):
    """make_customer(name=..., **fields): a valid customer created through the service."""

    def make(**fields):
        fields.setdefault("name", "Wanjiru Kamau")
        fields.setdefault("phone", f"+254{next(_phone_numbers)}")
        fields.setdefault("village", "Mwingi")
        fields.setdefault("tax_pin", f"A{next(_tax_pins):09d}M")
        fields.setdefault("clusters", [clusters[0]])
        fields.setdefault("credit_limit", Decimal("0"))
        return customer_create(actor=manager, **fields)

    return make
