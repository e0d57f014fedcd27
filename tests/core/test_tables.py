"""BaseTable.rows_html writes the table body in Python: it must write exactly what
django-tables2's own Bootstrap template writes, for every table in the back office."""

import itertools
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from core.tables import LocalDateTimeColumn
from customers.models import Customer

STOCK_TEMPLATE = "django_tables2/bootstrap5.html"

# Every list page with a table, and sorts that reach each kind of column (links, choices,
# booleans, dates, many-to-many, money, render methods taking the record).
PAGES = [
    ("customers:customer_list", {}),
    ("customers:customer_list", {"sort": "-last_cashier"}),
    ("customers:customer_list", {"sort": "-last_visit_at"}),
    ("sales:sale_list", {}),
    ("sales:product_list", {}),
    ("reports:credit_report", {}),
    ("reports:credit_payments", {}),
    ("reports:activity_customers", {}),
    ("reports:audit_log", {}),
    ("sales:offline_refusal_list", {}),
]


def _tags_only(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


def _tbody(html: str) -> str:
    """The body of the (first) table in `html`, without whitespace between tags."""
    return _tags_only(re.search(r"<tbody[^>]*>(.*?)</tbody>", html, re.S).group(1))


def _body_as_rendered_by(table, template_name: str, request) -> str:
    table.template_name = template_name
    # Rows alternate even/odd by a counter on the table: start both renderings at the same row.
    table._counter = itertools.count()
    return _tbody(table.as_html(request))


@pytest.fixture
def demo_admin(migrated_reference_data):
    call_command("load_demo_data", "--customers", "40", "--sales", "300")
    # Awkward values the stock template escapes and formats: markup in a name, an empty village.
    Customer.objects.filter(pk=Customer.objects.order_by("pk").first().pk).update(
        name="<script>alert(1)</script> & Sons", village=""
    )
    client = Client()
    client.force_login(User.objects.get(username="admin"))
    return client


@pytest.mark.parametrize(("url_name", "params"), PAGES)
def test_rows_are_written_as_django_tables2_writes_them(demo_admin, url_name, params):
    response = demo_admin.get(reverse(url_name), params)
    assert response.status_code == 200
    table = response.context["table"]
    page = _tags_only(response.content.decode())

    stock = _body_as_rendered_by(table, STOCK_TEMPLATE, response.wsgi_request)
    ours = _body_as_rendered_by(table, "core/table.html", response.wsgi_request)

    assert "<tr" in ours, "the page shows rows to compare"
    assert ours == stock
    assert ours in page


def test_a_table_with_no_rows_says_so(demo_admin):
    response = demo_admin.get(reverse("customers:customer_list"), {"q": "nobody has this name"})
    body = _tbody(response.content.decode())
    assert "No customers match these filters." in body
    assert body.count("<tr") == 1


@pytest.mark.parametrize("format", ["d M Y", "d M Y H:i"])
@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 31, 21, 30, tzinfo=UTC),  # already 1 February in Nairobi
        datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(2026, 6, 1, 0, 5, tzinfo=ZoneInfo("Africa/Nairobi")),
    ],
)
def test_local_date_time_column_writes_what_the_date_filter_writes(moment, format):
    stock = Template('{{ value|date:"' + format + '" }}').render(Context({"value": moment}))

    assert LocalDateTimeColumn(format=format).render(moment) == stock
