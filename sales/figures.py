"""The report figures kept pre-aggregated beside the sales, so that a report over a month or a
year reads a few rows whatever the number of sales:

- CustomerSalesTotal: each customer's visits and revenue per calendar month and year (the VIP
  ranking, the activity-by-customer table);
- SalesSummary: visits, revenue, active and new customers per month and year, for all
  customers, each cluster, customers in no cluster, and walk-ins (activity, the dashboard);
- RevenueBand: how many customers spent how much per month and year (the VIP curve).

They are written here, by the services, in the same transaction as what changes them: a sale
(sales.services.sale_complete), a void (sale_void), a customer's clusters changing or the
customer being deleted (customers.services). `rebuild_report_figures` rewrites them all from
the sales and the customers, and its --check proves the two ways agree.

Each write is an additive insert ("add these amounts, creating the row if need be"), one
statement per table, its rows in a fixed order so two transactions never wait on each other
in a circle. Periods are calendar months and years in the shop's time zone.
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth, TruncYear
from django.utils import timezone

from core.money import ZERO, to_money
from customers.models import Customer
from sales.models import (
    SUMMARY_SLOTS,
    CustomerSalesTotal,
    RevenueBand,
    Sale,
    SalesPeriod,
    SalesSegment,
    SalesSummary,
)

CLUSTER_MEMBERS = Customer.clusters.through
# Where a correction that belongs to no sale is written (a customer changing cluster or leaving).
CORRECTION_SLOT = 0
PERIOD_TRUNCATIONS = ((SalesPeriod.MONTH, TruncMonth), (SalesPeriod.YEAR, TruncYear))


REVENUE_BANDS_PER_DECADE = 40


def _revenue_band_floors() -> list[Decimal]:
    """0, then 40 steps a decade (each about 6 % above the last: 1.00, 1.06, 1.12, 1.19, ...)
    from 1 shilling to over 9 billion. Narrow enough that a band holds a few percent of a
    period's customers, so reading inside one band (the VIP report's top 20 %, a deep page)
    stays short even at a million customers."""
    return [ZERO] + [
        Decimal(f"{10 ** (step / REVENUE_BANDS_PER_DECADE):.2f}")
        for step in range(REVENUE_BANDS_PER_DECADE * 10)
    ]


REVENUE_BAND_FLOORS = _revenue_band_floors()


def revenue_band(revenue: Decimal) -> int:
    """The band a customer's revenue for a period falls in."""
    return bisect_right(REVENUE_BAND_FLOORS, revenue) - 1


def revenue_band_ceiling(band: int) -> Decimal | None:
    """Where the band stops (not included); None for the last."""
    return REVENUE_BAND_FLOORS[band + 1] if band + 1 < len(REVENUE_BAND_FLOORS) else None


def sales_period_starts(moment: datetime) -> dict[str, date]:
    """The first day of the calendar month and of the year a moment falls in, in the shop's
    time zone: the periods a sale at that moment counts in."""
    day = timezone.localtime(moment).date()
    return {
        SalesPeriod.MONTH: day.replace(day=1),
        SalesPeriod.YEAR: day.replace(month=1, day=1),
    }


def summary_slot(sale: Sale) -> int:
    return sale.pk % SUMMARY_SLOTS


# --- writing ---------------------------------------------------------------------------------


def _add(model, keys: tuple[str, ...], amounts: tuple[str, ...], rows: dict, *, returning=()):
    """Add `rows` ({key tuple: amount tuple}) to `model`'s table in one statement, creating the
    rows that do not exist yet. Rows go in key order (lock order). Returns `returning`'s columns
    of every row written, after the addition."""
    if not rows:
        return []
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [*keys, *amounts]
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES {', '.join([placeholders] * len(rows))} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
        + ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in amounts)
    )
    if returning:
        sql += f" RETURNING {', '.join(returning)}"
    params = [value for key in sorted(rows) for value in (*key, *rows[key])]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if returning else []


def _segments(cluster_ids: Iterable[int]) -> list[tuple[str, int]]:
    """The SalesSummary segments a customer in these clusters counts in."""
    cluster_ids = sorted(set(cluster_ids))
    if not cluster_ids:
        return [(SalesSegment.CUSTOMERS, 0), (SalesSegment.NO_CLUSTER, 0)]
    return [(SalesSegment.CUSTOMERS, 0)] + [(SalesSegment.CLUSTER, pk) for pk in cluster_ids]


class _Changes:
    """The amounts one write adds, gathered per row so each row is written once."""

    def __init__(self, slot: int, customer_id: int | None = None):
        self.slot = slot
        self.summary = defaultdict(lambda: [0, ZERO, 0, 0])
        self.bands = defaultdict(lambda: [0, ZERO])
        # Amounts for every segment the customer is in now, expanded by the database as they
        # are written (their clusters are read in the same statement).
        self.customer_id = customer_id
        self.their_segments = defaultdict(lambda: [0, ZERO, 0, 0])

    def add_to_theirs(self, period, starts_on, *, visits=0, revenue=ZERO, active=0, new=0):
        row = self.their_segments[(period, starts_on)]
        row[0] += visits
        row[1] += revenue
        row[2] += active
        row[3] += new

    def add_summary(self, period, starts_on, segments, *, visits=0, revenue=ZERO, active=0, new=0):
        for segment, cluster_key in segments:
            row = self.summary[(period, starts_on, segment, cluster_key, self.slot)]
            row[0] += visits
            row[1] += revenue
            row[2] += active
            row[3] += new

    def move_band(self, period, starts_on, before: Decimal, after: Decimal):
        """A customer's revenue for the period went from `before` to `after` (0: none)."""
        if before > 0:
            row = self.bands[(period, starts_on, revenue_band(before), self.slot)]
            row[0] -= 1
            row[1] -= before
        if after > 0:
            row = self.bands[(period, starts_on, revenue_band(after), self.slot)]
            row[0] += 1
            row[1] += after

    def add_first_visit(self, moment: datetime | None, segments, count: int):
        if moment is not None:
            for period, starts_on in sales_period_starts(moment).items():
                if segments is THEIRS:
                    self.add_to_theirs(period, starts_on, new=count)
                else:
                    self.add_summary(period, starts_on, segments, new=count)

    def write(self):
        _add_to_their_segments(
            self.customer_id,
            self.slot,
            {key: tuple(value) for key, value in self.their_segments.items() if any(value)},
        )
        _add(
            SalesSummary,
            ("period", "starts_on", "segment", "cluster_key", "slot"),
            ("visits", "revenue", "customers", "new_customers"),
            {key: tuple(value) for key, value in self.summary.items() if any(value)},
        )
        _add(
            RevenueBand,
            ("period", "starts_on", "band", "slot"),
            ("customers", "revenue"),
            {key: tuple(value) for key, value in self.bands.items() if any(value)},
        )


THEIRS = object()  # "every segment the customer is in now", for _Changes.add_first_visit


def _add_to_their_segments(customer_id: int | None, slot: int, rows: dict) -> None:
    """Add `rows` ({(period, first day): (visits, revenue, active, new)}) to every SalesSummary
    segment the customer is in now (all customers, each of their clusters or no cluster), in
    one statement that reads their clusters itself: a sale at the till pays one round trip."""
    if not rows:
        return
    table = connection.ops.quote_name(SalesSummary._meta.db_table)
    members = connection.ops.quote_name(CLUSTER_MEMBERS._meta.db_table)
    amounts = ("visits", "revenue", "customers", "new_customers")
    periods = " UNION ALL ".join(
        [
            "SELECT CAST(%s AS varchar(5)) AS period, %s AS starts_on, "
            + ", ".join(f"%s AS {name}" for name in amounts)
        ]
        * len(rows)
    )
    sql = f"""
        INSERT INTO {table}
            (period, starts_on, segment, cluster_key, slot, {", ".join(amounts)})
        SELECT p.period, p.starts_on, s.segment, s.cluster_key, %s,
               {", ".join(f"p.{name}" for name in amounts)}
        FROM ({periods}) AS p,
             (SELECT CAST('{SalesSegment.CUSTOMERS}' AS varchar(10)) AS segment, 0 AS cluster_key
              UNION ALL
              SELECT '{SalesSegment.CLUSTER}', cluster_id FROM {members} WHERE customer_id = %s
              UNION ALL
              SELECT '{SalesSegment.NO_CLUSTER}', 0
              WHERE NOT EXISTS (SELECT 1 FROM {members} WHERE customer_id = %s)) AS s
        WHERE true
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (period, starts_on, segment, cluster_key, slot) DO UPDATE SET
        {", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in amounts)}
    """
    params = [slot]
    for (period, starts_on), values in sorted(rows.items()):
        params.extend((period, starts_on, *values))
    params.extend((customer_id, customer_id))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _cluster_ids(customer_id: int) -> list[int]:
    return list(
        CLUSTER_MEMBERS.objects.filter(customer_id=customer_id).values_list("cluster_id", flat=True)
    )


def _walk_in_sale(sale: Sale, sign: int) -> None:
    """A sale with no customer counts only in the walk-in segment of its month and year."""
    changes = _Changes(summary_slot(sale))
    for period, starts_on in sales_period_starts(sale.sold_at).items():
        changes.add_summary(
            period, starts_on, [(SalesSegment.WALK_IN, 0)], visits=sign, revenue=sign * sale.total
        )
    changes.write()


def figures_count_sale(sale: Sale, *, first_visit_before: datetime | None) -> None:
    """Count a new standing sale. For a customer's sale, called under the customer's row lock
    after their visit figures were updated; `first_visit_before` is their first visit as it
    was before this sale."""
    if sale.customer_id is None:
        _walk_in_sale(sale, 1)
        return
    changes = _Changes(summary_slot(sale), sale.customer_id)
    starts = sales_period_starts(sale.sold_at)
    totals = _add(
        CustomerSalesTotal,
        ("customer_id", "period", "starts_on"),
        ("visits", "revenue"),
        {
            (sale.customer_id, period, starts_on): (1, sale.total)
            for period, starts_on in starts.items()
        },
        returning=("period", "visits", "revenue"),
    )
    for period, visits, revenue in totals:
        revenue = to_money(str(revenue))  # SQLite hands a raw cursor a float
        changes.add_to_theirs(
            period, starts[period], visits=1, revenue=sale.total, active=1 if visits == 1 else 0
        )
        changes.move_band(period, starts[period], revenue - sale.total, revenue)
    if first_visit_before is None or sale.sold_at < first_visit_before:
        changes.add_first_visit(first_visit_before, THEIRS, -1)
        changes.add_first_visit(sale.sold_at, THEIRS, 1)
    changes.write()


def figures_uncount_sale(
    sale: Sale, *, first_visit_before: datetime | None, first_visit_after: datetime | None
) -> None:
    """Take a voided sale out. For a customer's sale, called under the customer's row lock
    with their first visit before and after the void."""
    if sale.customer_id is None:
        _walk_in_sale(sale, -1)
        return
    changes = _Changes(summary_slot(sale), sale.customer_id)
    starts = sales_period_starts(sale.sold_at)
    rows = CustomerSalesTotal.objects.filter(customer_id=sale.customer_id).filter(
        Q(
            *[Q(period=period, starts_on=starts_on) for period, starts_on in starts.items()],
            _connector=Q.OR,
        )
    )
    for total in rows:
        changes.add_to_theirs(
            total.period,
            total.starts_on,
            visits=-1,
            revenue=-sale.total,
            active=-1 if total.visits == 1 else 0,  # their only sale of the period
        )
        changes.move_band(total.period, total.starts_on, total.revenue, total.revenue - sale.total)
    rows.filter(visits=1).delete()
    rows.update(visits=F("visits") - 1, revenue=F("revenue") - sale.total)
    if first_visit_before != first_visit_after:
        changes.add_first_visit(first_visit_before, THEIRS, -1)
        changes.add_first_visit(first_visit_after, THEIRS, 1)
    changes.write()


def _customer_figures(
    customer_id: int, segments, changes: _Changes, sign: int
) -> list[CustomerSalesTotal]:
    """Add (sign 1) or take away (-1) all of a customer's figures to `segments`; returns the
    customer's period totals it read."""
    totals = list(CustomerSalesTotal.objects.filter(customer_id=customer_id))
    for total in totals:
        changes.add_summary(
            total.period,
            total.starts_on,
            segments,
            visits=sign * total.visits,
            revenue=sign * total.revenue,
            active=sign,
        )
    return totals


def figures_move_customer(customer: Customer, old_cluster_ids, new_cluster_ids) -> None:
    """A customer's clusters changed: their figures leave the old clusters' segments and join
    the new ones'. Called under the customer's row lock."""
    old, new = _segments(old_cluster_ids), _segments(new_cluster_ids)
    if old == new:
        return
    changes = _Changes(CORRECTION_SLOT)
    leaving = [segment for segment in old if segment not in new]
    joining = [segment for segment in new if segment not in old]
    _customer_figures(customer.pk, leaving, changes, -1)
    _customer_figures(customer.pk, joining, changes, 1)
    changes.add_first_visit(customer.first_visit_at, leaving, -1)
    changes.add_first_visit(customer.first_visit_at, joining, 1)
    changes.write()


def figures_move_first_visits(moves: Iterable[tuple[list[int], datetime | None, datetime | None]]):
    """Many customers' first visits moved without a sale (an import, a batch at a time): each
    move is (the customer's cluster ids now, first visit before, after); one write for all.
    Called under the customers' row locks."""
    changes = _Changes(CORRECTION_SLOT)
    for cluster_ids, before, after in moves:
        if before != after:
            segments = _segments(cluster_ids)
            changes.add_first_visit(before, segments, -1)
            changes.add_first_visit(after, segments, 1)
    changes.write()


def figures_forget_customer(customer: Customer) -> None:
    """A customer is being deleted: their sales become walk-in sales, and they leave the VIP
    bands. Called under the customer's row lock, before the delete (which removes their
    CustomerSalesTotal rows)."""
    changes = _Changes(CORRECTION_SLOT)
    segments = _segments(_cluster_ids(customer.pk))
    totals = _customer_figures(customer.pk, segments, changes, -1)
    for total in totals:
        changes.add_summary(
            total.period,
            total.starts_on,
            [(SalesSegment.WALK_IN, 0)],
            visits=total.visits,
            revenue=total.revenue,
        )
        changes.move_band(total.period, total.starts_on, total.revenue, ZERO)
    changes.add_first_visit(customer.first_visit_at, segments, -1)
    changes.write()


def figures_forget_cluster(cluster_id: int) -> None:
    """A cluster is being deleted: its rows go, and its members left with no cluster move to
    the no-cluster segment. Called before the delete."""
    members = CLUSTER_MEMBERS.objects.filter(cluster_id=cluster_id).values("customer_id")
    alone = Customer.objects.filter(pk__in=members).exclude(
        pk__in=CLUSTER_MEMBERS.objects.exclude(cluster_id=cluster_id).values("customer_id")
    )
    changes = _Changes(CORRECTION_SLOT)
    no_cluster = [(SalesSegment.NO_CLUSTER, 0)]
    for period, starts_on, visits, revenue, active in (
        CustomerSalesTotal.objects.filter(customer__in=alone)
        .values_list("period", "starts_on")
        .annotate(Sum("visits"), Sum("revenue"), Count("pk"))
        .order_by()
    ):
        changes.add_summary(
            period, starts_on, no_cluster, visits=visits, revenue=revenue, active=active
        )
    for period, trunc in PERIOD_TRUNCATIONS:
        for starts, count in (
            alone.filter(first_visit_at__isnull=False)
            .annotate(starts=trunc("first_visit_at"))
            .values_list("starts")
            .annotate(Count("pk"))
            .order_by()
        ):
            changes.add_summary(period, starts.date(), no_cluster, new=count)
    changes.write()
    SalesSummary.objects.filter(segment=SalesSegment.CLUSTER, cluster_key=cluster_id).delete()


# --- from the sales: the rebuild and its --check -------------------------------------------


def expected_customer_totals(customer_ids) -> dict[tuple, tuple[int, Decimal]]:
    """What CustomerSalesTotal should hold for these customers, from their standing sales:
    {(customer id, period, first day): (visits, revenue)}. Two grouped queries."""
    standing = Sale.objects.filter(customer_id__in=customer_ids, voided_at__isnull=True)
    expected = {}
    for period, trunc in PERIOD_TRUNCATIONS:
        rows = (
            standing.annotate(starts=trunc("sold_at"))
            .values_list("customer_id", "starts")
            .annotate(visits=Count("pk"), revenue=Sum("total"))
            .order_by()
        )
        for customer_id, starts, visits, revenue in rows:
            expected[(customer_id, period, starts.date())] = (visits, revenue)
    return expected


def _customer_batches(batch_size: int):
    last_pk = 0
    while True:
        ids = list(
            Customer.objects.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return
        yield ids
        last_pk = ids[-1]


def expected_summaries() -> dict[tuple, tuple]:
    """What SalesSummary should hold, from the sales and the customers' clusters and first
    visits: {(period, first day, segment, cluster key): (visits, revenue, active, new)}."""
    standing = Sale.objects.filter(voided_at__isnull=True)
    by_customer = standing.filter(customer__isnull=False)
    expected = defaultdict(lambda: [0, ZERO, 0, 0])
    for period, trunc in PERIOD_TRUNCATIONS:
        groups = (
            (SalesSegment.CUSTOMERS, by_customer, None),
            (
                SalesSegment.CLUSTER,
                by_customer.filter(customer__clusters__isnull=False),
                "customer__clusters",
            ),
            (SalesSegment.NO_CLUSTER, by_customer.filter(customer__clusters__isnull=True), None),
        )
        for segment, sales, cluster in groups:
            rows = (
                sales.annotate(starts=trunc("sold_at"))
                .values_list("starts", *([cluster] if cluster else []))
                .annotate(Count("pk"), Sum("total"), Count("customer", distinct=True))
                .order_by()
            )
            for starts, *key, visits, revenue, active in rows:
                row = expected[(period, starts.date(), segment, key[0] if key else 0)]
                row[0:3] = [visits, revenue, active]
        walk_ins = (
            standing.filter(customer__isnull=True)
            .annotate(starts=trunc("sold_at"))
            .values_list("starts")
            .annotate(Count("pk"), Sum("total"))
            .order_by()
        )
        for starts, visits, revenue in walk_ins:
            expected[(period, starts.date(), SalesSegment.WALK_IN, 0)][0:2] = [visits, revenue]
        first_visits = Customer.objects.filter(first_visit_at__isnull=False).annotate(
            starts=trunc("first_visit_at")
        )
        new_groups = (
            (SalesSegment.CUSTOMERS, first_visits, None),
            (SalesSegment.CLUSTER, first_visits.filter(clusters__isnull=False), "clusters"),
            (SalesSegment.NO_CLUSTER, first_visits.filter(clusters__isnull=True), None),
        )
        for segment, customers, cluster in new_groups:
            rows = (
                customers.values_list("starts", *([cluster] if cluster else []))
                .annotate(Count("pk"))
                .order_by()
            )
            for starts, *key, count in rows:
                expected[(period, starts.date(), segment, key[0] if key else 0)][3] = count
    return {key: tuple(value) for key, value in expected.items()}


def expected_bands(customer_totals: Iterable[tuple[str, date, Decimal]]) -> dict[tuple, tuple]:
    """{(period, first day, band): (customers, revenue)} from (period, first day, revenue) of
    every customer's period."""
    bands = defaultdict(lambda: [0, ZERO])
    for period, starts_on, revenue in customer_totals:
        row = bands[(period, starts_on, revenue_band(revenue))]
        row[0] += 1
        row[1] += revenue
    return {key: tuple(value) for key, value in bands.items()}


def stored_summaries() -> dict[tuple, tuple]:
    """SalesSummary as the reports read it: slots added up, all-zero rows left out."""
    rows = (
        SalesSummary.objects.values_list("period", "starts_on", "segment", "cluster_key")
        .annotate(Sum("visits"), Sum("revenue"), Sum("customers"), Sum("new_customers"))
        .order_by()
    )
    return {tuple(key): tuple(values) for *key, values in _split(rows, 4) if any(values)}


def stored_bands() -> dict[tuple, tuple]:
    rows = (
        RevenueBand.objects.values_list("period", "starts_on", "band")
        .annotate(Sum("customers"), Sum("revenue"))
        .order_by()
    )
    return {tuple(key): tuple(values) for *key, values in _split(rows, 3) if any(values)}


def _split(rows, key_length: int):
    for row in rows:
        yield (*row[:key_length], tuple(row[key_length:]))


def _lock_summaries() -> None:
    """Hold sales back while the summaries are recomputed: a sale writes them last, so one
    committed before this lock is in the sums and one waiting on it adds itself after."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            names = ", ".join(
                connection.ops.quote_name(model._meta.db_table)
                for model in (SalesSummary, RevenueBand)
            )
            cursor.execute(f"LOCK TABLE {names} IN EXCLUSIVE MODE")


def figures_rebuild(*, batch_size: int = 5000) -> dict[str, int]:
    """Rewrite every report figure from the sales; returns how many rows of each were written.

    Customers' totals a batch at a time under their row locks (a sale at the till waits for
    its customer's batch); the summaries and bands in one transaction that holds sales back.
    """
    written = {"customer totals": 0}
    for ids in _customer_batches(batch_size):
        with transaction.atomic():
            list(Customer.objects.filter(pk__in=ids).select_for_update().values_list("pk"))
            CustomerSalesTotal.objects.filter(customer_id__in=ids).delete()
            written["customer totals"] += len(
                CustomerSalesTotal.objects.bulk_create(
                    CustomerSalesTotal(
                        customer_id=customer_id,
                        period=period,
                        starts_on=starts_on,
                        visits=visits,
                        revenue=revenue,
                    )
                    for (customer_id, period, starts_on), (visits, revenue) in (
                        expected_customer_totals(ids).items()
                    )
                )
            )
    with transaction.atomic():
        _lock_summaries()
        summaries = expected_summaries()
        bands = expected_bands(
            CustomerSalesTotal.objects.values_list("period", "starts_on", "revenue").iterator(
                chunk_size=10_000
            )
        )
        SalesSummary.objects.all().delete()
        RevenueBand.objects.all().delete()
        SalesSummary.objects.bulk_create(
            SalesSummary(
                period=period,
                starts_on=starts_on,
                segment=segment,
                cluster_key=cluster_key,
                visits=visits,
                revenue=revenue,
                customers=active,
                new_customers=new,
            )
            for (period, starts_on, segment, cluster_key), (visits, revenue, active, new) in (
                summaries.items()
            )
        )
        RevenueBand.objects.bulk_create(
            RevenueBand(
                period=period, starts_on=starts_on, band=band, customers=customers, revenue=revenue
            )
            for (period, starts_on, band), (customers, revenue) in bands.items()
        )
    written.update(summaries=len(summaries), bands=len(bands))
    return written


def figures_differences(*, limit: int = 100, batch_size: int = 5000) -> list[str]:
    """Where the stored figures differ from the sales' (at most `limit` lines); [] when none."""
    differences = []
    all_totals = []
    for ids in _customer_batches(batch_size):
        expected = expected_customer_totals(ids)
        all_totals.extend(
            (period, starts_on, revenue)
            for (_c, period, starts_on), (_v, revenue) in expected.items()
        )
        stored = {
            (customer_id, period, starts_on): (visits, revenue)
            for customer_id, period, starts_on, visits, revenue in (
                CustomerSalesTotal.objects.filter(customer_id__in=ids).values_list(
                    "customer_id", "period", "starts_on", "visits", "revenue"
                )
            )
        }
        differences.extend(_compare("customer total", stored, expected))
        if len(differences) >= limit:
            return differences[:limit]
    differences.extend(_compare("summary", stored_summaries(), expected_summaries()))
    differences.extend(_compare("revenue band", stored_bands(), expected_bands(all_totals)))
    return differences[:limit]


def _compare(what: str, stored: dict, expected: dict) -> list[str]:
    return [
        f"{what} {key}: stored {stored.get(key)}, from the sales {expected.get(key)}"
        for key in sorted(stored.keys() | expected.keys(), key=str)
        if stored.get(key) != expected.get(key)
    ]
