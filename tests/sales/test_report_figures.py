"""The report figures kept pre-aggregated (sales.figures): after every kind of change (sales,
voids, a customer changing cluster or being deleted, a cluster deleted) they equal what a
plain Python pass over the sales made here says, and `rebuild_report_figures` restores them."""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from customers.models import Cluster, Customer
from customers.services import cluster_delete, customer_delete, customer_update
from sales.figures import (
    REVENUE_BAND_FLOORS,
    figures_differences,
    revenue_band,
    stored_bands,
    stored_summaries,
)
from sales.models import CustomerSalesTotal, RevenueBand, Sale, SalesSummary
from sales.services import sale_void
from tests.factories import sell

pytestmark = pytest.mark.django_db

ZERO = Decimal("0")


def periods_of(moment) -> list[tuple[str, date]]:
    day = timezone.localtime(moment).date()
    return [("month", day.replace(day=1)), ("year", day.replace(month=1, day=1))]


def expected() -> dict:
    """Every figure straight from the sales and the customers as they are now, in Python."""
    totals = defaultdict(lambda: [0, ZERO])
    summary = defaultdict(lambda: [0, ZERO, set(), 0])
    first_visit = {}
    standing = Sale.objects.filter(voided_at__isnull=True).select_related("customer")
    clusters = {
        customer.pk: sorted(customer.clusters.values_list("pk", flat=True))
        for customer in Customer.objects.all()
    }

    def segments(customer_id):
        if customer_id is None:
            return [("walk_in", 0)]
        members = clusters[customer_id]
        return [("customers", 0)] + (
            [("cluster", pk) for pk in members] if members else [("no_cluster", 0)]
        )

    for sale in standing:
        for period, starts_on in periods_of(sale.sold_at):
            for segment, key in segments(sale.customer_id):
                row = summary[(period, starts_on, segment, key)]
                row[0] += 1
                row[1] += sale.total
                if sale.customer_id is not None:
                    row[2].add(sale.customer_id)
            if sale.customer_id is not None:
                total = totals[(sale.customer_id, period, starts_on)]
                total[0] += 1
                total[1] += sale.total
        if sale.customer_id is not None:
            first_visit[sale.customer_id] = min(
                first_visit.get(sale.customer_id, sale.sold_at), sale.sold_at
            )
    for customer_id, moment in first_visit.items():
        for period, starts_on in periods_of(moment):
            for segment, key in segments(customer_id):
                summary[(period, starts_on, segment, key)][3] += 1
    bands = defaultdict(lambda: [0, ZERO])
    for (_customer, period, starts_on), (_visits, revenue) in totals.items():
        band = bands[(period, starts_on, revenue_band(revenue))]
        band[0] += 1
        band[1] += revenue
    return {
        "totals": {key: tuple(value) for key, value in totals.items()},
        "summary": {
            key: (visits, revenue, len(active), new)
            for key, (visits, revenue, active, new) in summary.items()
        },
        "bands": {key: tuple(value) for key, value in bands.items()},
    }


def stored() -> dict:
    return {
        "totals": {
            (row.customer_id, row.period, row.starts_on): (row.visits, row.revenue)
            for row in CustomerSalesTotal.objects.all()
        },
        "summary": stored_summaries(),
        "bands": stored_bands(),
    }


def assert_figures_match_the_sales():
    assert stored() == expected()
    assert figures_differences() == []


@pytest.fixture
def shop(make_customer, cashier, manager, clusters):
    dairy, maize = clusters
    both = make_customer(name="Both Clusters", clusters=[dairy, maize])
    dairy_only = make_customer(name="Dairy Only", clusters=[dairy])
    loner = make_customer(name="No Cluster", clusters=[])
    # 21:30 UTC on 31 December is 00:30 on 1 January in Nairobi: the new year's sale.
    new_year = datetime(2025, 12, 31, 21, 30, tzinfo=UTC)
    sell(cashier=cashier, customer=both, total="100.10", payment_method="cash", sold_at=new_year)
    sell(
        cashier=cashier,
        customer=both,
        total="50",
        payment_method="mpesa",
        sold_at=new_year - timedelta(hours=1),
    )
    sell(cashier=cashier, customer=dairy_only, total="25.05", payment_method="cash")
    sell(cashier=cashier, customer=dairy_only, total="4000", payment_method="cash")
    sell(cashier=cashier, customer=loner, total="999.99", payment_method="cash")
    sell(cashier=cashier, customer=None, total="10", payment_method="cash")
    sell(cashier=cashier, customer=None, total="15.50", payment_method="cash", sold_at=new_year)
    return {"both": both, "dairy_only": dairy_only, "loner": loner, "new_year": new_year}


def test_sales_count_per_month_year_segment_and_band(shop, clusters):
    assert_figures_match_the_sales()
    dairy, _maize = clusters
    summary = stored_summaries()
    this_month = periods_of(timezone.now())[0]
    assert summary[(*this_month, "cluster", dairy.pk)][:3] == (2, Decimal("4025.05"), 1)
    # The new year's sale is January's, the sale an hour before it December's.
    totals = stored()["totals"]
    assert totals[(shop["both"].pk, "month", date(2026, 1, 1))] == (1, Decimal("100.10"))
    assert totals[(shop["both"].pk, "month", date(2025, 12, 1))] == (1, Decimal("50.00"))


def test_sales_spread_over_slots_that_the_reports_add_up(shop, cashier):
    for n in range(12):
        sell(cashier=cashier, customer=shop["loner"], total=f"{n + 1}", payment_method="cash")
    assert SalesSummary.objects.values("slot").distinct().count() > 1
    assert_figures_match_the_sales()


def test_an_earlier_sale_moves_the_first_visit_and_the_new_customer(shop, cashier):
    sell(
        cashier=cashier,
        customer=shop["dairy_only"],
        total="70",
        payment_method="cash",
        sold_at=datetime(2024, 6, 1, 9, tzinfo=UTC),
    )
    assert_figures_match_the_sales()
    assert stored_summaries()[("year", date(2024, 1, 1), "customers", 0)][3] == 1


def test_voids_take_sales_out_and_move_the_first_visit(shop, cashier, manager):
    first = Sale.objects.filter(customer=shop["both"]).order_by("sold_at").first()
    sale_void(actor=manager, sale=first, reason="Entered twice")
    only = Sale.objects.get(customer=shop["loner"])
    sale_void(actor=manager, sale=only, reason="Wrong customer")
    walk_in = Sale.objects.filter(customer=None).first()
    sale_void(actor=manager, sale=walk_in, reason="Customer changed mind")
    assert_figures_match_the_sales()
    assert not CustomerSalesTotal.objects.filter(customer=shop["loner"]).exists()


def test_changing_clusters_moves_the_customers_figures(shop, manager, clusters):
    dairy, maize = clusters
    customer_update(actor=manager, customer=shop["dairy_only"], clusters=[maize])
    customer_update(actor=manager, customer=shop["loner"], clusters=[dairy])
    customer_update(actor=manager, customer=shop["both"], clusters=[])
    assert_figures_match_the_sales()
    customer_update(actor=manager, customer=shop["both"], name="Renamed, clusters unchanged")
    assert_figures_match_the_sales()


def test_a_deleted_customers_sales_become_walk_in_sales(shop, manager):
    customer_delete(actor=manager, customer=shop["both"])
    assert_figures_match_the_sales()
    assert not CustomerSalesTotal.objects.filter(customer_id=shop["both"].pk).exists()


def test_deleting_a_cluster_leaves_its_only_members_in_no_cluster(shop, clusters):
    dairy, _maize = clusters
    cluster_delete(cluster=dairy)
    assert not Cluster.objects.filter(pk=dairy.pk).exists()
    assert_figures_match_the_sales()
    assert not SalesSummary.objects.filter(segment="cluster", cluster_key=dairy.pk).exists()


def test_bands_cover_every_amount_once():
    assert REVENUE_BAND_FLOORS[0] == 0 and sorted(set(REVENUE_BAND_FLOORS)) == REVENUE_BAND_FLOORS
    assert revenue_band(Decimal("0.01")) == 0
    assert revenue_band(Decimal("1")) == 1 and revenue_band(Decimal("1.05")) == 1
    assert revenue_band(Decimal("1.06")) == 2
    assert REVENUE_BAND_FLOORS[revenue_band(Decimal("100000"))] == Decimal("100000")
    # Each band starts at most 6 % above the last (from 1 shilling up).
    for lower, upper in zip(REVENUE_BAND_FLOORS[1:], REVENUE_BAND_FLOORS[2:], strict=False):
        assert upper <= lower * Decimal("1.07")


def test_the_rebuild_restores_tampered_figures_and_check_says_so(shop, cashier):
    before = stored()
    call_command("rebuild_report_figures", "--check")

    CustomerSalesTotal.objects.filter(customer=shop["both"]).update(visits=9)
    SalesSummary.objects.filter(segment="walk_in").delete()
    RevenueBand.objects.update(customers=0)
    with pytest.raises(CommandError, match="differ from the sales"):
        call_command("rebuild_report_figures", "--check")

    call_command("rebuild_report_figures")
    assert stored() == before == expected()
    call_command("rebuild_report_figures", "--check")
    # Sales after a rebuild add to its rows.
    sell(cashier=cashier, customer=shop["loner"], total="5", payment_method="cash")
    assert_figures_match_the_sales()
