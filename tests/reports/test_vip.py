"""The VIP report: every figure against an independent sum over the sales made here, ties, one
and no buyers, refused periods, who may see it, and the export equal to the ranking. Its
figures come from the pre-aggregated CustomerSalesTotal; the expected ones here straight from
the sales."""

import csv
import io
import math
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from credit.selectors import end_of_day
from reports.selectors import ReportPeriod, VipRanking, vip_summary
from sales.models import Sale
from sales.services import sale_void
from tests.factories import sell

pytestmark = pytest.mark.django_db

URL = reverse("reports:vip")
EXPORT_URL = reverse("reports:vip_export")
TODAY = timezone.localdate()
# Last month: a period with both edges in the past.
END = TODAY.replace(day=1) - timedelta(days=1)
START = END.replace(day=1)
LAST_MONTH = ReportPeriod.of_month(START.year, START.month)
THIS_YEAR = ReportPeriod.of_year(TODAY.year)


def at(day: date, hour: int = 10):
    return end_of_day(day - timedelta(days=1)) + timedelta(hours=hour)


def pct(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def expected_ranking(start: date, end: date) -> dict:
    """Straight from the sales, in Python: no query the report uses."""
    revenue, visits, names, phones = defaultdict(Decimal), defaultdict(int), {}, {}
    walk_in, walk_in_sales = Decimal("0"), 0
    for sale in Sale.objects.select_related("customer"):
        day = timezone.localtime(sale.sold_at).date()
        if sale.voided_at is not None or not start <= day <= end:
            continue
        if sale.customer is None:
            walk_in += sale.total
            walk_in_sales += 1
            continue
        revenue[sale.customer.pk] += sale.total
        visits[sale.customer.pk] += 1
        names[sale.customer.pk] = sale.customer.name
        phones[sale.customer.pk] = sale.customer.phone.as_e164
    order = sorted(revenue, key=lambda pk: (-revenue[pk], pk))
    total = sum(revenue.values(), Decimal("0"))
    rows, running = [], Decimal("0")
    for rank, pk in enumerate(order, start=1):
        running += revenue[pk]
        rows.append(
            {
                "rank": rank,
                "pk": pk,
                "name": names[pk],
                "phone": phones[pk],
                "visits": visits[pk],
                "revenue": revenue[pk],
                "share": pct(revenue[pk], total),
                "cumulative_share": pct(running, total),
            }
        )
    top = math.ceil(0.2 * len(rows))
    return {
        "rows": rows,
        "revenue": total,
        "walk_in_revenue": walk_in,
        "walk_in_sales": walk_in_sales,
        "top_count": top,
        "top_share": rows[top - 1]["cumulative_share"] if rows else Decimal("0"),
    }


def vip_ranking(period: ReportPeriod) -> dict:
    """The report's summary with every ranked row, as the page and the export read them."""
    summary = vip_summary(period)
    return {**summary, "rows": list(VipRanking(summary))}


@pytest.fixture
def shop(make_customer, cashier, manager):
    """Twelve buyers in the period, sales on and just outside its edges, voids, walk-ins, ties."""
    customers = [make_customer(name=f"Buyer {n:02d}") for n in range(1, 13)]
    for n, customer in enumerate(customers, start=1):
        for visit in range(n % 3 + 1):
            sell(
                cashier=cashier,
                customer=customer,
                total=str(Decimal(n * n * 50 + visit * 7) + Decimal("0.25")),
                payment_method="cash",
                sold_at=at(START + timedelta(days=n + visit)),
            )
    # Ties: the same revenue, ranked by who became a customer first (Zawadi, the lower pk).
    zawadi = make_customer(name="Zawadi Tie")
    abdi = make_customer(name="Abdi Tie")
    for customer in (zawadi, abdi):
        sell(
            cashier=cashier,
            customer=customer,
            total="999",
            payment_method="mpesa",
            sold_at=at(START + timedelta(days=3)),
        )
    first, last = customers[0], customers[-1]
    # The first and last instants of the period count; just outside does not.
    sell(cashier=cashier, customer=first, total="11", payment_method="cash", sold_at=at(START, 0))
    sell(
        cashier=cashier,
        customer=first,
        total="5000",
        payment_method="cash",
        sold_at=at(START, 0) - timedelta(seconds=1),
    )
    sell(
        cashier=cashier,
        customer=last,
        total="13",
        payment_method="cash",
        sold_at=end_of_day(END) - timedelta(seconds=1),
    )
    sell(
        cashier=cashier,
        customer=last,
        total="6000",
        payment_method="cash",
        sold_at=end_of_day(END),
    )
    outsider = make_customer(name="Outside Only")
    sell(
        cashier=cashier,
        customer=outsider,
        total="70000",
        payment_method="cash",
        sold_at=at(START - timedelta(days=2)),
    )
    # Voided: counts nowhere.
    voided = sell(
        cashier=cashier,
        customer=first,
        total="80000",
        payment_method="cash",
        sold_at=at(START + timedelta(days=1)),
    )
    sale_void(actor=manager, sale=voided, reason="Wrong customer")
    voided_only = make_customer(name="Voided Only")
    sale_void(
        actor=manager,
        reason="Typo",
        sale=sell(
            cashier=cashier,
            customer=voided_only,
            total="50",
            payment_method="cash",
            sold_at=at(START + timedelta(days=1)),
        ),
    )
    # Walk-ins: reported, not ranked.
    for total in ("120.50", "79.50"):
        sell(
            cashier=cashier,
            total=total,
            payment_method="cash",
            sold_at=at(START + timedelta(days=4)),
        )
    return {"first": first, "last": last, "zawadi": zawadi, "abdi": abdi}


def test_ranking_matches_the_sales(shop):
    expected = expected_ranking(START, END)
    with CaptureQueriesContext(connection) as queries:
        ranking = vip_ranking(LAST_MONTH)
    assert len(queries) == 4  # figures, walk-ins, the curve, the rows
    assert ranking["rows"] == expected["rows"]
    assert ranking["customers"] == 14 == len(expected["rows"])
    assert ranking["revenue"] == expected["revenue"]
    assert ranking["visits"] == sum(row["visits"] for row in expected["rows"])
    assert ranking["walk_in_revenue"] == expected["walk_in_revenue"] == Decimal("200.00")
    assert ranking["walk_in_sales"] == 2
    assert ranking["top_count"] == expected["top_count"] == 3  # ceil(0.2 x 14)
    assert ranking["top_share"] == expected["top_share"]
    assert ranking["rows"][-1]["cumulative_share"] == Decimal("100.00")
    names = [row["name"] for row in ranking["rows"]]
    assert "Outside Only" not in names and "Voided Only" not in names
    # The tie: same revenue, ranked by who became a customer first.
    assert names.index("Zawadi Tie") + 1 == names.index("Abdi Tie")
    # The edges: 11 at the first instant counts, 5,000 a second before does not; 13 a second
    # before the month ends counts, 6,000 at midnight does not.
    first = next(row for row in ranking["rows"] if row["pk"] == shop["first"].pk)
    assert first["revenue"] == Decimal("50.25") + Decimal("57.25") + Decimal("11")
    last = next(row for row in ranking["rows"] if row["pk"] == shop["last"].pk)
    assert last["revenue"] == Decimal("7200.25") + Decimal("13")


def test_ties_by_who_became_a_customer_first(make_customer, cashier):
    first_pk = make_customer(name="Wanjiku")
    second_pk = make_customer(name="Abdi")
    third_pk = make_customer(name="Abdi")
    big = make_customer(name="Zz Big")
    for customer in (third_pk, first_pk, second_pk):
        sell(
            cashier=cashier, customer=customer, total="10", payment_method="cash", sold_at=at(START)
        )
    sell(cashier=cashier, customer=big, total="70", payment_method="cash", sold_at=at(START))
    rows = vip_ranking(LAST_MONTH)["rows"]
    assert [row["pk"] for row in rows] == [big.pk, first_pk.pk, second_pk.pk, third_pk.pk]
    assert [row["share"] for row in rows] == [Decimal("70.00"), *[Decimal("10.00")] * 3]
    assert [row["cumulative_share"] for row in rows] == [
        Decimal("70.00"),
        Decimal("80.00"),
        Decimal("90.00"),
        Decimal("100.00"),
    ]
    assert rows == expected_ranking(START, END)["rows"]


def test_page_shows_the_sentence_table_and_chart(client, manager, shop):
    expected = expected_ranking(START, END)
    client.force_login(manager)
    response = client.get(URL, {"period": LAST_MONTH.value})
    assert response.status_code == 200
    share = expected["top_share"].quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    sentence = f"The top 20 % of customers (3 of 14) brought {share} % of revenue."
    assert sentence in response.content.decode()
    assert "Walk-in sales (no customer, not ranked): KES 200.00 from 2 sales" in (
        response.content.decode()
    )
    assert response.context["ranking"]["customers"] == 14
    page_rows = list(response.context["page_obj"].object_list)
    assert page_rows == expected["rows"]
    chart = response.context["chart"].as_json_data()
    assert chart["kind"] == "line" and chart["percent"]
    assert chart["series"][0]["data"] == [0] + [
        float(row["cumulative_share"]) for row in expected["rows"]
    ]
    assert chart["labels"][0] == "0%" and chart["labels"][-1] == "100%"
    assert 'data-chart="vip-data"' in response.content.decode()


def test_default_period_is_this_year_and_a_year_counts_its_months(
    client, manager, make_customer, cashier
):
    customer = make_customer(name="Year Buyer")
    new_year = date(TODAY.year, 1, 1)
    sell(cashier=cashier, customer=customer, total="40", payment_method="cash", sold_at=at(TODAY))
    sell(
        cashier=cashier,
        customer=customer,
        total="2.50",
        payment_method="cash",
        sold_at=at(new_year, 0),
    )
    sell(
        cashier=cashier,
        customer=customer,
        total="1000",
        payment_method="cash",
        sold_at=at(new_year, 0) - timedelta(seconds=1),
    )
    client.force_login(manager)
    response = client.get(URL)
    ranking = response.context["ranking"]
    assert ranking["period"] == THIS_YEAR
    assert (ranking["start"], ranking["end"]) == (new_year, date(TODAY.year, 12, 31))
    assert response.context["page_obj"].object_list[0]["revenue"] == Decimal("42.50")
    assert ranking["visits"] == 2
    assert vip_ranking(THIS_YEAR)["rows"] == expected_ranking(new_year, TODAY)["rows"]


def test_the_period_list_runs_from_this_month_back_to_the_first_sale(
    client, manager, make_customer, cashier
):
    first = date(TODAY.year - 2, 3, 15)
    sell(
        cashier=cashier,
        customer=make_customer(),
        total="5",
        payment_method="cash",
        sold_at=at(first),
    )
    client.force_login(manager)
    choices = response_choices(client.get(URL))
    years = [str(TODAY.year - n) for n in range(3)]
    assert [value for value, _label in choices[0][1]] == years
    assert choices[0][1][0][1] == f"{TODAY.year} (so far)"
    this_year_months = [value for value, _label in choices[1][1]]
    assert this_year_months[0] == f"{TODAY:%Y-%m}" and this_year_months[-1] == f"{TODAY.year}-01"
    first_year_months = [value for value, _label in choices[-1][1]]
    assert first_year_months[0] == f"{first.year}-12" and first_year_months[-1] == f"{first:%Y-%m}"


def response_choices(response):
    return list(response.context["form"].fields["period"].choices)


def test_a_month_and_a_year_show_their_own_customers(client, manager, shop):
    client.force_login(manager)
    month = client.get(URL, {"period": LAST_MONTH.value})
    assert month.context["ranking"]["period"] == LAST_MONTH
    assert f"{START:%B %Y}" in month.content.decode()
    year = vip_ranking(ReportPeriod.of_year(START.year))
    assert (
        year["rows"] == expected_ranking(date(START.year, 1, 1), date(START.year, 12, 31))["rows"]
    )


def test_one_buyer(client, manager, make_customer, cashier):
    customer = make_customer(name="Only One")
    sell(cashier=cashier, customer=customer, total="250", payment_method="cash", sold_at=at(TODAY))
    client.force_login(manager)
    response = client.get(URL)
    assert "The top 20 % of customers (1 of 1) brought 100 % of revenue." in (
        response.content.decode()
    )
    assert response.context["page_obj"].object_list[0]["cumulative_share"] == Decimal("100.00")


def test_no_sales_is_a_friendly_empty_state(client, manager, cashier):
    sell(cashier=cashier, total="30", payment_method="cash", sold_at=at(TODAY))  # walk-in only
    client.force_login(manager)
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "nobody to rank yet" in body
    assert "KES 30.00 from 1 sales" in body
    assert response.context["chart"] is None
    assert "data-chart" not in body and "Export to CSV" not in body
    rows = list(
        csv.reader(io.StringIO(b"".join(client.get(EXPORT_URL).streaming_content).decode()))
    )
    assert rows == [["Rank", "Name", "Phone", "Visits", "Revenue", "Share %", "Cumulative share %"]]


NEXT_YEAR = str(TODAY.year + 1)
NEXT_MONTH = f"{(TODAY.replace(day=28) + timedelta(days=4)):%Y-%m}"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": NEXT_YEAR}, f"{NEXT_YEAR} is not one the shop has sales for"),
        ({"period": NEXT_MONTH}, f"{NEXT_MONTH} is not one the shop has sales for"),
        ({"period": "1999"}, "1999 is not one"),
        ({"period": "2025-13"}, "2025-13 is not one"),
        ({"period": "last-12-months"}, "Pick a year or a month from the list"),
        ({"period": "<script>"}, "&lt;script&gt; is not one"),
    ],
)
def test_bad_periods_give_a_message_and_no_figures(client, manager, shop, params, message):
    client.force_login(manager)
    response = client.get(URL, params)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert response.context["ranking"] is None
    assert "vip-sentence" not in body and "data-chart" not in body
    export = client.get(EXPORT_URL, params)
    assert export.status_code == 200
    assert len(b"".join(export.streaming_content).decode().splitlines()) == 1


def test_permissions(client, cashier, manager):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get(EXPORT_URL).status_code == 302
    client.force_login(cashier)
    assert client.get(URL).status_code == 403
    assert client.get(EXPORT_URL).status_code == 403
    client.force_login(manager)
    assert client.get(URL).status_code == 200
    assert client.get(EXPORT_URL).status_code == 200
    assert reverse("reports:vip") in client.get(reverse("reports:index")).content.decode()


def test_export_rows_equal_the_ranking(client, manager, shop):
    expected = expected_ranking(START, END)
    client.force_login(manager)
    response = client.get(EXPORT_URL, {"period": LAST_MONTH.value})
    assert f'filename="vip-{LAST_MONTH.value}-' in response["Content-Disposition"]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "Rank",
        "Name",
        "Phone",
        "Visits",
        "Revenue",
        "Share %",
        "Cumulative share %",
    ]
    assert rows[1:] == [
        [
            str(row["rank"]),
            row["name"],
            row["phone"],
            str(row["visits"]),
            f"{row['revenue']:.2f}",
            f"{row['share']:.2f}",
            f"{row['cumulative_share']:.2f}",
        ]
        for row in expected["rows"]
    ]


def test_page_and_export_cost_a_fixed_number_of_queries(client, manager, shop):
    client.force_login(manager)
    client.get(URL)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    with CaptureQueriesContext(connection) as export_queries:
        b"".join(client.get(EXPORT_URL).streaming_content)

    # Only the first sale's day is read from the sales (one index entry); the rest from the
    # report figures: bands, summary, the curve and the first page's rows (a later page adds
    # one bounded sum inside a band).
    def reading(queries, table):
        return [q for q in queries if f'"{table}"' in q["sql"]]

    assert len(reading(few, "sales_sale")) == 1
    assert len(reading(export_queries, "sales_sale")) == 1
    assert len(reading(few, "sales_customersalestotal")) == 2
    assert len(reading(few, "sales_revenueband")) == 1
    assert len(reading(few, "sales_salessummary")) == 1


def test_table_pages_at_fifty(client, manager, make_customer, cashier):
    for n in range(55):
        customer = make_customer(name=f"Many {n:02d}")
        sell(
            cashier=cashier,
            customer=customer,
            total=str(100 + n),
            payment_method="cash",
            sold_at=at(START),
        )
    client.force_login(manager)
    first = client.get(URL, {"period": LAST_MONTH.value})
    assert len(first.context["page_obj"].object_list) == 50
    second = client.get(URL, {"period": LAST_MONTH.value, "page": 2})
    assert [row["rank"] for row in second.context["page_obj"].object_list] == list(range(51, 56))
    # The second page's cumulative share carries on from the first's.
    assert second.context["page_obj"].object_list == expected_ranking(START, END)["rows"][50:]
    assert "Page 2 of 2" in second.content.decode()
    # Past 50 customers the curve runs through the last customer of each revenue band and the
    # last of the top 20 %: every point exact.
    expected = expected_ranking(START, END)["rows"]
    curve = first.context["ranking"]["curve"]
    assert 11 in curve["ranks"] and curve["ranks"][-1] == 55
    assert curve["shares"] == [expected[rank - 1]["cumulative_share"] for rank in curve["ranks"]]
    chart = first.context["chart"].as_json_data()
    assert chart["series"][0]["data"] == [0] + [float(share) for share in curve["shares"]]
