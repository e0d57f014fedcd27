"""Who may open what: every URL of the back office, walked for every role.

For each URL pattern: anonymous -> the login page (tests/core/test_urls.py); a role the table
below does not list -> 403 for GET and POST, whether the object in the URL exists or not (so ids
cannot be probed), with nothing written; each listed role -> the page (or, for a POST-only
address, 405 to a GET), 404 for an id that does not exist, and 403 with nothing written for a
POST without the form's CSRF token.

ACCESS is written out by hand from the roles in PRODUCT.md, not read from the views: it is the
claim the views are held to. A URL pattern added without an entry here fails
`test_every_url_is_listed`.
"""

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from tests.core.test_urls import project_patterns

pytestmark = pytest.mark.django_db

CASHIER, MANAGER, ADMIN = "cashier", "manager", "admin_role_user"
EVERY_ROLE = frozenset({CASHIER, MANAGER, ADMIN})
BACK_OFFICE = frozenset({MANAGER, ADMIN})

# URL name -> (who may open it, the kind of object its <int:pk> names, or None).
ACCESS = {
    "home": (EVERY_ROLE, None),
    "customers:customer_list": (EVERY_ROLE, None),
    "customers:customer_add": (EVERY_ROLE, None),  # a customer added on the fly at the till
    "customers:customer_map": (EVERY_ROLE, None),
    "customers:customer_map_points": (EVERY_ROLE, None),  # the map's markers, as JSON
    "customers:customer_detail": (EVERY_ROLE, "customer"),
    "customers:customer_edit": (BACK_OFFICE, "customer"),
    "customers:customer_delete": (BACK_OFFICE, "customer"),
    "customers:customer_export_csv": (BACK_OFFICE, None),
    "customers:customer_export_sms": (BACK_OFFICE, None),
    "customers:customer_import": (BACK_OFFICE, None),
    "customers:customer_import_template": (BACK_OFFICE, None),
    "customers:customer_import_detail": (BACK_OFFICE, "customer_import"),
    "customers:customer_import_confirm": (BACK_OFFICE, "customer_import"),
    "sales:till": (EVERY_ROLE, None),
    "sales:till_product_search": (EVERY_ROLE, None),
    "sales:till_customer_search": (EVERY_ROLE, None),
    "sales:till_products": (EVERY_ROLE, None),  # the till's price list, kept for offline sales
    "sales:till_service_worker": (EVERY_ROLE, None),
    "sales:till_offline_sale": (EVERY_ROLE, None),  # the till's queue of offline sales
    "sales:product_list": (EVERY_ROLE, None),
    "sales:product_detail": (EVERY_ROLE, "product"),
    "sales:product_add": (BACK_OFFICE, None),
    "sales:product_edit": (BACK_OFFICE, "product"),
    "sales:product_delete": (BACK_OFFICE, "product"),
    "sales:product_import": (BACK_OFFICE, None),
    "sales:product_import_template": (BACK_OFFICE, None),
    "sales:product_import_detail": (BACK_OFFICE, "product_import"),
    "sales:product_import_confirm": (BACK_OFFICE, "product_import"),
    "sales:sale_list": (EVERY_ROLE, None),
    "sales:sale_detail": (EVERY_ROLE, "sale"),
    "sales:sale_receipt": (EVERY_ROLE, "sale"),
    "sales:sale_void": (BACK_OFFICE, "sale"),
    "sales:sale_export_csv": (BACK_OFFICE, None),
    "sales:offline_refusal_list": (BACK_OFFICE, None),
    "sales:offline_refusal_deal": (BACK_OFFICE, "offline_refusal"),
    "sales:invoice_issue": (EVERY_ROLE, "sale"),  # a customer at the counter asks for one
    "sales:invoice_detail": (EVERY_ROLE, "invoice"),
    "sales:invoice_pdf": (EVERY_ROLE, "invoice"),
    "credit:customer_credit": (EVERY_ROLE, "customer"),
    "credit:statement": (EVERY_ROLE, "customer"),
    "credit:payment_receive": (EVERY_ROLE, "customer"),  # cashiers take credit payments
    "credit:payment_receipt": (EVERY_ROLE, "credit_payment"),
    "credit:credit_adjust": (BACK_OFFICE, "customer"),
    "credit:credit_limit": (BACK_OFFICE, "customer"),
    "reports:index": (BACK_OFFICE, None),
    "reports:dashboard": (BACK_OFFICE, None),
    "reports:audit_log": (BACK_OFFICE, None),
    "reports:credit_report": (BACK_OFFICE, None),
    "reports:credit_report_export": (BACK_OFFICE, None),
    "reports:credit_ageing": (BACK_OFFICE, None),
    "reports:credit_ageing_export": (BACK_OFFICE, None),
    "reports:credit_payments": (BACK_OFFICE, None),
    "reports:credit_payments_export": (BACK_OFFICE, None),
    "reports:credit_sms_reminders": (BACK_OFFICE, None),
    "reports:vip": (BACK_OFFICE, None),
    "reports:vip_export": (BACK_OFFICE, None),
    "reports:activity_clusters": (BACK_OFFICE, None),
    "reports:activity_clusters_export": (BACK_OFFICE, None),
    "reports:activity_customers": (BACK_OFFICE, None),
    "reports:activity_customers_export": (BACK_OFFICE, None),
}
# Addresses that only take a POST (a GET by a role allowed there gets 405).
POST_ONLY = {
    "customers:customer_import_confirm",
    "sales:product_import_confirm",
    "sales:till_offline_sale",
}
# What a GET by an allowed role answers where it is not the page itself.
GET_ANSWERS = {
    "home": 302,  # each role's start page: the till for a cashier, the dashboard for a manager
    "sales:invoice_issue": 302,  # the fixture's sale has its invoice already: sent to it
}
# Open to anyone: the login page, and logging out.
PUBLIC = {"login", "logout"}
NO_SUCH_PK = 987_654_321


def url_names() -> set[str]:
    return {
        f"{namespace}:{pattern.name}" if namespace else pattern.name
        for _route, namespace, pattern in project_patterns()
    }


def test_every_url_is_listed():
    """A new page fails here until it says who may open it."""
    assert url_names() - PUBLIC == set(ACCESS)


def address(name: str, objects: dict, *, pk=None) -> str:
    kind = ACCESS[name][1]
    if kind is None:
        return reverse(name)
    return reverse(name, args=[pk if pk is not None else objects[kind]])


def row_counts() -> dict[str, int]:
    """Rows in every table of ours: a refused request writes none."""
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"customers", "sales", "credit", "core"}
    }


ROLES_AND_NOBODY = sorted(EVERY_ROLE | {"nobody"})


@pytest.mark.parametrize("name", sorted(ACCESS))
def test_each_role_opens_only_its_pages(request, objects, name):
    """Every role in turn on one page (one set of objects a page: the walk stays quick)."""
    for role in ROLES_AND_NOBODY:
        user = request.getfixturevalue("no_role_user" if role == "nobody" else role)
        if role in ACCESS[name][0]:
            check_allowed(name, user, objects)
        else:
            check_refused(name, user, objects)


def check_allowed(name: str, user, objects: dict) -> None:
    kind = ACCESS[name][1]
    client = Client()
    client.force_login(user)
    url = address(name, objects)
    response = client.get(url)
    expected = 405 if name in POST_ONLY else GET_ANSWERS.get(name, 200)
    assert response.status_code == expected, (url, user.username, response.status_code)
    if expected == 302:
        assert not response.url.startswith(reverse("login")), url
    # Every POST needs the form's CSRF token, even from the right role.
    csrf_checked = Client(enforce_csrf_checks=True)
    csrf_checked.force_login(user)
    before = row_counts()
    assert csrf_checked.post(url, {"name": "Changed", "amount": "1"}).status_code == 403, url
    assert row_counts() == before, url
    if kind is not None:
        # The right role and an id that does not exist: not found, never a 500.
        missing = client.get(address(name, objects, pk=NO_SUCH_PK))
        assert missing.status_code == (405 if name in POST_ONLY else 404), url


def check_refused(name: str, user, objects: dict) -> None:
    kind = ACCESS[name][1]
    client = Client()
    client.force_login(user)
    url = address(name, objects)
    before = row_counts()
    assert client.get(url).status_code == 403, (url, user.username)
    assert client.post(url, {"name": "Changed", "amount": "1"}).status_code == 403, url
    if kind is not None:
        # Guessing ids tells nothing: an id that does not exist is refused the same way.
        assert client.get(address(name, objects, pk=NO_SUCH_PK)).status_code == 403, url
    assert row_counts() == before, url


@pytest.mark.parametrize("role", ROLES_AND_NOBODY)
def test_django_admin_is_for_staff_accounts_only(client, request, role):
    """Roles are back-office roles; Django admin needs a staff account on top."""
    user = request.getfixturevalue("no_role_user" if role == "nobody" else role)
    client.force_login(user)
    response = client.get("/admin/customers/customer/")
    assert response.status_code == 302 and "/admin/login/" in response.url
