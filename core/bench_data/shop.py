"""The shop's customers, cash and M-Pesa sales, and every figure the services keep beside them,
written by the database itself (INSERT ... SELECT over generate_series, random() seeded).

Customers join over three years in 200 clusters and 2,000 villages, 40 % with a location. Each
sale goes to customer k (1 = the oldest) with k = N * u^LOYALTY for uniform u, after they
joined: the oldest customers, who also had the longest to buy, buy far more often (the 80/20
shape the VIP report looks for). A tenth of sales go to walk-ins, 0.3 % are voided, a line each.
Payments of cash and M-Pesa sales are not written: nothing measured reads them.

The credit book's sales (core.bench_data.credit) are merged in by sale time, so sale ids grow
with time across both, as the till writes them.
"""

import time

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection

from core.bench_data.bulk import execute, quote
from core.management.commands.load_demo_data import (
    CHRISTIAN_NAMES,
    CLUSTERS,
    COMMUNITIES,
    PRODUCTS,
    VILLAGES,
)
from core.roles import CASHIER, MANAGER
from credit.models import CreditEntry, CreditPayment
from customers.models import Cluster, Customer, CustomerGroup
from sales.figures import REVENUE_BAND_FLOORS
from sales.models import (
    CustomerSalesTotal,
    Payment,
    Product,
    RevenueBand,
    Sale,
    SaleLine,
    SalesSummary,
)

HISTORY_DAYS = 3 * 365
HISTORY_SECONDS = HISTORY_DAYS * 86400
CASHIERS = 16
MANAGER_USERNAME = "bench-manager"
CASHIER_USERNAME = "bench-cashier-{number:02d}"
WALK_IN_SHARE = 0.10
VOID_SHARE = 0.003
LOCATED_SHARE = 0.4
LOYALTY = 2

CUSTOMERS = quote(Customer._meta.db_table)
MEMBERS = quote(Customer.clusters.through._meta.db_table)
SALES = quote(Sale._meta.db_table)
LINES = quote(SaleLine._meta.db_table)
PAYMENTS = quote(Payment._meta.db_table)
ENTRIES = quote(CreditEntry._meta.db_table)
CREDIT_PAYMENTS = quote(CreditPayment._meta.db_table)
TOTALS = quote(CustomerSalesTotal._meta.db_table)
USERS = quote(User._meta.db_table)
SUMMARY = quote(SalesSummary._meta.db_table)
BANDS = quote(RevenueBand._meta.db_table)
# Sales before they are numbered: the shop's, then the credit book's (see credit.py).
CASH_DRAFTS = "bench_cash_sale"
CREDIT_DRAFTS = "bench_credit_sale"
CREDIT_SALE_IDS = "bench_credit_sale_id"


def reference_data(cluster_count: int) -> None:
    """Staff, clusters and the catalogue, through the ORM: a few hundred rows."""
    manager = User.objects.create_user(
        MANAGER_USERNAME, password=None, first_name="Otieno", last_name="Odhiambo"
    )
    manager.groups.add(Group.objects.get(name=MANAGER))
    cashier_role = Group.objects.get(name=CASHIER)
    for number in range(CASHIERS):
        cashier = User.objects.create_user(
            CASHIER_USERNAME.format(number=number),
            password=None,
            first_name="Cashier",
            last_name=f"{number:02d}",
        )
        cashier.groups.add(cashier_role)
    named = [Cluster(name=name, description=description) for name, description in CLUSTERS]
    Cluster.objects.bulk_create(
        named
        + [
            Cluster(name=f"Farmers' group {number:03d}")
            for number in range(len(named) + 1, cluster_count + 1)
        ]
    )
    Product.objects.bulk_create(
        Product(name=name, code=code, retail_price=retail, wholesale_price=wholesale)
        for name, code, retail, wholesale, _weight in PRODUCTS
    )


def staff() -> tuple[int, list[int]]:
    """The manager's id and the cashiers' ids."""
    manager = User.objects.get(username=MANAGER_USERNAME).pk
    cashiers = list(
        User.objects.filter(username__startswith="bench-cashier-")
        .order_by("username")
        .values_list("pk", flat=True)
    )
    return manager, cashiers


def customer_joined_sql(k: str = "k") -> str:
    """When customer k of N joined: k/N of the way through the three years, so ids grow with
    time. credit.py computes the same in Python."""
    return f"now() - make_interval(secs => %(span)s * (1 - {k}::float / %(n)s))"


def customers(count: int, village_count: int, seed: float) -> None:
    surnames = sorted({name for _given, names in COMMUNITIES.values() for name in names})
    given = sorted(
        set(CHRISTIAN_NAMES) | {name for names, _ in COMMUNITIES.values() for name in names}
    )
    villages = list(VILLAGES) + [
        f"Village {number:04d}" for number in range(len(VILLAGES) + 1, village_count + 1)
    ]
    groups = list(CustomerGroup.objects.order_by("pk").values_list("pk", flat=True))
    execute(
        f"""
        INSERT INTO {CUSTOMERS} (
            id, name, phone, email, address, village, tax_pin, group_id, send_sms,
            latitude, longitude, notes, credit_limit, credit_balance,
            total_visits, total_spent, opening_visits, opening_spent, created_at, updated_at
        )
        SELECT
            k,
            g.given[1 + floor(random() * cardinality(g.given))::int] || ' ' ||
                g.surnames[1 + floor(random() * cardinality(g.surnames))::int],
            '+2547' || lpad((10000000 + k)::text, 8, '0'),
            '', '',
            g.villages[1 + (k::bigint * 7919) %% cardinality(g.villages)],
            CASE WHEN random() < 0.7 THEN 'A' || lpad(k::text, 9, '0') || 'K' ELSE '' END,
            g.groups[CASE WHEN random() < 0.6 THEN 2 WHEN random() < 0.6 THEN 1
                          WHEN random() < 0.8 THEN 3 ELSE 4 END],
            random() < 0.6,
            CASE WHEN located THEN round((-1.6 + random() * 2)::numeric, 6) END,
            CASE WHEN located THEN round((37.0 + random() * 1.5)::numeric, 6) END,
            '', 0, 0, 0, 0, 0, 0,
            {customer_joined_sql()},
            {customer_joined_sql()}
        FROM generate_series(1, %(n)s) AS k,
             -- k in it: evaluated per customer, not once for the whole statement.
             LATERAL (SELECT k > 0 AND random() < %(located)s AS located) AS l,
             (SELECT %(given)s::text[] AS given, %(surnames)s::text[] AS surnames,
                     %(villages)s::text[] AS villages, %(groups)s::int[] AS groups) AS g
        """,
        {
            "n": count,
            "span": HISTORY_SECONDS,
            "located": LOCATED_SHARE,
            "given": given,
            "surnames": surnames,
            "villages": villages,
            "groups": groups,
        },
        seed=seed,
    )


def cluster_members(cluster_count: int, seed: float) -> None:
    """One to three clusters each; the first clusters are the big ones."""
    first = Cluster.objects.order_by("pk").values_list("pk", flat=True).first()
    execute(
        f"""
        INSERT INTO {MEMBERS} (customer_id, cluster_id)
        SELECT DISTINCT c.id, %(first)s + floor(%(clusters)s * random() ^ 2)::int
        FROM {CUSTOMERS} AS c,
             generate_series(1, CASE WHEN random() < 0.6 THEN 1
                                     WHEN random() < 0.7 THEN 2 ELSE 3 END) AS n
        """,
        {"first": first, "clusters": cluster_count},
        seed=seed,
    )


def cash_sale_drafts(customer_count: int, sale_count: int, seed: float) -> None:
    """Up to `sale_count` cash and M-Pesa sales, unnumbered and unsorted (`number_sales` takes
    as many as the credit book leaves room for). An unlogged table: they only live for the
    load."""
    manager, cashiers = staff()
    execute(f"DROP TABLE IF EXISTS {CASH_DRAFTS}")
    execute(
        f"""
        CREATE UNLOGGED TABLE {CASH_DRAFTS} AS
        SELECT draft,
               CASE WHEN walk_in THEN NULL ELSE k END AS customer_id,
               (%(cashiers)s::int[])[1 + floor(random() * %(cashier_count)s)::int] AS cashier_id,
               round((80 + 6000 * random() ^ 3)::numeric, 2) AS total,
               CASE WHEN random() < 0.55 THEN 'cash' ELSE 'mpesa' END AS payment_method,
               now() - make_interval(secs => %(span)s * (1 - joined) * random()) AS sold_at,
               random() < %(void)s AS voided
        FROM (
            SELECT draft, random() < %(walk_in)s AS walk_in,
                   1 + floor(%(n)s * random() ^ %(loyalty)s)::int AS k
            FROM generate_series(1, %(sales)s) AS draft
        ) AS pick,
        LATERAL (SELECT CASE WHEN walk_in THEN 0 ELSE k::float / %(n)s END AS joined) AS j
        """,
        {
            "n": customer_count,
            "sales": sale_count,
            "span": HISTORY_SECONDS,
            "cashiers": cashiers,
            "cashier_count": len(cashiers),
            "void": VOID_SHARE,
            "walk_in": WALK_IN_SHARE,
            "loyalty": LOYALTY,
        },
        seed=seed,
    )


def number_sales(sale_count: int) -> None:
    """Every sale, the shop's and the credit book's, numbered in time order as the till would
    have numbered them; in the same statement a line for each of the shop's sales (its product
    chosen by the sale's id: what a profile's favourites read), and each credit sale's number
    noted for its lines, payment and ledger entry."""
    manager, _cashiers = staff()
    products = list(Product.objects.order_by("pk").values_list("pk", "name", "code"))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {CREDIT_DRAFTS}")
        credit_sales = cursor.fetchone()[0]
    execute(f"DROP TABLE IF EXISTS {CREDIT_SALE_IDS}")
    execute(f"CREATE UNLOGGED TABLE {CREDIT_SALE_IDS} (number int PRIMARY KEY, sale_id int)")
    execute(
        f"""
        WITH numbered AS MATERIALIZED (
            SELECT row_number() OVER (ORDER BY sold_at, credit_number NULLS FIRST)::int AS id, *
            FROM (
                SELECT customer_id, cashier_id, total, payment_method, 'retail' AS price_list,
                       sold_at,
                       CASE WHEN voided THEN sold_at + interval '10 minutes' END AS voided_at,
                       CASE WHEN voided THEN %(manager)s END AS voided_by_id,
                       CASE WHEN voided THEN 'Entered twice' ELSE '' END AS void_reason,
                       NULL::int AS credit_number
                FROM {CASH_DRAFTS}
                WHERE draft <= %(cash_sales)s
                UNION ALL
                SELECT customer_id, cashier_id, total, 'credit', price_list,
                       to_timestamp(sold_at), to_timestamp(voided_at),
                       CASE WHEN voided_at IS NOT NULL THEN %(manager)s END,
                       void_reason, number
                FROM {CREDIT_DRAFTS}
            ) AS sale
        ),
        sales AS (
            INSERT INTO {SALES} (
                id, customer_id, cashier_id, total, payment_method, price_list, sold_at,
                voided_at, voided_by_id, void_reason
            )
            SELECT id, customer_id, cashier_id, total, payment_method, price_list, sold_at,
                   voided_at, voided_by_id, void_reason
            FROM numbered
        ),
        lines AS (
            INSERT INTO {LINES} (
                sale_id, product_id, product_name, product_code, quantity, unit_price,
                line_total
            )
            SELECT s.id, p.id, p.name, p.code, 1, s.total, s.total
            FROM numbered AS s
            JOIN (SELECT unnest(%(ids)s::int[]) AS id, unnest(%(names)s::text[]) AS name,
                         unnest(%(codes)s::text[]) AS code,
                         generate_series(0, %(count)s - 1) AS position) AS p
              ON p.position = (s.id * 7 + coalesce(s.customer_id, 0)) %% %(count)s
            WHERE s.credit_number IS NULL
        )
        INSERT INTO {CREDIT_SALE_IDS} (number, sale_id)
        SELECT credit_number, id FROM numbered WHERE credit_number IS NOT NULL
        """,
        {
            "manager": manager,
            "cash_sales": max(sale_count - credit_sales, 0),
            "ids": [pk for pk, _name, _code in products],
            "names": [name for _pk, name, _code in products],
            "codes": [code for _pk, _name, code in products],
            "count": len(products),
        },
    )


def figures(credit_accounts: str, log) -> None:
    """What the services keep beside the sales, as they would have left it: each customer's
    visit figures (rebuild_visit_figures --check proves them), credit limit and balance (from
    the table `credit_accounts`: customer_id, group_id, credit_limit, balance) and the report
    figures of sales.figures (rebuild_report_figures --check proves them), from one pass over
    the sales. Every statement joins by hashing: the indexes are built afterwards."""
    zone = settings.TIME_ZONE
    statements = [
        (
            "each customer's sales per month",
            # And the walk-ins'. The last sale is the one with the highest id: ids grow with
            # sale time (number_sales).
            f"""
            CREATE UNLOGGED TABLE bench_month AS
            SELECT customer_id,
                   date_trunc('month', sold_at AT TIME ZONE %(zone)s)::date AS starts_on,
                   count(*) AS visits, sum(total) AS revenue, min(sold_at) AS first_at,
                   max(sold_at) AS last_at, max(id) AS last_sale_id
            FROM {SALES}
            WHERE voided_at IS NULL
            GROUP BY 1, 2
            """,
        ),
        (
            "visit figures and credit accounts",
            # One rewrite of the customers: a credit customer may have no visit, a visitor no
            # credit.
            f"""
            UPDATE {CUSTOMERS} AS c
            SET first_visit_at = v.first_at, last_visit_at = v.last_at,
                total_visits = coalesce(v.visits, 0), total_spent = coalesce(v.revenue, 0),
                last_cashier_id = s.cashier_id,
                -- core.staff.staff_name_expression, as the till stores it
                last_cashier_name = coalesce(
                    nullif(trim(u.first_name || ' ' || u.last_name), ''), u.username
                ),
                group_id = coalesce(a.group_id, c.group_id),
                credit_limit = coalesce(a.credit_limit, 0),
                credit_balance = coalesce(a.balance, 0)
            FROM (
                SELECT customer_id, min(first_at) AS first_at, max(last_at) AS last_at,
                       sum(visits) AS visits, sum(revenue) AS revenue,
                       max(last_sale_id) AS last_id
                FROM bench_month WHERE customer_id IS NOT NULL GROUP BY 1
            ) AS v
            FULL JOIN {credit_accounts} AS a ON a.customer_id = v.customer_id
            LEFT JOIN {SALES} AS s ON s.id = v.last_id
            LEFT JOIN {USERS} AS u ON u.id = s.cashier_id
            WHERE c.id = coalesce(v.customer_id, a.customer_id)
            """,
        ),
        (
            "customers' month and year totals",
            f"""
            INSERT INTO {TOTALS} (customer_id, period, starts_on, visits, revenue)
            SELECT customer_id, 'month', starts_on, visits, revenue
            FROM bench_month WHERE customer_id IS NOT NULL
            UNION ALL
            SELECT customer_id, 'year', date_trunc('year', starts_on)::date, sum(visits),
                   sum(revenue)
            FROM bench_month WHERE customer_id IS NOT NULL
            GROUP BY 1, 3
            """,
        ),
        (
            "the segments each customer counts in",
            # All customers; each of their clusters; or no cluster (sales.figures._segments).
            f"""
            CREATE UNLOGGED TABLE bench_segment AS
            SELECT id AS customer_id, 'customers' AS segment, 0 AS cluster_key
            FROM {CUSTOMERS}
            UNION ALL
            SELECT customer_id, 'cluster', cluster_id FROM {MEMBERS}
            UNION ALL
            SELECT c.id, 'no_cluster', 0 FROM {CUSTOMERS} c
            WHERE NOT EXISTS (SELECT 1 FROM {MEMBERS} m WHERE m.customer_id = c.id)
            """,
        ),
        (
            "sales summaries",
            f"""
            INSERT INTO {SUMMARY}
                (period, starts_on, segment, cluster_key, slot, visits, revenue, customers,
                 new_customers)
            SELECT coalesce(a.period, n.period), coalesce(a.starts_on, n.starts_on),
                   coalesce(a.segment, n.segment), coalesce(a.cluster_key, n.cluster_key), 0,
                   coalesce(a.visits, 0), coalesce(a.revenue, 0), coalesce(a.customers, 0),
                   coalesce(n.customers, 0)
            FROM (
                SELECT t.period, t.starts_on, g.segment, g.cluster_key, sum(t.visits) AS visits,
                       sum(t.revenue) AS revenue, count(*) AS customers
                FROM {TOTALS} t JOIN bench_segment g ON g.customer_id = t.customer_id
                GROUP BY 1, 2, 3, 4
            ) AS a
            FULL JOIN (
                SELECT p.period,
                       date_trunc(p.period, c.first_visit_at AT TIME ZONE %(zone)s)::date
                           AS starts_on,
                       g.segment, g.cluster_key, count(*) AS customers
                FROM {CUSTOMERS} c
                JOIN bench_segment g ON g.customer_id = c.id
                CROSS JOIN (VALUES ('month'), ('year')) AS p(period)
                WHERE c.first_visit_at IS NOT NULL
                GROUP BY 1, 2, 3, 4
            ) AS n USING (period, starts_on, segment, cluster_key)
            UNION ALL
            SELECT p.period, CASE p.period WHEN 'month' THEN starts_on
                                           ELSE date_trunc('year', starts_on)::date END,
                   'walk_in', 0, 0, sum(visits), sum(revenue), 0, 0
            FROM bench_month, (VALUES ('month'), ('year')) AS p(period)
            WHERE customer_id IS NULL
            GROUP BY 1, 2
            """,
        ),
        (
            "revenue bands",
            f"""
            INSERT INTO {BANDS} (period, starts_on, band, slot, customers, revenue)
            SELECT period, starts_on, width_bucket(revenue, %(floors)s::numeric[]) - 1, 0,
                   count(*), sum(revenue)
            FROM {TOTALS}
            GROUP BY 1, 2, 3
            """,
        ),
    ]
    execute("DROP TABLE IF EXISTS bench_month")
    execute("DROP TABLE IF EXISTS bench_segment")
    for label, sql in statements:
        started = time.perf_counter()
        execute(sql, {"zone": zone, "floors": REVENUE_BAND_FLOORS})
        log(f"    {label}: {time.perf_counter() - started:.1f} s")
    execute("DROP TABLE bench_month")
    execute("DROP TABLE bench_segment")
