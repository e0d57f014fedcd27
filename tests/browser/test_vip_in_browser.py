"""The VIP report in a real browser, as a manager: the sentence, the Pareto chart drawn, another
period picked from the list, the export's rows equal to the ranking, a typed bad period."""

import csv
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from credit.selectors import end_of_day
from reports.selectors import ReportPeriod, VipRanking, vip_summary
from tests.factories import sell

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST_NAMES = [
    "Amina",
    "Baraka",
    "Chebet",
    "Daudi",
    "Esther",
    "Faith",
    "Gitau",
    "Halima",
    "Imani",
    "Jabari",
    "Kamau",
    "Lulu",
    "Mwangi",
    "Njeri",
    "Otieno",
    "Pendo",
    "Rehema",
    "Salim",
    "Tumaini",
    "Wanjiku",
    "Yusuf",
    "Zawadi",
    "Akinyi",
    "Bahati",
    "Cherono",
    "Dalmas",
    "Emali",
    "Furaha",
    "Gathoni",
    "Hassan",
]
SURNAMES = ["Mutua", "Kilonzo", "Musyoka", "Wambua", "Ndunda"]


TODAY = timezone.localdate()
LAST_MONTH_END = TODAY.replace(day=1) - timedelta(days=1)
LAST_MONTH = ReportPeriod.of_month(LAST_MONTH_END.year, LAST_MONTH_END.month)
MONTH_BEFORE = (LAST_MONTH.starts_on - timedelta(days=1)).replace(day=1)


def in_last_month(day: int):
    """10:00 on that day of last month (days past its end fall on its last day)."""
    day = min(day, LAST_MONTH_END.day)
    return end_of_day(LAST_MONTH.starts_on.replace(day=day) - timedelta(days=1)) + timedelta(
        hours=10
    )


def vip_ranking(period: ReportPeriod) -> dict:
    summary = vip_summary(period)
    return {**summary, "rows": list(VipRanking(summary))}


def read_download(download) -> list[list[str]]:
    with open(download.path(), newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_manager_reads_the_vip_report(page, live_server, log_in, manager, cashier, make_customer):
    # ~30 customers, a long tail: a few big buyers bring most of the revenue.
    for n, first_name in enumerate(FIRST_NAMES):
        customer = make_customer(name=f"{first_name} {SURNAMES[n % len(SURNAMES)]}")
        revenue = Decimal(int(60000 / (n + 1) ** 1.3))
        visits = max(1, 6 - n // 5)
        for visit in range(visits):
            sell(
                cashier=cashier,
                customer=customer,
                total=str((revenue / visits).quantize(Decimal("0.01"))),
                payment_method="mpesa" if visit % 2 else "cash",
                sold_at=in_last_month(1 + (visit * 5 + n) % 28),
            )
    # A big sale the month before (not in last month's ranking), and walk-ins.
    late = make_customer(name="Old Timer Kyalo")
    sell(
        cashier=cashier,
        customer=late,
        total="90000",
        payment_method="cash",
        sold_at=end_of_day(MONTH_BEFORE) + timedelta(hours=10),
    )
    for _ in range(3):
        sell(cashier=cashier, total="450", payment_method="cash", sold_at=in_last_month(3))

    log_in(manager)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.emulate_media(reduced_motion="reduce")  # the screenshot shows the finished curve
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="VIP Customers").click()
    expect(page.get_by_role("heading", name="VIP Customers")).to_be_visible()

    # This year by default.
    expect(page.get_by_label("Period", exact=True)).to_have_value(str(TODAY.year))

    # Last month, picked from the list: 30 customers, without Old Timer.
    page.get_by_label("Period", exact=True).select_option(LAST_MONTH.value)
    page.get_by_role("button", name="Show").click()
    ranking = vip_ranking(LAST_MONTH)
    assert ranking["customers"] == 30
    share = ranking["top_share"].quantize(Decimal("1"))
    expect(page.get_by_test_id("vip-sentence")).to_have_text(
        f"The top 20 % of customers (6 of 30) brought {share} % of revenue."
    )
    expect(page.get_by_test_id("vip-walk-in")).to_contain_text("KES 1,350.00 from 3 sales")
    names = page.locator("[data-testid=vip-table] tbody tr td:nth-child(2)").all_inner_texts()
    assert names == [row["name"] for row in ranking["rows"]]
    assert "Old Timer Kyalo" not in names

    # The chart, drawn by Chart.js with the table's cumulative shares.
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart]'))"
    )
    drawn = page.locator("canvas[data-chart]").evaluate(
        "canvas => Chart.getChart(canvas).data.datasets[0].data"
    )
    assert drawn == [0] + [float(row["cumulative_share"]) for row in ranking["rows"]]
    page.screenshot(path="/tmp/vip.png", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Export to CSV").click()
    rows = read_download(download.value)
    assert rows[0] == [
        "Rank",
        "Name",
        "Phone",
        "Visits",
        "Revenue",
        "Share %",
        "Cumulative share %",
    ]
    assert [row[1] for row in rows[1:]] == [row["name"] for row in ranking["rows"]]
    assert [row[4] for row in rows[1:]] == [f"{row['revenue']:.2f}" for row in ranking["rows"]]
    assert rows[-1][6] == "100.00"

    # A period typed into the address bar that the list does not offer: a message, no figures.
    page.goto(f"{page.url.split('?')[0]}?{urlencode({'period': TODAY.year + 1})}")
    expect(page.get_by_text(f"{TODAY.year + 1} is not one the shop has sales for")).to_be_visible()
    expect(page.get_by_test_id("vip-sentence")).to_have_count(0)
