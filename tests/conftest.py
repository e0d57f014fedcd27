"""Fixtures every test may use: users in each role, clusters, and customers made by the service."""

import importlib
import itertools
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache

from core.roles import ADMIN, CASHIER, MANAGER
from customers.models import Cluster
from customers.services import customer_create

_phone_numbers = itertools.count(712000001)
_tax_pins = itertools.count(100000001)


# Data that migrations create and the app relies on: roles and their permissions, customer
# groups, the invoice number sequence. In the order the migrations run.
DATA_MIGRATIONS = [
    ("customers.migrations.0002_customer_groups", "create_groups"),
    ("core.migrations.0001_roles", "create_roles"),
    ("core.migrations.0003_invoice_sequence", "create_invoice_sequence"),
    ("sales.migrations.0003_till_role_permissions", "grant_till_permissions"),
    ("credit.migrations.0004_credit_role_permissions", "grant_credit_permissions"),
    ("customers.migrations.0006_import_permission", "grant_import_permission"),
    ("sales.migrations.0006_product_import_permission", "grant_product_import_permission"),
    ("core.migrations.0006_admin_role_imports", "grant_admin_imports"),
    ("core.migrations.0007_audit_event", "grant_audit_permission"),
    ("sales.migrations.0008_offline_sale_refusal", "grant_offline_refusal_permissions"),
]


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: a background job's progress is kept there by the
    record's id, which the next test's record may reuse."""
    cache.clear()
    yield


@pytest.fixture
def migrated_reference_data(transactional_db):
    """For tests that commit for real (`django_db(transaction=True)`, live server, threads).

    The flush after each such test empties every table, including what the data migrations
    wrote. Django's serialized_rollback would restore it, but it keeps its copy on the connection
    object, which other threads (and Playwright's event loop) do not share. Re-running the
    (idempotent) data migrations is plain. Request it before any fixture that needs a role or a
    customer group, or list it in `pytest.mark.usefixtures`.
    """
    from django.apps import apps

    for module_name, function_name in DATA_MIGRATIONS:
        getattr(importlib.import_module(module_name), function_name)(apps, None)


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
