"""Chart.js (200 kB) is loaded only by the pages that draw a chart: core/_chart.html brings it
with the chart, as modules, so a page runs it once however many charts it has."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import sell

pytestmark = pytest.mark.django_db

CHART_SCRIPTS = re.compile(r"<script[^>]*(chart\.umd\.min\.js|js/charts\.js)[^>]*>")


def chart_scripts(client, url) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    return [match.group(0) for match in CHART_SCRIPTS.finditer(response.content.decode())]


def test_pages_without_a_chart_do_not_load_chartjs(client, manager, cashier, make_customer):
    make_customer(name="Wanjiru Kamau")
    for user, url in [
        (cashier, reverse("sales:till")),
        (manager, reverse("customers:customer_list")),
        (manager, reverse("customers:customer_map")),
        (manager, reverse("reports:dashboard")),
        (manager, reverse("reports:vip")),  # nobody bought anything: no ranking, no chart
    ]:
        client.force_login(user)
        assert chart_scripts(client, url) == [], url


def test_a_page_with_a_chart_loads_chartjs_then_charts_js_as_modules(
    client, manager, cashier, make_customer
):
    customer = make_customer(name="Wanjiru Kamau", credit_limit=Decimal("5000"))
    sell(cashier=cashier, customer=customer, total="1200", payment_method="credit")
    client.force_login(manager)
    for url in [
        reverse("customers:customer_detail", args=[customer.pk]),
        reverse("reports:vip"),
        reverse("reports:credit_ageing"),
        reverse("reports:activity_clusters"),
        reverse("reports:activity_customers"),
    ]:
        scripts = chart_scripts(client, url)
        assert len(scripts) == 2, url
        assert "chart.umd.min.js" in scripts[0] and "js/charts.js" in scripts[1], url
        assert all('type="module"' in script for script in scripts), url
