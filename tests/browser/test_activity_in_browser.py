"""The activity reports in a real browser, as a manager: change the period and the cluster, see
the figures change, download the CSV exports."""

import csv
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from credit.selectors import end_of_day
from tests.factories import sell

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


TODAY = timezone.localdate()
LAST_MONTH_END = TODAY.replace(day=1) - timedelta(days=1)
LAST_MONTH = LAST_MONTH_END.replace(day=1)
MONTH_BEFORE = (LAST_MONTH - timedelta(days=1)).replace(day=1)


def on(day):
    return end_of_day(day - timedelta(days=1)) + timedelta(hours=10)


def downloaded_rows(download) -> list[list[str]]:
    with open(download.path(), newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def test_manager_reads_activity_by_cluster_and_by_customer(
    page, live_server, log_in, manager, cashier, make_customer, clusters
):
    dairy, maize = clusters
    amina = make_customer(name="Amina Dairy", clusters=[dairy])
    baraka = make_customer(name="Baraka Maize", clusters=[maize])
    plan = [
        (amina, "1000", on(LAST_MONTH + timedelta(days=4))),
        (amina, "500", on(MONTH_BEFORE)),
        (baraka, "300", on(LAST_MONTH + timedelta(days=1))),
        (None, "250", on(LAST_MONTH + timedelta(days=2))),
    ]
    for customer, total, when in plan:
        sell(cashier=cashier, customer=customer, total=total, payment_method="cash", sold_at=when)

    log_in(manager)
    page.emulate_media(reduced_motion="reduce")  # the screenshot shows the finished charts
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Activity by Cluster").click()
    expect(page.get_by_role("heading", name="Activity by Cluster")).to_be_visible()
    period = page.get_by_label("Period", exact=True)
    expect(period).to_have_value(f"{TODAY:%Y-%m}")  # this month by default

    # Last month: Amina's 1,000, Baraka's 300 and a walk-in.
    period.select_option(f"{LAST_MONTH:%Y-%m}")
    page.get_by_role("button", name="Show").click()
    table = page.get_by_test_id("activity-clusters-table")
    dairy_revenue = table.locator(f"tr[data-row='{dairy.pk}'] td[data-col='revenue']")
    total_visits = table.locator("tr[data-row='total'] td[data-col='visits']")
    expect(dairy_revenue).to_have_text("1,000.00")
    expect(table.locator("tr[data-row='walk_in'] td[data-col='revenue']")).to_have_text("250.00")
    expect(total_visits).to_have_text("3")
    expect(page.get_by_test_id("chart-activity-clusters")).to_be_visible()
    with page.expect_download() as clusters_download:
        page.get_by_role("link", name="Export to CSV").click()
    rows = downloaded_rows(clusters_download.value)
    assert rows[0][:3] == ["Cluster", "Visits", "Revenue"]
    assert rows[1:] == [
        ["Dairy farmers", "1", "1000.00", "1", "0", "1000.00"],
        ["Maize growers", "1", "300.00", "1", "1", "300.00"],
        ["Walk-in sales", "1", "250.00", "0", "0", "250.00"],
        ["Total", "3", "1550.00", "2", "1", "516.67"],
    ]

    # The month before: Amina's first visit.
    page.get_by_label("Period", exact=True).select_option(f"{MONTH_BEFORE:%Y-%m}")
    page.get_by_role("button", name="Show").click()
    expect(dairy_revenue).to_have_text("500.00")
    expect(total_visits).to_have_text("1")

    # A period typed into the address bar that the list does not offer: a message, no figures.
    page.goto(f"{page.url.split('?')[0]}?period={TODAY.year + 1}")
    expect(page.get_by_test_id("period-error")).to_contain_text("is not one the shop has sales for")
    expect(table).to_have_count(0)

    page.goto(f"{page.url.split('?')[0]}?period={LAST_MONTH:%Y-%m}")
    page.get_by_role("link", name="Activity by customer").click()
    expect(page.get_by_role("heading", name="Activity by Customer")).to_be_visible()
    expect(page.get_by_test_id("total-active")).to_have_text("2")
    expect(page.get_by_test_id("total-revenue")).to_have_text("KES 1,300.00")
    names = page.locator("table tbody tr td:first-child")
    expect(names).to_have_text(["Amina Dairy", "Baraka Maize"])
    expect(page.get_by_test_id("chart-activity-trend")).to_be_visible()
    trend = page.get_by_test_id("activity-trend-table")
    expect(trend.locator(f"tr[data-when='{LAST_MONTH:%Y-%m}'] td").last).to_have_text("1,300.00")
    expect(trend.locator(f"tr[data-when='{MONTH_BEFORE:%Y-%m}'] td").last).to_have_text("500.00")
    page.screenshot(path="/tmp/activity-customers.png", full_page=True)

    page.get_by_label("Cluster", exact=True).select_option(label="Maize growers")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("total-revenue")).to_have_text("KES 300.00")
    expect(names).to_have_text(["Baraka Maize"])

    page.get_by_label("Cluster", exact=True).select_option(label="All clusters")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("total-visits")).to_have_text("2")
    with page.expect_download() as customers_download:
        page.get_by_role("link", name="Export to CSV").click()
    rows = downloaded_rows(customers_download.value)
    assert rows[0] == ["Name", "Phone", "Visits", "Revenue", "Average basket", "First visit"]
    assert [[row[0], *row[2:5]] for row in rows[1:]] == [
        ["Amina Dairy", "1", "1000.00", "1000.00"],
        ["Baraka Maize", "1", "300.00", "300.00"],
    ]
