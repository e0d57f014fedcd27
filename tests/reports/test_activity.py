"""Activity by cluster and by customer: every figure against a computation in Python over the
sales the test made (voided and out-of-period sales left out, walk-ins apart, a customer in two
clusters counted in both, new against returning customers). The pages read the report figures
kept with the sales (sales.figures); the expected figures here come from the sales."""

import csv
import io
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from credit.selectors import end_of_day
from customers.models import Customer
from reports.selectors import ReportPeriod
from sales.models import Sale
from sales.services import sale_void
from tests.factories import sell

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
CENT = Decimal("0.01")
END = TODAY.replace(day=1) - timedelta(days=1)
START = END.replace(day=1)
LAST_MONTH = ReportPeriod.of_month(START.year, START.month)
MONTH_BEFORE = (START - timedelta(days=1)).replace(day=1)
THIS_MONTH = ReportPeriod.of_month(TODAY.year, TODAY.month)


def on(day: date, hour: int = 10, second: int = 0):
    """That day in Nairobi at `hour`:00 (plus `second` seconds)."""
    return end_of_day(day - timedelta(days=1)) + timedelta(hours=hour, seconds=second)


@pytest.fixture
def shop(make_customer, clusters, cashier, manager):
    dairy, maize = clusters
    amina = make_customer(name="Amina Returning", clusters=[dairy])
    baraka = make_customer(name="Baraka Both", clusters=[dairy, maize])
    chebet = make_customer(name="Chebet Maize", clusters=[maize])
    make_customer(name="Daudi Never", clusters=[maize])
    plan = [
        (amina, "500", on(MONTH_BEFORE)),  # before last month: Amina is a returning customer
        (amina, "1000", on(START + timedelta(days=4))),
        (amina, "120.50", on(START, 0)),  # the first instant of last month
        (amina, "77", on(END + timedelta(days=1), 0)),  # the first instant of this month
        (baraka, "300", on(START + timedelta(days=1))),
        (baraka, "200", on(END, 23, 59 * 60 + 59)),  # the last second of last month
        (chebet, "400", on(START + timedelta(days=9))),
        (chebet, "700", on(START + timedelta(days=10))),  # voided below
        (None, "250", on(START + timedelta(days=3))),  # walk-in
        (None, "999", on(MONTH_BEFORE)),  # walk-in before the period
        (None, "80", on(START + timedelta(days=5))),  # walk-in, voided below
    ]
    sales = [
        sell(cashier=cashier, customer=c, total=t, payment_method="cash", sold_at=when)
        for c, t, when in plan
    ]
    sale_void(actor=manager, sale=sales[7], reason="Wrong customer")
    sale_void(actor=manager, sale=sales[10], reason="Till mistake")
    return {"dairy": dairy, "maize": maize, "amina": amina, "baraka": baraka, "chebet": chebet}


def expected(period: ReportPeriod, cluster=None) -> dict:
    """The figures computed in Python from every sale and customer, one by one."""
    start, end = period.starts_on, period.ends_on
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
    }


def expected_trend(last_month: date, cluster=None) -> dict:
    """Customers' revenue per month (the chosen ones), the 12 months up to `last_month`."""
    customers = {c.pk: {cl.pk for cl in c.clusters.all()} for c in Customer.objects.all()}
    months = defaultdict(Decimal)
    for sale in Sale.objects.filter(voided_at=None, customer__isnull=False):
        if cluster is not None and cluster.pk not in customers[sale.customer_id]:
            continue
        months[timezone.localdate(sale.sold_at).replace(day=1)] += sale.total
    first = last_month
    for _ in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    return {month: revenue for month, revenue in months.items() if first <= month <= last_month}


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def money(value) -> str:
    return f"{value:.2f}"


# --- by cluster ---


def cluster_row_figures(row):
    return {k: row[k] for k in ("visits", "revenue", "active", "new", "average_basket")}


PERIODS = {
    "default (this month)": None,
    "last month": LAST_MONTH,
    "last month's year": ReportPeriod.of_year(START.year),
    "the month before": ReportPeriod.of_month(MONTH_BEFORE.year, MONTH_BEFORE.month),
}


@pytest.mark.parametrize("period", PERIODS.values(), ids=PERIODS.keys())
def test_cluster_figures_match_the_sales(client, manager, shop, period):
    client.force_login(manager)
    params = {"period": period.value} if period else {}
    response = client.get(reverse("reports:activity_clusters"), params)
    assert response.status_code == 200
    activity = response.context["activity"]
    want = expected(period or THIS_MONTH)
    assert activity["period"] == (period or THIS_MONTH)
    by_key = {row["key"]: row for row in activity["clusters"]}
    for cluster in (shop["dairy"], shop["maize"]):
        assert cluster_row_figures(by_key[cluster.pk]) == want["clusters"][cluster.pk]
    assert "none" not in by_key  # every customer has a cluster
    assert activity["walk_in"]["visits"] == want["walk_in"]["visits"]
    assert activity["walk_in"]["revenue"] == want["walk_in"]["revenue"]
    assert cluster_row_figures(activity["total"]) == want["all"]
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


def test_last_months_figures_by_hand(client, manager, shop):
    """The same, written out: Amina returning (1,120.50 in two visits), Baraka new in both
    clusters (500 in two), Chebet new (400; her 700 was voided), one 250 walk-in."""
    client.force_login(manager)
    activity = client.get(
        reverse("reports:activity_clusters"), {"period": LAST_MONTH.value}
    ).context["activity"]
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
    # The first sale's day from the sales; the figures from the summary in one query.
    assert len([q for q in queries.captured_queries if '"sales_sale"' in q["sql"]]) == 1
    assert len([q for q in queries.captured_queries if '"sales_salessummary"' in q["sql"]]) == 1


# --- by customer ---


def page_rows(response):
    return {
        row.record.customer.name: {
            "visits": row.record.visits,
            "revenue": row.record.revenue,
            "average_basket": Decimal(row.get_cell("average_basket").replace(",", "")),
        }
        for row in response.context["table"].page.object_list
    }


@pytest.mark.parametrize("cluster_name", [None, "dairy", "maize"])
@pytest.mark.parametrize("period", PERIODS.values(), ids=PERIODS.keys())
def test_customer_figures_match_the_sales(client, manager, shop, cluster_name, period):
    client.force_login(manager)
    params = {"period": period.value} if period else {}
    cluster = shop[cluster_name] if cluster_name else None
    if cluster:
        params["cluster"] = cluster.pk
    response = client.get(reverse("reports:activity_customers"), params)
    assert response.status_code == 200
    want = expected(period or THIS_MONTH, cluster)
    assert page_rows(response) == want["per_customer"]
    names = [row.record.customer.name for row in response.context["table"].page.object_list]
    revenues = [want["per_customer"][name]["revenue"] for name in names]
    assert revenues == sorted(revenues, reverse=True)  # most revenue first by default
    assert response.context["totals"] == {
        "key": "total",
        "label": "Total",
        **want["totals"],
    }
    trend = response.context["trend"]
    assert len(trend) == 12 and trend[-1]["when"] == (period or THIS_MONTH).ends_on.replace(day=1)
    assert {row["when"]: row["revenue"] for row in trend if row["revenue"]} == {
        month: revenue.quantize(CENT)
        for month, revenue in expected_trend(trend[-1]["when"], cluster).items()
        if revenue
    }
    assert response.context["chart"].as_json_data()["series"][0]["data"] == [
        float(row["revenue"]) for row in trend
    ]

    rows = read_csv(client.get(reverse("reports:activity_customers_export"), params))
    assert rows[0] == ["Name", "Phone", "Visits", "Revenue", "Average basket", "First visit"]
    customers = {c.name: c for c in Customer.objects.all()}
    assert rows[1:] == [
        [
            name,
            customers[name].phone.as_e164,
            str(want["per_customer"][name]["visits"]),
            money(want["per_customer"][name]["revenue"]),
            money(want["per_customer"][name]["average_basket"]),
            timezone.localtime(customers[name].first_visit_at).strftime("%Y-%m-%d"),
        ]
        for name in names
    ]


def test_customer_table_sorts_by_visits_and_export_follows(client, manager, shop):
    client.force_login(manager)
    params = {"sort": "visits", "period": LAST_MONTH.value}
    response = client.get(reverse("reports:activity_customers"), params)
    rows = response.context["table"].page.object_list
    assert [row.record.visits for row in rows] == [2, 2, 1]
    names = [row.record.customer.name for row in rows]
    export = read_csv(client.get(reverse("reports:activity_customers_export"), params))
    assert [row[0] for row in export[1:]] == names


def test_customer_view_queries_are_few(client, manager, shop):
    client.force_login(manager)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("reports:activity_customers")).status_code == 200
    assert len([q for q in queries.captured_queries if '"sales_sale"' in q["sql"]]) == 1
    assert len(queries.captured_queries) <= 12


# --- bad input and permissions ------------------------------------------------------------------


BAD_PERIODS = [
    ({"period": str(TODAY.year + 1)}, f"{TODAY.year + 1} is not one the shop has sales for"),
    ({"period": "1999-12"}, "1999-12 is not one the shop has sales for"),
    ({"period": "2025-13"}, "2025-13 is not one"),
    ({"period": "not-a-period"}, "Pick a year or a month from the list"),
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
