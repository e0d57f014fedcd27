"""Reads over the credit ledger: ageing, balances as of a date, statements.

Ageing (PRODUCT.md, Credit): payments settle the oldest credit first (FIFO); what is still owed
is aged by the date of the credit sale into Current (0-30 days), 31-60, 61-90 and over 90.
Everything here can be asked "as of" a past day and answers from the entries recorded up to the
end of that day (Africa/Nairobi), so it gives the figures it would have given then.

How FIFO is computed, in one pass over the ledger whatever its size: a customer's debits (credit
sales, upward adjustments) in date order have a running total S_i; the credits (payments,
downward adjustments) add up to C. Because payments settle the oldest first, debit i still has
max(0, min(amount_i, S_i - C)) unpaid. A voided credit sale and its void cancel each other
exactly, so both are left out, and payments settle the sales that stand.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import DecimalField, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, ZERO, to_money
from credit.models import CreditEntry, CreditEntryKind
from customers.models import Customer

BUCKETS = (
    ("current", _("Current (0-30 days)")),
    ("days_31_60", _("31-60 days")),
    ("days_61_90", _("61-90 days")),
    ("over_90", _("Over 90 days")),
)
BUCKET_NAMES = tuple(name for name, _label in BUCKETS)
# Credit terms: a credit sale is due 30 days after it was made; after that it is overdue.
CREDIT_TERM_DAYS = 30

MONEY = DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)


@dataclass(frozen=True)
class Ageing:
    customer_id: int
    current: Decimal = ZERO
    days_31_60: Decimal = ZERO
    days_61_90: Decimal = ZERO
    over_90: Decimal = ZERO
    oldest_unpaid_at: datetime | None = None

    @property
    def outstanding(self) -> Decimal:
        return self.current + self.days_31_60 + self.days_61_90 + self.over_90

    @property
    def overdue(self) -> Decimal:
        return self.outstanding - self.current

    def days_overdue(self, as_of: date) -> int:
        """Days past the credit term of the oldest unpaid credit; 0 if nothing is overdue."""
        if self.oldest_unpaid_at is None:
            return 0
        age = (as_of - timezone.localtime(self.oldest_unpaid_at).date()).days
        return max(0, age - CREDIT_TERM_DAYS)

    def bucket(self, name: str) -> Decimal:
        return getattr(self, name)


def end_of_day(day: date) -> datetime:
    """The first instant after `day` in the shop's time zone: "as of" includes all of that day."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def ageing_by_customer(as_of: date, *, customers: QuerySet | None = None) -> dict[int, Ageing]:
    """Each customer's unpaid credit as of the end of `as_of`, by age; only customers who owe.

    `customers` narrows it (a page of the report, the Send-SMS customers); None means everyone.
    """
    entries = CreditEntry._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    params = {
        "end": adapt(end_of_day(as_of)),
        "c30": adapt(_start_of_day(as_of - timedelta(days=30))),
        "c60": adapt(_start_of_day(as_of - timedelta(days=60))),
        "c90": adapt(_start_of_day(as_of - timedelta(days=90))),
        "void": CreditEntryKind.SALE_VOIDED.value,
    }
    narrow, narrow_params = "", []
    if customers is not None:
        subquery, narrow_params = customers.order_by().values("pk").query.sql_with_params()
        narrow = f"AND e.customer_id IN ({subquery})"
    # Named placeholders are not portable between the backends; build the positional list.
    sql = f"""
        WITH standing AS (
            SELECT e.id, e.customer_id, e.amount, e.created_at FROM {entries} e
            WHERE e.created_at < %s AND e.customer_id IS NOT NULL AND e.kind <> %s
              -- NOT EXISTS, not NOT IN (subquery): with NOT IN PostgreSQL scans the whole
              -- ledger even for one page of customers (150-250 ms at 1.6M rows).
              AND NOT EXISTS (
                  SELECT 1 FROM {entries} v
                  WHERE v.sale_id = e.sale_id AND v.kind = %s AND v.created_at < %s
              )
              {narrow}
        ),
        paid AS (
            SELECT customer_id, -SUM(amount) AS total FROM standing
            WHERE amount < 0 GROUP BY customer_id
        ),
        owed AS (
            SELECT d.customer_id, d.created_at, d.amount,
                   SUM(d.amount) OVER (
                       PARTITION BY d.customer_id ORDER BY d.created_at, d.id
                   ) - COALESCE(p.total, 0) AS left_after
            FROM standing d LEFT JOIN paid p ON p.customer_id = d.customer_id
            WHERE d.amount > 0
        ),
        unpaid AS (
            SELECT customer_id, created_at,
                   CASE WHEN left_after <= 0 THEN 0
                        WHEN left_after >= amount THEN amount
                        ELSE left_after END AS unpaid
            FROM owed
        )
        SELECT customer_id,
               SUM(CASE WHEN created_at >= %s THEN unpaid ELSE 0 END),
               SUM(CASE WHEN created_at < %s AND created_at >= %s THEN unpaid ELSE 0 END),
               SUM(CASE WHEN created_at < %s AND created_at >= %s THEN unpaid ELSE 0 END),
               SUM(CASE WHEN created_at < %s THEN unpaid ELSE 0 END),
               MIN(CASE WHEN unpaid > 0 THEN created_at END)
        FROM unpaid
        GROUP BY customer_id
        HAVING SUM(unpaid) > 0
    """
    positional = [
        params["end"],
        params["void"],
        params["void"],
        params["end"],
        *narrow_params,
        params["c30"],
        params["c30"],
        params["c60"],
        params["c60"],
        params["c90"],
        params["c90"],
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, positional)
        rows = cursor.fetchall()
    return {
        row[0]: Ageing(
            customer_id=row[0],
            current=_money(row[1]),
            days_31_60=_money(row[2]),
            days_61_90=_money(row[3]),
            over_90=_money(row[4]),
            oldest_unpaid_at=_when(row[5]),
        )
        for row in rows
    }


def ageing_summary(as_of: date) -> dict:
    """The whole book's unpaid credit by age as of `as_of`: totals per bucket and customers."""
    rows = ageing_by_customer(as_of).values()
    totals = {name: ZERO for name in BUCKET_NAMES}
    counts = dict.fromkeys(BUCKET_NAMES, 0)
    for row in rows:
        for name in BUCKET_NAMES:
            amount = row.bucket(name)
            totals[name] += amount
            counts[name] += 1 if amount > 0 else 0
    outstanding = sum(totals.values(), ZERO)
    return {
        "as_of": as_of,
        "buckets": [
            {
                "name": name,
                "label": label,
                "amount": totals[name],
                "customers": counts[name],
                "share": (totals[name] / outstanding * 100) if outstanding else ZERO,
            }
            for name, label in BUCKETS
        ],
        "outstanding": outstanding,
        "customers": len(rows),
    }


def balance_as_of_expression(as_of: date | None):
    """What each customer owed at the end of `as_of`, as an expression over Customer.

    Today's balance is stored on the customer (indexed, sortable at a million rows); a past day's
    is the sum of the ledger up to it.
    """
    if as_of is None or as_of >= timezone.localdate():
        # The bare column (NOT NULL), so sorting by it uses its index.
        return F("credit_balance")
    ledger = (
        CreditEntry.objects.filter(customer=OuterRef("pk"), created_at__lt=end_of_day(as_of))
        .order_by()
        .values("customer")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(ledger, output_field=MONEY), Value(ZERO), output_field=MONEY)


def customers_owing_as_of(as_of: date | None) -> QuerySet[Customer]:
    """Customers with something owed at the end of `as_of`, annotated with `balance`."""
    queryset = Customer.objects.select_related("group").annotate(
        balance=balance_as_of_expression(as_of)
    )
    return queryset.filter(balance__gt=0)


def outstanding_total(as_of: date | None) -> Decimal:
    """Everything owed on credit at the end of `as_of` (the sum of the ledger up to then)."""
    today = Customer.objects.aggregate(total=Sum("credit_balance"))["total"] or ZERO
    if as_of is None or as_of >= timezone.localdate():
        return to_money(today)
    # Today's total less what happened since: reads the recent entries, not the whole ledger.
    # (Entries of customers deleted since count too: on that day they still owed.)
    since = CreditEntry.objects.filter(created_at__gte=end_of_day(as_of)).aggregate(
        total=Sum("amount")
    )["total"]
    return to_money(today - (since or ZERO))


def customer_statement(customer: Customer, start: date, end: date) -> dict:
    """A customer's account for a period: opening balance, every entry with the balance after
    it, closing balance."""
    opening = (
        CreditEntry.objects.filter(
            customer=customer, created_at__lt=_start_of_day(start)
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    entries = list(
        CreditEntry.objects.filter(
            customer=customer,
            created_at__gte=_start_of_day(start),
            created_at__lt=end_of_day(end),
        )
        .select_related("sale", "created_by", "payment")
        .order_by("created_at", "pk")
    )
    running = to_money(opening)
    lines = []
    for entry in entries:
        running += entry.amount
        lines.append({"entry": entry, "balance": running})
    return {
        "customer": customer,
        "start": start,
        "end": end,
        "opening": to_money(opening),
        "lines": lines,
        "closing": running,
        "charged": sum((e.amount for e in entries if e.amount > 0), ZERO),
        "credited": -sum((e.amount for e in entries if e.amount < 0), ZERO),
    }


def customers_with_balance_not_matching_ledger(*, limit: int = 100) -> list[dict]:
    """Customers whose stored balance differs from the sum of their ledger (at most `limit`)."""
    ledger = (
        CreditEntry.objects.filter(customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    rows = (
        Customer.objects.annotate(
            ledger=Coalesce(Subquery(ledger, output_field=MONEY), Value(ZERO), output_field=MONEY)
        )
        .values("pk", "name", "credit_balance", "ledger")
        .order_by("pk")
        .iterator(chunk_size=5000)
    )
    wrong = []
    for row in rows:
        if to_money(row["credit_balance"]) != to_money(row["ledger"]):
            wrong.append(row)
            if len(wrong) >= limit:
                break
    return wrong


def _money(value) -> Decimal:
    # SQLite sums decimals as floats; PostgreSQL returns exact numerics. Cents either way.
    return to_money(Decimal(str(value))) if value is not None else ZERO


def _when(value) -> datetime | None:
    """A timestamp from raw SQL: PostgreSQL gives an aware datetime, SQLite text in UTC."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else parse_datetime(str(value))
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return moment
