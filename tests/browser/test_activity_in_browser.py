"""The activity reports in a real browser, as a manager: change the period and the cluster, see
the figures change, download the CSV exports."""

import csv
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import sell

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def days_ago(days: int):
    return timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(
        days=days
    )


def downloaded_rows(download) -> list[list[str]]:
    with open(download.path(), newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def test_manager_reads_activity_by_cluster_and_by_customer(
    page, live_server, log_in, manager, cashier, make_customer, clusters
):
    dairy, maize = clusters
    amina = make_customer(name="Amina Dairy", clusters=[dairy])
    baraka = make_customer(name="Baraka Maize", clusters=[maize])
    for customer, total, days in [(amina, "1000", 5), (amina, "500", 60), (baraka, "300", 2)]:
        sell(
            cashier=cashier,
            customer=customer,
            total=total,
            payment_method="cash",
            sold_at=days_ago(days),
        )
    sell(cashier=cashier, total="250", payment_method="cash", sold_at=days_ago(3))

    log_in(manager)
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Activity by Cluster").click()
    expect(page.get_by_role("heading", name="Activity by Cluster")).to_be_visible()
    table = page.get_by_test_id("activity-clusters-table")
    dairy_revenue = table.locator(f"tr[data-row='{dairy.pk}'] td[data-col='revenue']")
    total_visits = table.locator("tr[data-row='total'] td[data-col='visits']")
    expect(dairy_revenue).to_have_text("1,000.00")
    expect(table.locator("tr[data-row='walk_in'] td[data-col='revenue']")).to_have_text("250.00")
    expect(total_visits).to_have_text("3")
    expect(page.get_by_test_id("chart-activity-clusters")).to_be_visible()

    # A longer period takes in Amina's older sale.
    page.get_by_label("From").fill((timezone.localdate() - timedelta(days=90)).isoformat())
    page.get_by_role("button", name="Show").click()
    expect(dairy_revenue).to_have_text("1,500.00")
    expect(total_visits).to_have_text("4")
    with page.expect_download() as clusters_download:
        page.get_by_role("link", name="Export to CSV").click()
    rows = downloaded_rows(clusters_download.value)
    assert rows[0][:3] == ["Cluster", "Visits", "Revenue"]
    assert rows[1:] == [
        ["Dairy farmers", "2", "1500.00", "1", "1", "750.00"],
        ["Maize growers", "1", "300.00", "1", "1", "300.00"],
        ["Walk-in sales", "1", "250.00", "0", "0", "250.00"],
        ["Total", "4", "2050.00", "2", "2", "512.50"],
    ]

    # A reversed period: a message, no figures.
    page.get_by_label("To").fill((timezone.localdate() - timedelta(days=100)).isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("period-error")).to_contain_text("before the “from” date")
    expect(table).to_have_count(0)

    page.get_by_role("link", name="Last 30 days").click()
    expect(total_visits).to_have_text("3")
    page.get_by_role("link", name="Activity by customer").click()
    expect(page.get_by_role("heading", name="Activity by Customer")).to_be_visible()
    expect(page.get_by_test_id("total-active")).to_have_text("2")
    expect(page.get_by_test_id("total-revenue")).to_have_text("KES 1,300.00")
    names = page.locator("table tbody tr td:first-child")
    expect(names).to_have_text(["Amina Dairy", "Baraka Maize"])
    expect(page.get_by_test_id("chart-activity-over-time")).to_be_visible()

    page.get_by_label("Cluster", exact=True).select_option(label="Maize growers")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("total-revenue")).to_have_text("KES 300.00")
    expect(names).to_have_text(["Baraka Maize"])

    page.get_by_label("Cluster", exact=True).select_option(label="All clusters")
    page.get_by_label("From").fill((timezone.localdate() - timedelta(days=90)).isoformat())
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("total-revenue")).to_have_text("KES 1,800.00")
    expect(page.get_by_test_id("total-visits")).to_have_text("3")
    with page.expect_download() as customers_download:
        page.get_by_role("link", name="Export to CSV").click()
    rows = downloaded_rows(customers_download.value)
    assert rows[0] == ["Name", "Visits", "Revenue", "Average basket", "First visit"]
    assert [row[:4] for row in rows[1:]] == [
        ["Amina Dairy", "2", "1500.00", "750.00"],
        ["Baraka Maize", "1", "300.00", "300.00"],
    ]
