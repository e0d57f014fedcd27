"""The VIP report in a real browser, as a manager: the sentence, the Pareto chart drawn, a new
period, and the export's rows equal to the ranking."""

import csv
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reports.selectors import vip_ranking
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


def days_ago(days: int):
    return timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(
        days=days
    )


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
                sold_at=days_ago(5 + visit * 20 + n),
            )
    # Old big sale, outside a 3-month period, and walk-ins.
    late = make_customer(name="Old Timer Kyalo")
    sell(
        cashier=cashier, customer=late, total="90000", payment_method="cash", sold_at=days_ago(200)
    )
    for _ in range(3):
        sell(cashier=cashier, total="450", payment_method="cash", sold_at=days_ago(3))

    log_in(manager)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.emulate_media(reduced_motion="reduce")  # the screenshot shows the finished curve
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="VIP Customers").click()
    expect(page.get_by_role("heading", name="VIP Customers")).to_be_visible()

    today = timezone.localdate()
    default = page.get_by_test_id("vip-sentence")
    expect(default).to_contain_text("The top 20 % of customers (7 of 31) brought")
    expect(page.get_by_test_id("vip-walk-in")).to_contain_text("KES 1,350.00 from 3 sales")

    # A new period: the last 90 days, without Old Timer.
    start = today - timedelta(days=90)
    page.get_by_label("From", exact=True).fill(start.isoformat())
    page.get_by_label("To", exact=True).fill(today.isoformat())
    page.get_by_role("button", name="Show").click()
    ranking = vip_ranking(start, today)
    assert ranking["customers"] == 30
    share = ranking["top_share"].quantize(Decimal("1"))
    expect(page.get_by_test_id("vip-sentence")).to_have_text(
        f"The top 20 % of customers (6 of 30) brought {share} % of revenue."
    )
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

    # A reversed period: a message, no figures.
    page.get_by_label("From", exact=True).fill(today.isoformat())
    page.get_by_label("To", exact=True).fill(start.isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("period-error")).to_contain_text("ends before it starts")
    expect(page.get_by_test_id("vip-sentence")).to_have_count(0)
