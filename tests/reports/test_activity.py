"""Activity by cluster and by customer: every figure against a computation in Python over the
sales the test made (voided and out-of-period sales left out, walk-ins apart, a customer in two
clusters counted in both, new against returning customers)."""

import csv
import io
from collections import defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from sales.models import Sale
from sales.services import sale_void
from tests.factories import sell

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
CENT = Decimal("0.01")


def days_ago(days: int, hour: int = 10):
    return timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0) - timedelta(
        days=days
    )


@pytest.fixture
def shop(make_customer, clusters, cashier, manager):
    dairy, maize = clusters
    amina = make_customer(name="Amina Returning", clusters=[dairy])
    baraka = make_customer(name="Baraka Both", clusters=[dairy, maize])
    chebet = make_customer(name="Chebet Maize", clusters=[maize])
    make_customer(name="Daudi Never", clusters=[maize])
    plan = [
        (amina, "500", 40),  # before the default period: Amina is a returning customer
        (amina, "1000", 5),
        (amina, "120.50", 29),  # the first day of the default period
        (baraka, "300", 2),
        (baraka, "200", 3),
        (chebet, "400", 10),
        (chebet, "700", 1),  # voided below
        (None, "250", 4),  # walk-in
        (None, "999", 50),  # walk-in before the period
        (None, "80", 0),  # walk-in today, voided below
    ]
    sales = [
        sell(cashier=cashier, customer=c, total=t, payment_method="cash", sold_at=days_ago(d))
        for c, t, d in plan
    ]
    sale_void(actor=manager, sale=sales[6], reason="Wrong customer")
    sale_void(actor=manager, sale=sales[9], reason="Till mistake")
    return {"dairy": dairy, "maize": maize, "amina": amina, "baraka": baraka, "chebet": chebet}


def expected(start, end, cluster=None) -> dict:
    """The figures computed in Python from every sale and customer, one by one."""
    in_period = [
        sale
        for sale in Sale.objects.select_related("customer")
        if sale.voided_at is None and start <= timezone.localdate(sale.sold_at) <= end
    ]
    per_customer = defaultdict(lambda: {"visits": 0, "revenue": Decimal("0")})
    walk_in = {"visits": 0, "revenue": Decimal("0")}
    for sale in in_period:
        if sale.customer is None:
            walk_in["visits"] += 1
            walk_in["revenue"] += sale.total
        else:
            per_customer[sale.customer_id]["visits"] += 1
            per_customer[sale.customer_id]["revenue"] += sale.total
    customers = {c.pk: c for c in Customer.objects.prefetch_related("clusters")}
    new_ids = {
        pk
        for pk, c in customers.items()
        if c.first_visit_at and start <= timezone.localdate(c.first_visit_at) <= end
    }

    def members(pk):
        return {cl.pk for cl in customers[pk].clusters.all()}

    def figures(ids, extra=None):
        visits = sum(per_customer[pk]["visits"] for pk in ids if pk in per_customer)
        revenue = sum((per_customer[pk]["revenue"] for pk in ids if pk in per_customer), Decimal(0))
        if extra:
            visits += extra["visits"]
            revenue += extra["revenue"]
        return {
            "visits": visits,
            "revenue": revenue.quantize(CENT),
            "active": len([pk for pk in ids if pk in per_customer]),
            "new": len([pk for pk in ids if pk in new_ids]),
            "average_basket": (revenue / visits).quantize(CENT, ROUND_HALF_UP)
            if visits
            else Decimal("0.00"),
        }

    chosen = [pk for pk in customers if cluster is None or cluster.pk in members(pk)]
    return {
        "per_customer": {
            customers[pk].name: {
                "visits": row["visits"],
                "revenue": row["revenue"].quantize(CENT),
                "average_basket": (row["revenue"] / row["visits"]).quantize(CENT, ROUND_HALF_UP),
            }
            for pk, row in per_customer.items()
            if pk in chosen
        },
        "totals": figures(chosen),
        "clusters": {
            cl: figures([pk for pk in customers if cl in members(pk)])
            for cl in {cl for pk in customers for cl in members(pk)}
        },
        "walk_in": walk_in,
        "all": figures(list(customers), extra=walk_in),
        "per_day": {
            day: sum(
                (
                    s.total
                    for s in in_period
                    if s.customer_id in chosen and timezone.localdate(s.sold_at) == day
                ),
                Decimal(0),
            )
            for day in {timezone.localdate(s.sold_at) for s in in_period}
        },
    }


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def money(value) -> str:
    return f"{value:.2f}"


# --- by cluster ---


def cluster_row_figures(row):
    return {k: row[k] for k in ("visits", "revenue", "active", "new", "average_basket")}


@pytest.mark.parametrize("days", [None, (45, 0), (3, 1)])
def test_cluster_figures_match_the_sales(client, manager, shop, days):
    client.force_login(manager)
    params = {}
    start, end = TODAY - timedelta(days=29), TODAY
    if days:
        start, end = TODAY - timedelta(days=days[0]), TODAY - timedelta(days=days[1])
        params = {"date_from": start.isoformat(), "date_to": end.isoformat()}
    response = client.get(reverse("reports:activity_clusters"), params)
    assert response.status_code == 200
    activity = response.context["activity"]
    want = expected(start, end)
    assert (activity["start"], activity["end"]) == (start, end)
    by_key = {row["key"]: row for row in activity["clusters"]}
    for cluster in (shop["dairy"], shop["maize"]):
        assert cluster_row_figures(by_key[cluster.pk]) == want["clusters"][cluster.pk]
    assert "none" not in by_key  # every customer has a cluster
    assert activity["walk_in"]["visits"] == want["walk_in"]["visits"]
    assert activity["walk_in"]["revenue"] == want["walk_in"]["revenue"]
    assert cluster_row_figures(activity["total"]) == want["all"]
    # Baraka counts in both clusters, once in the total.
    assert (
        by_key[shop["dairy"].pk]["revenue"]
        + by_key[shop["maize"].pk]["revenue"]
        + activity["walk_in"]["revenue"]
        >= activity["total"]["revenue"]
    )
    chart = response.context["chart"].as_json_data()
    assert chart["kind"] == "bar"
    assert chart["series"][0]["data"] == [float(row["revenue"]) for row in activity["clusters"]]

    rows = read_csv(client.get(reverse("reports:activity_clusters_export"), params))
    assert rows[0] == [
        "Cluster",
        "Visits",
        "Revenue",
        "Active customers",
        "New customers",
        "Average basket",
    ]
    table = [*activity["clusters"], activity["walk_in"], activity["total"]]
    assert rows[1:] == [
        [
            str(row["label"]),
            str(row["visits"]),
            money(row["revenue"]),
            str(row["active"]),
            str(row["new"]),
            money(row["average_basket"]),
        ]
        for row in table
    ]


def test_default_period_figures_by_hand(client, manager, shop):
    """The same, written out: Amina returning (1,120.50 in two visits), Baraka new in both
    clusters (500 in two), Chebet new (400; her 700 was voided), one 250 walk-in."""
    client.force_login(manager)
    activity = client.get(reverse("reports:activity_clusters")).context["activity"]
    by_key = {row["key"]: row for row in activity["clusters"]}
    dairy, maize = by_key[shop["dairy"].pk], by_key[shop["maize"].pk]
    assert (dairy["visits"], dairy["revenue"], dairy["active"], dairy["new"]) == (
        4,
        Decimal("1620.50"),
        2,
        1,
    )
    assert (maize["visits"], maize["revenue"], maize["active"], maize["new"]) == (
        3,
        Decimal("900.00"),
        2,
        2,
    )
    total = activity["total"]
    assert (total["visits"], total["revenue"], total["active"], total["new"]) == (
        6,
        Decimal("2270.50"),
        3,
        2,
    )
    assert total["average_basket"] == Decimal("378.42")


def test_cluster_view_query_count_does_not_grow(client, manager, shop):
    client.force_login(manager)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("reports:activity_clusters")).status_code == 200
    figures = [
        q for q in queries.captured_queries if "sales_sale" in q["sql"] or "first_visit" in q["sql"]
    ]
    assert len(figures) <= 7


# --- by customer ---


def page_rows(response):
    return {
        row.record.name: {
            "visits": row.record.visits,
            "revenue": row.record.revenue,
            "average_basket": Decimal(row.get_cell("average_basket").replace(",", "")),
        }
        for row in response.context["table"].page.object_list
    }


@pytest.mark.parametrize("cluster_name", [None, "dairy", "maize"])
@pytest.mark.parametrize("days", [None, (45, 0), (3, 1)])
def test_customer_figures_match_the_sales(client, manager, shop, cluster_name, days):
    client.force_login(manager)
    params = {}
    start, end = TODAY - timedelta(days=29), TODAY
    if days:
        start, end = TODAY - timedelta(days=days[0]), TODAY - timedelta(days=days[1])
        params = {"date_from": start.isoformat(), "date_to": end.isoformat()}
    cluster = shop[cluster_name] if cluster_name else None
    if cluster:
        params["cluster"] = cluster.pk
    response = client.get(reverse("reports:activity_customers"), params)
    assert response.status_code == 200
    want = expected(start, end, cluster)
    assert page_rows(response) == want["per_customer"]
    names = [row.record.name for row in response.context["table"].page.object_list]
    revenues = [want["per_customer"][name]["revenue"] for name in names]
    assert revenues == sorted(revenues, reverse=True)  # most revenue first by default
    assert response.context["totals"] == want["totals"]
    over_time = response.context["over_time"]
    assert len(over_time) == (end - start).days + 1
    assert {row["when"]: row["revenue"] for row in over_time if row["revenue"]} == {
        day: revenue.quantize(CENT) for day, revenue in want["per_day"].items() if revenue
    }
    assert response.context["chart"].as_json_data()["series"][0]["data"] == [
        float(row["revenue"]) for row in over_time
    ]

    rows = read_csv(client.get(reverse("reports:activity_customers_export"), params))
    assert rows[0] == ["Name", "Visits", "Revenue", "Average basket", "First visit"]
    customers = {c.name: c for c in Customer.objects.all()}
    assert rows[1:] == [
        [
            name,
            str(want["per_customer"][name]["visits"]),
            money(want["per_customer"][name]["revenue"]),
            money(want["per_customer"][name]["average_basket"]),
            timezone.localtime(customers[name].first_visit_at).strftime("%Y-%m-%d"),
        ]
        for name in names
    ]


def test_customer_table_sorts_and_export_follows(client, manager, shop):
    client.force_login(manager)
    params = {"sort": "name", "date_from": (TODAY - timedelta(days=45)).isoformat()}
    response = client.get(reverse("reports:activity_customers"), params)
    names = [row.record.name for row in response.context["table"].page.object_list]
    assert names == ["Amina Returning", "Baraka Both", "Chebet Maize"]
    rows = read_csv(client.get(reverse("reports:activity_customers_export"), params))
    assert [row[0] for row in rows[1:]] == names


def test_long_period_is_charted_per_week(client, manager, shop):
    client.force_login(manager)
    start = TODAY - timedelta(days=200)
    response = client.get(reverse("reports:activity_customers"), {"date_from": start.isoformat()})
    over_time = response.context["over_time"]
    assert over_time[0]["weekly"] and over_time[0]["when"].weekday() == 0
    want = expected(start, TODAY)
    assert sum(row["revenue"] for row in over_time) == want["totals"]["revenue"]


def test_customer_view_queries_are_few(client, manager, shop):
    client.force_login(manager)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("reports:activity_customers")).status_code == 200
    figures = [
        q for q in queries.captured_queries if "sales_sale" in q["sql"] or "first_visit" in q["sql"]
    ]
    assert len(figures) <= 4


# --- bad input and permissions ------------------------------------------------------------------


BAD_PERIODS = [
    ({"date_from": "2025-03-10", "date_to": "2025-03-01"}, "before the “from” date"),
    ({"date_from": "2015-01-01", "date_to": "2025-01-01"}, "at most 3 years"),
    ({"date_from": "1999-12-31", "date_to": "2000-01-05"}, "from 1 January 2000"),
    ({"date_from": "0001-01-01", "date_to": "0001-01-02"}, "from 1 January 2000"),
    ({"date_to": "9999-12-31"}, "cannot look ahead"),
    ({"date_from": "not-a-date"}, "Enter a valid date"),
]


@pytest.mark.parametrize(("params", "message"), BAD_PERIODS)
def test_bad_periods_show_a_message_and_no_figures(client, manager, shop, params, message):
    client.force_login(manager)
    response = client.get(reverse("reports:activity_clusters"), params)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["activity"] is None
    assert read_csv(client.get(reverse("reports:activity_clusters_export"), params))[1:] == []

    response = client.get(reverse("reports:activity_customers"), params)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["totals"] is None
    assert list(response.context["table"].page.object_list) == []
    assert read_csv(client.get(reverse("reports:activity_customers_export"), params))[1:] == []


@pytest.mark.parametrize("cluster", ["999999", "abc", "-1"])
def test_unknown_cluster_shows_a_message(client, manager, shop, cluster):
    client.force_login(manager)
    response = client.get(reverse("reports:activity_customers"), {"cluster": cluster})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert response.context["totals"] is None
    assert list(response.context["table"].page.object_list) == []
    export = client.get(reverse("reports:activity_customers_export"), {"cluster": cluster})
    assert read_csv(export)[1:] == []


ACTIVITY_URLS = [
    "reports:activity_clusters",
    "reports:activity_clusters_export",
    "reports:activity_customers",
    "reports:activity_customers_export",
]


@pytest.mark.parametrize("name", ACTIVITY_URLS)
def test_permissions(client, cashier, manager, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(cashier)
    assert client.get(url).status_code == 403
    client.force_login(manager)
    assert client.get(url).status_code == 200


def test_report_index_links_to_both(client, manager):
    client.force_login(manager)
    page = client.get(reverse("reports:index")).content.decode()
    assert reverse("reports:activity_clusters") in page
    assert reverse("reports:activity_customers") in page
