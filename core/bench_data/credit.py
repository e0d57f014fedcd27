"""The credit book: some of the shop's customers buy on account, as the services would have
written it.

Eighteen months of credit sales in shop hours (sales, 1-3 lines at the catalogue's prices,
their payment rows and ledger entries), payments on account (cash or M-Pesa with unique codes,
partial or full, never more than owed), a few voided credit sales and manager adjustments with
reasons. Customers pay promptly, slowly or hardly at all, so the book has paid-up accounts and
balances in every ageing bucket. Each customer's ledger is generated in date order with its
running balance (as the services compute it under the row lock); then every customer's events
are merged in date order and numbered, so entry ids grow with time.

Generating 1.6M entries is Python's work (about a minute), so it runs in a process of its own
while the database writes the shop (core.bench_data.seed): the book goes by COPY into staging
tables, and `place` moves it into the real tables once the sales are numbered.
"""

import math
import random
import time
from decimal import ROUND_HALF_UP, Decimal
from operator import itemgetter
from typing import NamedTuple

from django.db import connection

from core.bench_data.bulk import copy_rows, execute, quote
from core.bench_data.shop import (
    CREDIT_DRAFTS,
    CREDIT_SALE_IDS,
    HISTORY_SECONDS,
    LINES,
    PAYMENTS,
    staff,
)
from core.management.commands.load_demo_data import PRODUCTS
from core.models import MpesaCode
from credit.models import CreditEntry, CreditEntryKind, CreditPayment
from customers.models import CustomerGroup
from sales.models import PriceList, Product

HISTORY_DAYS = 548  # about 18 months, as the demo data
CENT = Decimal("0.01")
# Seconds of a shop day in UTC: Nairobi is UTC+3 all year; the shop is open 07:30-18:30.
NAIROBI_OFFSET = 3 * 3600
OPENS, CLOSES = 7.5 * 3600, 18.5 * 3600

# (group slug, share of credit customers, credit limit range in shillings, bags per line)
GROUPS = (
    ("walk-in", 10, (2_000, 10_000), (1, 2)),
    ("regular", 60, (5_000, 60_000), (1, 3)),
    ("wholesale", 22, (50_000, 400_000), (3, 20)),
    ("corporate", 8, (100_000, 600_000), (2, 15)),
)


class Habit(NamedTuple):
    """How a customer pays their account: at a visit with something owed they pay (rather than
    buy) with `pay_chance`, clearing it all with `full_chance`; and they clear it at the first
    visit after owing for `term_days`."""

    weight: int
    pay_chance: float
    full_chance: float
    term_days: float
    stops_paying_chance: float  # some stop paying months before today: over-90 balances


HABITS = (
    Habit(weight=55, pay_chance=0.45, full_chance=0.8, term_days=30, stops_paying_chance=0.0),
    Habit(weight=30, pay_chance=0.4, full_chance=0.4, term_days=70, stops_paying_chance=0.1),
    Habit(weight=15, pay_chance=0.3, full_chance=0.15, term_days=math.inf, stops_paying_chance=0.6),
)
VOID_CHANCE = 0.003  # a credit sale voided at the customer's next visit
ADJUSTMENT_CHANCE = 0.004
OPENING_BALANCE_CHANCE = 0.02  # accounts carried over from the paper book
MPESA_PAYMENT_SHARE = 0.65
ADJUSTMENT_REASONS_UP = (
    "Transport to the farm charged on account",
    "Price corrected: wholesale price given in error",
    "Delivery note entered late",
)
ADJUSTMENT_REASONS_DOWN = (
    "Goods returned: one bag damaged in transit",
    "Written off: customer moved away",
    "Discount agreed by the owner",
    "Payment by cheque banked directly",
)
VOID_REASONS = ("Wrong customer picked at the till", "Entered twice", "Customer changed mind")
MPESA_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

# Staging tables: the book as generated, before the sales it refers to have their ids.
LINE_DRAFTS = "bench_credit_line"
ENTRY_DRAFTS = "bench_credit_entry"
PAYMENT_DRAFTS = "bench_credit_payment"
ACCOUNTS = "bench_credit_account"
STAGING = {
    CREDIT_DRAFTS: "number int, customer_id int, cashier_id int, total numeric(12, 2), "
    "price_list text, sold_at float8, voided_at float8, void_reason text",
    LINE_DRAFTS: "sale_number int, product_id int, quantity numeric(12, 3), "
    "unit_price numeric(12, 2), line_total numeric(12, 2)",
    ENTRY_DRAFTS: "id int, customer_id int, kind text, amount numeric(12, 2), "
    "balance_after numeric(12, 2), sale_number int, reason text, created_by_id int, "
    "created_at float8",
    PAYMENT_DRAFTS: "id int, customer_id int, entry_id int, method text, amount numeric(12, 2), "
    "balance_before numeric(12, 2), balance_after numeric(12, 2), mpesa_code text, "
    "received_by_id int, received_at float8",
    ACCOUNTS: "customer_id int PRIMARY KEY, group_id int, credit_limit numeric(12, 2), "
    "balance numeric(12, 2)",
}


def create_staging() -> None:
    for table, columns in STAGING.items():
        execute(f"DROP TABLE IF EXISTS {table}")
        execute(f"CREATE UNLOGGED TABLE {table} ({columns})")


def drop_staging() -> None:
    for table in [*STAGING, CREDIT_SALE_IDS]:
        execute(f"DROP TABLE IF EXISTS {table}")


def credit_customer_ids(customers: int, credit_customers: int) -> list[int]:
    """Which customers buy on credit: spread evenly over the ids, so over the years they joined."""
    return [1 + index * customers // credit_customers for index in range(credit_customers)]


def place() -> None:
    """The staged book into the real tables, now that every sale has its id (shop.number_sales):
    the credit sales' lines and payment rows, the ledger, payments on account and their M-Pesa
    codes, in id order (rows lie on disk in time order, as a shop's would)."""
    execute(
        f"""
        INSERT INTO {LINES} (
            sale_id, product_id, product_name, product_code, quantity, unit_price, line_total
        )
        SELECT i.sale_id, l.product_id, p.name, p.code, l.quantity, l.unit_price, l.line_total
        FROM {LINE_DRAFTS} l
        JOIN {CREDIT_SALE_IDS} i ON i.number = l.sale_number
        JOIN {quote(Product._meta.db_table)} p ON p.id = l.product_id
        ORDER BY i.sale_id
        """
    )
    execute(
        f"""
        INSERT INTO {PAYMENTS} (sale_id, method, amount, mpesa_code, received_at)
        SELECT i.sale_id, 'credit', s.total, '', to_timestamp(s.sold_at)
        FROM {CREDIT_DRAFTS} s JOIN {CREDIT_SALE_IDS} i ON i.number = s.number
        ORDER BY i.sale_id
        """
    )
    execute(
        f"""
        INSERT INTO {quote(CreditEntry._meta.db_table)} (
            id, customer_id, kind, amount, balance_after, sale_id, reason, created_by_id,
            created_at
        )
        SELECT e.id, e.customer_id, e.kind, e.amount, e.balance_after, i.sale_id, e.reason,
               e.created_by_id, to_timestamp(e.created_at)
        FROM {ENTRY_DRAFTS} e LEFT JOIN {CREDIT_SALE_IDS} i ON i.number = e.sale_number
        ORDER BY e.id
        """
    )
    execute(
        f"""
        INSERT INTO {quote(CreditPayment._meta.db_table)} (
            id, customer_id, entry_id, method, amount, balance_before, balance_after,
            mpesa_code, received_by_id, received_at
        )
        SELECT id, customer_id, entry_id, method, amount, balance_before, balance_after,
               mpesa_code, received_by_id, to_timestamp(received_at)
        FROM {PAYMENT_DRAFTS}
        ORDER BY id
        """
    )
    execute(
        f"""
        INSERT INTO {quote(MpesaCode._meta.db_table)} (code, purpose, recorded_at)
        SELECT mpesa_code, 'credit payment', to_timestamp(received_at)
        FROM {PAYMENT_DRAFTS} WHERE method = 'mpesa'
        ORDER BY id
        """
    )


class CreditBook:
    """Generates the book of `customer_ids` (who joined as shop.customer_joined_sql says) and
    writes it to the staging tables."""

    def __init__(self, customer_ids: list[int], customer_count: int, entries: int, seed: int, log):
        self.customer_ids = customer_ids
        self.customer_count = customer_count
        self.entry_count = entries
        self.rng = random.Random(seed)
        self.log = log
        self.now = time.time()
        self.history_start = self.now - HISTORY_DAYS * 86400

    def write(self) -> None:
        started = time.perf_counter()
        self._reference_data()
        customers = self._customers()
        events = self._ledger(customers)
        self.log(
            f"    credit book: {len(events):,} ledger entries generated in "
            f"{time.perf_counter() - started:.0f} s"
        )
        started = time.perf_counter()
        self._write(customers, events)
        self.log(f"    credit book: staged with COPY in {time.perf_counter() - started:.0f} s")

    # Reference data: read from the database, which shop.reference_data filled.

    def _reference_data(self):
        self.manager, cashiers = staff()
        # The three cashiers at the credit desk, and the manager, who also takes payments.
        self.staff = [*cashiers[:3], self.manager]
        self.staff_weights = [45, 30, 10, 15][: len(self.staff) - 1] + [15]
        weights = {code: weight for _name, code, _retail, _wholesale, weight in PRODUCTS}
        self.products = list(Product.objects.order_by("pk"))
        self.product_weights = [weights.get(product.code, 1) for product in self.products]
        self.groups = {group.slug: group for group in CustomerGroup.objects.all()}

    # Customers.

    def _customers(self) -> list[dict]:
        rng = self.rng
        group_weights = [share for _slug, share, _limits, _bags in GROUPS]
        customers = []
        for customer_id in self.customer_ids:
            slug, _share, (low, high), bags = rng.choices(GROUPS, weights=group_weights)[0]
            # As shop.customer_joined_sql; their account opened a day later, or 18 months ago.
            created = self.now - HISTORY_SECONDS * (1 - customer_id / self.customer_count)
            joined = min(max(created + 86400, self.history_start), self.now - 3600)
            customers.append(
                {
                    "id": customer_id,
                    "group": slug,
                    "bags": bags,
                    "credit_limit": Decimal(rng.randrange(low // 1000, high // 1000 + 1) * 1000),
                    "joined": joined,
                    # A quarter stopped coming some time ago; the rest still shop today.
                    "left": (
                        joined + (self.now - joined) * rng.uniform(0.3, 0.9)
                        if rng.random() < 0.25
                        else self.now - 600
                    ),
                    "habit": rng.choices(HABITS, weights=[h.weight for h in HABITS])[0],
                    "balance": Decimal(0),
                }
            )
        return customers

    # The ledger.

    def _entry_counts(self) -> list[int]:
        """Ledger rows per customer, adding up to exactly the entries asked for: a long tail of
        regulars."""
        rng, total, count = self.rng, self.entry_count, len(self.customer_ids)
        weights = [min(rng.paretovariate(1.6), 40.0) for _ in range(count)]
        scale = total / sum(weights)
        counts = [max(1, int(weight * scale)) for weight in weights]
        missing = total - sum(counts)
        while missing:
            index = rng.randrange(count)
            if missing > 0:
                counts[index] += 1
                missing -= 1
            elif counts[index] > 1:
                counts[index] -= 1
                missing += 1
        return counts

    def _ledger(self, customers: list[dict]) -> list[list]:
        """Every ledger event of every customer, in date order, numbered.

        An event is [timestamp, customer index, sequence, kind, amount, balance_after, actor,
        detail, entry id, sale or payment number]."""
        per_customer = [
            self._customer_ledger(customer, index, count)
            for index, (customer, count) in enumerate(
                zip(customers, self._entry_counts(), strict=True)
            )
        ]
        events = [event for ledger in per_customer for event in ledger]
        events.sort(key=itemgetter(0, 1, 2))  # by time; a customer's own order on a tie
        sale_numbers, payment_numbers = 0, 0
        for entry_id, event in enumerate(events, start=1):
            event.append(entry_id)
            if event[3] == CreditEntryKind.CREDIT_SALE:
                sale_numbers += 1
                event.append(sale_numbers)
            elif event[3] == CreditEntryKind.PAYMENT:
                payment_numbers += 1
                event.append(payment_numbers)
            else:
                event.append(None)
        return events

    def _customer_ledger(self, customer: dict, index: int, count: int) -> list[list]:
        rng, habit, limit = self.rng, customer["habit"], customer["credit_limit"]
        times = self._visit_times(customer["joined"], customer["left"], count)
        stops_paying_at = (
            self.now - rng.uniform(100, 400) * 86400
            if rng.random() < habit.stops_paying_chance
            else math.inf
        )
        # Whether the last visit, if it is more than a month ago, clears the account.
        settles = rng.random() < habit.full_chance
        events, balance, slot, owing_since = [], Decimal(0), 0, math.inf
        while slot < count:
            at = times[slot]
            actor = rng.choices(self.staff, weights=self.staff_weights)[0]
            roll = rng.random()
            if slot == 0 and roll < OPENING_BALANCE_CHANCE:
                amount = _money(limit * Decimal(rng.uniform(0.2, 0.8)))
                kind, detail, actor = "adjustment", "Opening balance from the paper book", None
            elif balance > 0 and roll < ADJUSTMENT_CHANCE:
                kind, actor = "adjustment", None
                if rng.random() < 0.7:
                    amount = -min(balance, _money(rng.uniform(50, 2000)))
                    detail = rng.choice(ADJUSTMENT_REASONS_DOWN)
                else:
                    amount = min(limit - balance, _money(rng.uniform(100, 1500)))
                    detail = rng.choice(ADJUSTMENT_REASONS_UP)
                if amount == 0:
                    kind, amount, detail = "payment", -balance, self._payment_detail(balance)
            elif (
                balance > 0 and at < stops_paying_at and at - owing_since > habit.term_days * 86400
            ):
                amount, kind, detail = -balance, "payment", self._payment_detail(balance)
            elif balance > 0 and at < stops_paying_at and roll < habit.pay_chance:
                amount = -self._payment_amount(balance, habit)
                kind, detail = "payment", self._payment_detail(-amount)
            elif balance > 0 and slot == count - 1 and settles and at < self.now - 30 * 86400:
                # The last visit a while ago: most had settled up before they went quiet.
                amount, kind, detail = -balance, "payment", self._payment_detail(balance)
            else:
                lines, total, price_list = self._basket(customer, room=limit - balance)
                if lines is None:
                    # No room left on the account (so something is owed): they pay something
                    # off to buy again.
                    amount = -self._payment_amount(balance, habit)
                    kind, detail = "payment", self._payment_detail(-amount)
                else:
                    kind, amount, detail = "sale", total, (lines, price_list, None)
            if actor is None:
                actor = self.manager
            if balance == 0:
                owing_since = at
            balance += amount
            event = [at, index, slot, kind, amount, balance, actor, detail]
            events.append(event)
            slot += 1
            if kind == "sale" and slot < count and rng.random() < VOID_CHANCE:
                # Voided at the next visit (the balance still holds all of it).
                balance -= amount
                reason = rng.choice(VOID_REASONS)
                events.append(
                    [times[slot], index, slot, "void", -amount, balance, self.manager, event]
                )
                event[7] = (lines, price_list, (times[slot], reason))
                slot += 1
        customer["balance"] = balance
        return events

    def _visit_times(self, joined: float, left: float, count: int) -> list[float]:
        """`count` moments in shop hours between joining and leaving, oldest first."""
        rng, times = self.rng, []
        for _ in range(count):
            moment = rng.uniform(joined, left) + NAIROBI_OFFSET
            day = moment - moment % 86400
            at = day + OPENS + rng.random() * (CLOSES - OPENS) - NAIROBI_OFFSET
            times.append(round(min(at, self.now - 60), 3))
        times.sort()
        return times

    def _basket(self, customer: dict, *, room: Decimal):
        """A credit sale of one to three products that fits the room on the account."""
        rng = self.rng
        wholesale = self.groups[customer["group"]].uses_wholesale_prices
        for attempt in range(3):
            chosen = {
                product.pk: product
                for product in rng.choices(self.products, self.product_weights, k=rng.randint(1, 3))
            }
            lines, total = [], Decimal(0)
            for product in chosen.values():
                if product.code.startswith("LOOSE"):
                    quantity = Decimal(rng.choice(("0.5", "1", "2", "2.5", "5", "10")))
                else:
                    low, high = customer["bags"] if attempt == 0 else (1, 1)
                    quantity = Decimal(rng.randint(low, high))
                price = product.wholesale_price if wholesale else product.retail_price
                line_total = _money(price * quantity)
                lines.append((product, quantity, price, line_total))
                total += line_total
            if total <= room:
                return lines, total, PriceList.WHOLESALE if wholesale else PriceList.RETAIL
        # One of something small, if even that fits.
        price_list = PriceList.WHOLESALE if wholesale else PriceList.RETAIL
        affordable = [
            (product, product.price_for(price_list))
            for product in self.products
            if product.price_for(price_list) <= room
        ]
        if not affordable:
            return None, None, None
        product, price = rng.choice(affordable)
        return [(product, Decimal(1), price, price)], price, price_list

    def _payment_amount(self, balance: Decimal, habit: Habit) -> Decimal:
        if self.rng.random() < habit.full_chance or balance <= 200:
            return balance
        part = Decimal(int(balance * Decimal(self.rng.uniform(0.2, 0.8)) / 100) * 100)
        return min(max(part, Decimal(100)), balance)

    def _payment_detail(self, amount: Decimal) -> tuple[str, str]:
        if self.rng.random() < MPESA_PAYMENT_SHARE:
            return "mpesa", "".join(self.rng.choices(MPESA_CHARACTERS, k=10))
        return "cash", ""

    # Writing to the staging tables.

    def _write(self, customers: list[dict], events: list[list]) -> None:
        # M-Pesa codes are unique across the book: redraw the rare repeat.
        seen = set()
        for event in events:
            if event[3] == "payment" and event[7][0] == "mpesa":
                while event[7][1] in seen:
                    event[7] = ("mpesa", "".join(self.rng.choices(MPESA_CHARACTERS, k=10)))
                seen.add(event[7][1])
        groups = {slug: group.pk for slug, group in self.groups.items()}
        steps = [
            (
                ACCOUNTS,
                ["customer_id", "group_id", "credit_limit", "balance"],
                ((c["id"], groups[c["group"]], c["credit_limit"], c["balance"]) for c in customers),
            ),
            (CREDIT_DRAFTS, *self._sale_rows(customers, events)),
            (LINE_DRAFTS, *self._sale_line_rows(events)),
            (ENTRY_DRAFTS, *self._entry_rows(customers, events)),
            (PAYMENT_DRAFTS, *self._payment_rows(customers, events)),
        ]
        for table, columns, rows in steps:
            copy_rows(table, columns, rows)
        connection.close()

    def _sale_rows(self, customers, events):
        columns = [
            "number",
            "customer_id",
            "cashier_id",
            "total",
            "price_list",
            "sold_at",
            "voided_at",
            "void_reason",
        ]
        rows = (
            (
                event[9],
                customers[event[1]]["id"],
                event[6],
                event[4],
                event[7][1],
                event[0],
                event[7][2][0] if event[7][2] else None,
                event[7][2][1] if event[7][2] else "",
            )  # fmt: skip
            for event in events
            if event[3] == "sale"
        )
        return columns, rows

    def _sale_line_rows(self, events):
        columns = ["sale_number", "product_id", "quantity", "unit_price", "line_total"]
        rows = (
            (event[9], product.pk, quantity, price, line_total)
            for event in events
            if event[3] == "sale"
            for product, quantity, price, line_total in event[7][0]
        )
        return columns, rows

    def _entry_rows(self, customers, events):
        columns = [
            "id",
            "customer_id",
            "kind",
            "amount",
            "balance_after",
            "sale_number",
            "reason",
            "created_by_id",
            "created_at",
        ]

        def rows():
            for event in events:
                kind, detail = event[3], event[7]
                if kind == "sale":
                    sale_number, reason = event[9], ""
                elif kind == "void":
                    sale_number, reason = detail[9], detail[7][2][1]
                else:
                    sale_number, reason = None, detail if kind == "adjustment" else ""
                yield (
                    event[8], customers[event[1]]["id"], kind, event[4], event[5], sale_number,
                    reason, event[6], event[0],
                )  # fmt: skip

        return columns, rows()

    def _payment_rows(self, customers, events):
        columns = [
            "id",
            "customer_id",
            "entry_id",
            "method",
            "amount",
            "balance_before",
            "balance_after",
            "mpesa_code",
            "received_by_id",
            "received_at",
        ]
        rows = (
            (
                event[9],
                customers[event[1]]["id"],
                event[8],
                event[7][0],
                -event[4],
                event[5] - event[4],
                event[5],
                event[7][1],
                event[6],
                event[0],
            )  # fmt: skip
            for event in events
            if event[3] == "payment"
        )
        return columns, rows


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
