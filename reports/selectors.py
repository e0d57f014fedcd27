"""Reads for the credit reports that build on credit.selectors: ageing for a page or a chunk of
customers, and who gets an SMS reminder."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Window,
)
from django.db.models.expressions import RowRange
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, ZERO, to_money
from credit.selectors import Ageing, ageing_by_customer, end_of_day
from customers.models import Cluster, Customer
from sales.figures import revenue_band_ceiling
from sales.models import (
    CustomerSalesTotal,
    PaymentMethod,
    RevenueBand,
    Sale,
    SalesPeriod,
    SalesSegment,
    SalesSummary,
)

# Customers fetched per query when their ids come from the ageing (PostgreSQL's server-side
# binding takes at most 65,535 parameters per query).
IDS_PER_QUERY = 2000


def attach_ageing(customers: Sequence[Customer], as_of: date) -> None:
    """Give each customer its `ageing` as of `as_of` (zeros if nothing is owed): one query for
    them all, so a page or an export chunk costs one pass over their ledger, not one per row."""
    if not customers:
        return
    ageing = ageing_by_customer(
        as_of, customers=Customer.objects.filter(pk__in=[customer.pk for customer in customers])
    )
    for customer in customers:
        customer.ageing = ageing.get(customer.pk) or Ageing(customer_id=customer.pk)


class AgeingForExport:
    """`prepare_chunk` for a streamed export (core.export): the ageing of every customer in
    `customers` (None: everyone), computed in one pass over their ledger when the first chunk is
    written, then attached to each chunk's customers as `ageing`.

    One pass rather than one query per chunk, measured on PostgreSQL at 100,000 owing customers
    and 1.6M ledger rows: 2.8 s against 16 s in 2,000-customer chunks (a chunk's query still
    reads the whole ledger, for the voided sales). It holds about 70 MB per 100,000 customers.
    """

    def __init__(self, as_of: date, customers: QuerySet[Customer] | None):
        self.as_of = as_of
        self.customers = customers
        self.ageing: dict[int, Ageing] | None = None

    def __call__(self, chunk: Sequence[Customer]) -> None:
        if self.ageing is None:
            self.ageing = ageing_by_customer(self.as_of, customers=self.customers)
        for customer in chunk:
            customer.ageing = self.ageing.get(customer.pk) or Ageing(customer_id=customer.pk)


def sms_reminder_customers(as_of: date) -> list[Customer]:
    """Send-SMS customers with something overdue as of `as_of`, the longest overdue first.

    Each carries `ageing` and `as_of` (for days overdue). Only what the SMS file needs is read.
    """
    ageing = ageing_by_customer(as_of, customers=Customer.objects.filter(send_sms=True))
    overdue_ids = [pk for pk, row in ageing.items() if row.overdue > 0]
    customers = []
    for start in range(0, len(overdue_ids), IDS_PER_QUERY):
        chunk: QuerySet[Customer] = Customer.objects.filter(
            pk__in=overdue_ids[start : start + IDS_PER_QUERY]
        ).only("pk", "name", "phone")
        for customer in chunk:
            customer.ageing = ageing[customer.pk]
            customer.as_of = as_of
            customers.append(customer)
    customers.sort(key=lambda c: (-c.ageing.days_overdue(as_of), c.name, c.pk))
    return customers


# --- The dashboard -------------------------------------------------------------------------------
# Four figures for the back office's home page, each bounded (PERFORMANCE: under 300 ms at 1M
# customers and 10M sales): today's sales read a range of the sold_at index, customers added this
# week a range of the created_at index, the top clusters this month's summary rows
# (sales.figures); credit outstanding is the sum of the stored balances.

TOP_CLUSTERS = 5


def start_of_day(day: date):
    """Midnight starting `day` in the shop's time zone (Africa/Nairobi)."""
    return end_of_day(day - timedelta(days=1))


def dashboard_figures(today: date) -> dict:
    """Today's sales, credit outstanding, customers added this week and the top clusters by
    revenue this month; voided sales count nowhere. Money is Decimal."""
    standing = Sale.objects.filter(voided_at__isnull=True)
    sales_today = standing.filter(
        sold_at__gte=start_of_day(today), sold_at__lt=end_of_day(today)
    ).aggregate(
        count=Count("pk"),
        revenue=Sum("total"),
        on_credit=Count("pk", filter=Q(payment_method=PaymentMethod.CREDIT)),
    )
    credit = Customer.objects.aggregate(
        outstanding=Sum("credit_balance"), owing=Count("pk", filter=Q(credit_balance__gt=0))
    )
    week_start = today - timedelta(days=today.weekday())  # Monday
    added_this_week = Customer.objects.filter(created_at__gte=start_of_day(week_start)).count()
    this_month = ReportPeriod.of_month(today.year, today.month)
    top_clusters = sorted(
        (row for row in activity_by_cluster(this_month)["clusters"] if row["key"] != "none"),
        key=lambda row: (-row["revenue"], row["label"]),
    )
    top_clusters = [
        {
            "pk": row["key"],
            "name": row["label"],
            "revenue": row["revenue"],
            "customers": row["active"],
        }
        for row in top_clusters[:TOP_CLUSTERS]
        if row["revenue"] > 0
    ]
    return {
        "today": today,
        "sales_count": sales_today["count"],
        "sales_revenue": to_money(sales_today["revenue"] or ZERO),
        "sales_on_credit": sales_today["on_credit"],
        "credit_outstanding": to_money(credit["outstanding"] or ZERO),
        "customers_owing": credit["owing"],
        "week_start": week_start,
        "customers_added_this_week": added_this_week,
        "this_month": this_month,
        "top_clusters": top_clusters,
    }


# --- VIP ---
# Customers ranked by revenue over a calendar year or month. The ranking reads the
# pre-aggregated CustomerSalesTotal (one row per customer and period, kept with each sale and
# void), through an index in rank order: the summary, the curve and a page are each one range of
# that index, whatever the number of sales (PERFORMANCE: under 300 ms at 1M customers and 10M
# sales). Ties are ranked by who became a customer first (the lower id).

VIP_TOP_SHARE = 20  # per cent of the buying customers that "the top" means
VIP_CHART_POINTS = 50
PERCENT_PLACES = Decimal("0.01")
RANK_ORDER = (F("revenue").desc(), F("customer_id").asc())


@dataclass(frozen=True)
class ReportPeriod:
    """A calendar year or month, in the shop's time zone."""

    kind: str  # sales.models.SalesPeriod
    starts_on: date

    @property
    def ends_on(self) -> date:
        """Its last day."""
        if self.kind == SalesPeriod.YEAR:
            return self.starts_on.replace(month=12, day=31)
        next_month = (self.starts_on + timedelta(days=31)).replace(day=1)
        return next_month - timedelta(days=1)

    @property
    def value(self) -> str:
        """How a URL names it: "2026" or "2026-11"."""
        if self.kind == SalesPeriod.YEAR:
            return f"{self.starts_on:%Y}"
        return f"{self.starts_on:%Y-%m}"

    @classmethod
    def of_year(cls, year: int) -> "ReportPeriod":
        return cls(SalesPeriod.YEAR, date(year, 1, 1))

    @classmethod
    def of_month(cls, year: int, month: int) -> "ReportPeriod":
        return cls(SalesPeriod.MONTH, date(year, month, 1))


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    if not whole:
        return ZERO
    return (part * 100 / whole).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)


def vip_top_count(buyers: int) -> int:
    """ceil(20 % of `buyers`): the customers that make up "the top 20 %"."""
    return -(-buyers * VIP_TOP_SHARE // 100)


def summary_rows(period: ReportPeriod) -> QuerySet[SalesSummary]:
    """The SalesSummary rows of a period (every slot: add them up)."""
    return SalesSummary.objects.filter(period=period.kind, starts_on=period.starts_on)


def first_sale_day() -> date | None:
    """The shop day of the first sale ever recorded (the sold_at index's first entry)."""
    first = Sale.objects.order_by("sold_at").values_list("sold_at", flat=True).first()
    return timezone.localdate(first) if first else None


def period_customer_totals(period: ReportPeriod) -> QuerySet[CustomerSalesTotal]:
    """One row per customer who bought in the period (VIP ranking, activity by customer)."""
    return CustomerSalesTotal.objects.filter(period=period.kind, starts_on=period.starts_on)


def _revenue_at_ranks(period: ReportPeriod, ranks: list[int]) -> dict[int, Decimal]:
    """{rank: revenue of the customers ranked 1 to rank}: one window pass down the ranking
    index, for a period with few customers."""
    if not ranks:
        return {}
    ranked = (
        period_customer_totals(period)
        .annotate(
            rank=Window(RowNumber(), order_by=RANK_ORDER),
            running=Window(Sum("revenue"), order_by=RANK_ORDER, frame=RowRange(None, 0)),
        )
        .filter(rank__in=ranks)
        .values_list("rank", "running")
    )
    return {rank: to_money(running) for rank, running in ranked}


class RevenueBands:
    """A period's customers counted by how much they spent (sales.models.RevenueBand), best
    band first: how much the best n customers brought, read from the bands above the n-th
    customer plus one bounded range of the ranking index inside the n-th's band."""

    def __init__(self, period: ReportPeriod):
        self.period = period
        rows = (
            RevenueBand.objects.filter(period=period.kind, starts_on=period.starts_on)
            .values_list("band")
            .annotate(Sum("customers"), Sum("revenue"))
            .order_by("-band")
        )
        self.bands = [(band, count, to_money(revenue)) for band, count, revenue in rows if count]
        self.customers = sum(count for _band, count, _revenue in self.bands)
        self.revenue = sum((revenue for _band, _count, revenue in self.bands), ZERO)

    def boundaries(self) -> list[tuple[int, Decimal]]:
        """(rank, revenue of ranks 1..rank) at the last customer of each band."""
        points, rank, running = [], 0, ZERO
        for _band, count, revenue in self.bands:
            rank += count
            running += revenue
            points.append((rank, running))
        return points

    def ranked_from(self, rank: int) -> tuple[QuerySet[CustomerSalesTotal], int, Decimal]:
        """Where the customer ranked `rank` + 1 is found without counting past everyone above:
        (the period's totals from that customer's band down, in rank order; how many of them
        to skip; the revenue of the bands above)."""
        above, running = 0, ZERO
        ranked = period_customer_totals(self.period)
        for band, count, revenue in self.bands:
            if rank < above + count:
                ceiling = revenue_band_ceiling(band)
                if ceiling is not None:
                    ranked = ranked.filter(revenue__lt=ceiling)
                break
            above += count
            running += revenue
        return ranked.order_by(*RANK_ORDER), rank - above, running

    def revenue_of_best(self, count: int) -> Decimal:
        """What the `count` best customers of the period brought: the bands above theirs, and
        a sum over at most one band of the ranking index."""
        if count >= self.customers:
            return self.revenue
        ranked, skip, running = self.ranked_from(count)
        if skip:
            best = ranked[:skip].aggregate(revenue=Sum("revenue"))["revenue"]
            running += to_money(best or ZERO)
        return running


def _chart_points(boundaries: list[tuple[int, Decimal]], customers: int) -> dict[int, Decimal]:
    """About 50 of the band boundaries, the nearest to every 2 % of the customers, and the
    last: a curve of exact points that a chart can draw and a table can list."""
    points = {}
    for step in range(1, VIP_CHART_POINTS + 1):
        target = customers * step / VIP_CHART_POINTS
        rank, running = min(boundaries, key=lambda point: abs(point[0] - target))
        points[rank] = running
    points[customers] = boundaries[-1][1]
    return points


def vip_summary(period: ReportPeriod) -> dict:
    """The period's customers, their revenue and visits, the walk-in sales beside them, the
    share the top 20 % brought, and the Pareto curve: {"ranks": [...], "shares": [...]},
    cumulative share of revenue (per cent, to 0.01) at each rank drawn: every customer's when
    there are at most 50, else about 50 band boundaries and the last of the top 20 %.
    Five queries at most, whatever the number of sales."""
    bands = RevenueBands(period)
    customers, total = bands.customers, bands.revenue
    segments = {
        segment: (visits or 0, to_money(revenue or ZERO))
        for segment, visits, revenue in summary_rows(period)
        .filter(segment__in=[SalesSegment.CUSTOMERS, SalesSegment.WALK_IN])
        .values_list("segment")
        .annotate(Sum("visits"), Sum("revenue"))
        .order_by()
    }
    visits, _revenue = segments.get(SalesSegment.CUSTOMERS, (0, ZERO))
    walk_in_sales, walk_in_revenue = segments.get(SalesSegment.WALK_IN, (0, ZERO))
    top_count = vip_top_count(customers)
    if customers <= VIP_CHART_POINTS:
        running = _revenue_at_ranks(period, list(range(1, customers + 1)))
    else:
        running = _chart_points(bands.boundaries(), customers)
        running[top_count] = bands.revenue_of_best(top_count)
    ranks = sorted(running)
    return {
        "period": period,
        "start": period.starts_on,
        "end": period.ends_on,
        "customers": customers,
        "revenue": total,
        "visits": visits,
        "walk_in_revenue": walk_in_revenue,
        "walk_in_sales": walk_in_sales,
        "walk_in_share": _percent(walk_in_revenue, total + walk_in_revenue),
        "top_percent": VIP_TOP_SHARE,
        "top_count": top_count,
        "top_share": _percent(running[top_count], total) if customers else ZERO,
        "curve": {"ranks": ranks, "shares": [_percent(running[rank], total) for rank in ranks]},
        "bands": bands,
    }


def _vip_row(rank: int, row: dict, running: Decimal, total: Decimal) -> dict:
    revenue = to_money(row["revenue"])
    phone = row["customer__phone"]
    return {
        "rank": rank,
        "pk": row["customer_id"],
        "name": row["customer__name"],
        "phone": str(phone) if phone else "",
        "visits": row["visits"],
        "revenue": revenue,
        "share": _percent(revenue, total),
        "cumulative_share": _percent(running, total),
    }


VIP_ROW_FIELDS = ("customer_id", "customer__name", "customer__phone", "visits", "revenue")


class VipRanking(Sequence):
    """The period's ranked customers as a sequence for Django's Paginator: its length is the
    summary's count, and a slice reads only its own rows (and the revenue ranked above them,
    for the cumulative share) from the ranking index."""

    def __init__(self, summary: dict):
        self.period = summary["period"]
        self.customers = summary["customers"]
        self.total = summary["revenue"]
        self.bands = summary["bands"]

    def __len__(self) -> int:
        return self.customers

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("VipRanking is read a page (a slice) at a time")
        start, stop, _step = index.indices(self.customers)
        if start >= stop:
            return []
        # The page's rows from the band the first of them is in (skipping at most that
        # band), their customers in a second query: never a join over everyone ranked above.
        ranked, skip, running = self.bands.ranked_from(start)
        if skip:
            running += to_money(ranked[:skip].aggregate(revenue=Sum("revenue"))["revenue"])
        totals = list(ranked.values("customer_id", "visits", "revenue")[skip : skip + stop - start])
        people = Customer.objects.only("name", "phone").in_bulk(
            [row["customer_id"] for row in totals]
        )
        rows = []
        for rank, row in enumerate(totals, start=start + 1):
            running += row["revenue"]
            person = people[row["customer_id"]]
            row.update(customer__name=person.name, customer__phone=person.phone)
            rows.append(_vip_row(rank, row, running, self.total))
        return rows

    def __iter__(self):
        """Every row in rank order, read in chunks: what the CSV export streams."""
        running = ZERO
        ranked = period_customer_totals(self.period).order_by(*RANK_ORDER).values(*VIP_ROW_FIELDS)
        for rank, row in enumerate(ranked.iterator(chunk_size=2000), start=1):
            running += row["revenue"]
            yield _vip_row(rank, row, running, self.total)


# --- activity ---
# Activity by customer and by cluster over a calendar month or year (reports.views.ActivityBy*).
# A visit is a standing (not voided) sale with a customer; revenue the sum of their totals;
# average basket revenue / visits. Every figure comes from the report figures kept with the
# sales (sales.figures): the summary rows of the period and the customers' period totals.

ACTIVITY_TREND_MONTHS = 12


def average_basket(revenue, visits) -> Decimal:
    return to_money(revenue / visits) if visits else ZERO


def _activity_row(key, label: str, figures: dict | None) -> dict:
    figures = figures or {}
    revenue = figures.get("revenue") or ZERO
    visits = figures.get("visits") or 0
    return {
        "key": key,
        "label": label,
        "visits": visits,
        "revenue": to_money(revenue),
        "active": figures.get("active") or 0,
        "new": figures.get("new") or 0,
        "average_basket": average_basket(revenue, visits),
    }


def _summary_figures(rows: QuerySet[SalesSummary]) -> dict[tuple[str, int], dict]:
    """{(segment, cluster key): {visits, revenue, active, new}}, the slots added up."""
    return {
        (segment, cluster_key): {
            "visits": visits,
            "revenue": revenue,
            "active": active,
            "new": new,
        }
        for segment, cluster_key, visits, revenue, active, new in rows.values_list(
            "segment", "cluster_key"
        )
        .annotate(Sum("visits"), Sum("revenue"), Sum("customers"), Sum("new_customers"))
        .order_by()
    }


def activity_by_cluster(period: ReportPeriod) -> dict:
    """One row per cluster (a customer in two clusters counts in both; each customer in the
    clusters they are in now), a "No cluster" row when customers without one visited, the
    walk-in sales and a total that counts each sale and each customer once. Two queries."""
    figures = _summary_figures(summary_rows(period))
    clusters = [
        _activity_row(pk, name, figures.get((SalesSegment.CLUSTER, pk)))
        for pk, name in Cluster.objects.order_by("name", "pk").values_list("pk", "name")
    ]
    no_cluster = _activity_row("none", _("No cluster"), figures.get((SalesSegment.NO_CLUSTER, 0)))
    if no_cluster["visits"] or no_cluster["new"]:
        clusters.append(no_cluster)
    walk_in = _activity_row("walk_in", _("Walk-in sales"), figures.get((SalesSegment.WALK_IN, 0)))
    walk_in["new"] = walk_in["active"] = 0
    customers = _activity_row("total", _("Total"), figures.get((SalesSegment.CUSTOMERS, 0)))
    total = {
        **customers,
        "visits": customers["visits"] + walk_in["visits"],
        "revenue": customers["revenue"] + walk_in["revenue"],
        "average_basket": average_basket(
            customers["revenue"] + walk_in["revenue"], customers["visits"] + walk_in["visits"]
        ),
    }
    return {
        "period": period,
        "start": period.starts_on,
        "end": period.ends_on,
        "clusters": clusters,
        "walk_in": walk_in,
        "total": total,
    }


def _segment(cluster: Cluster | None) -> dict:
    if cluster is None:
        return {"segment": SalesSegment.CUSTOMERS, "cluster_key": 0}
    return {"segment": SalesSegment.CLUSTER, "cluster_key": cluster.pk}


def activity_totals(period: ReportPeriod, cluster: Cluster | None = None) -> dict:
    """Visits, revenue, active and new customers and average basket of the period's customer
    sales (walk-ins left out), or of one cluster's customers: one query."""
    figures = _summary_figures(summary_rows(period).filter(**_segment(cluster)))
    return _activity_row("total", _("Total"), next(iter(figures.values()), None))


def customer_activity(period: ReportPeriod, cluster: Cluster | None = None):
    """The customers with a visit in the period (one CustomerSalesTotal row each, with its
    customer), optionally only a cluster's, best revenue first. `average_basket` annotated."""
    rows = period_customer_totals(period).select_related("customer")
    if cluster is not None:
        rows = rows.filter(
            Exists(
                Customer.clusters.through.objects.filter(
                    customer_id=OuterRef("customer_id"), cluster=cluster
                )
            )
        )
    return rows.annotate(
        average_basket=ExpressionWrapper(
            F("revenue") / F("visits"),
            output_field=DecimalField(
                max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES
            ),
        )
    ).order_by(*RANK_ORDER)


def revenue_by_month(period: ReportPeriod, cluster: Cluster | None = None) -> list[dict]:
    """Customers' visits and revenue in each month of a year, or in the 12 months up to and
    including a month, every month listed (empty ones as zeros): one query."""
    last = period.ends_on.replace(day=1)
    months = []
    month = last
    for _step in range(ACTIVITY_TREND_MONTHS):
        months.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    months.reverse()
    totals = {
        starts_on: (visits, revenue)
        for starts_on, visits, revenue in SalesSummary.objects.filter(
            period=SalesPeriod.MONTH, starts_on__in=months, **_segment(cluster)
        )
        .values_list("starts_on")
        .annotate(Sum("visits"), Sum("revenue"))
        .order_by()
    }
    return [
        {
            "when": month,
            "visits": totals.get(month, (0, ZERO))[0] or 0,
            "revenue": to_money(totals.get(month, (0, ZERO))[1] or ZERO),
        }
        for month in months
    ]
