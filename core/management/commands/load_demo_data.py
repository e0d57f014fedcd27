"""Fill an empty database with a believable Kenyan agro-dealer: staff logins, clusters, about
300 customers and about 3,000 sales over the last 18 months, and the payments on account of the
customers who buy on credit.

Everything goes through the services (customer_create, product_create, sale_complete,
credit_payment_receive), never straight into the tables, so the visit figures, credit balances,
ledger and change history are exactly what the shop would have after recording the same sales
and payments by hand. Running it again does nothing, so `make run` can call it every time.
"""

import heapq
import itertools
import random
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import NamedTuple

import phonenumbers
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from core.money import to_money
from core.roles import ADMIN, CASHIER, MANAGER
from credit.models import CreditPaymentMethod
from credit.services import CreditLimitExceeded, credit_payment_receive
from customers.models import Cluster, Customer, CustomerGroup
from customers.services import customer_create
from sales.models import PaymentMethod, Product
from sales.pricing import price_cart
from sales.services import product_create, sale_complete

RANDOM_SEED = 2026
# Payments on account draw from their own stream, so the customers and sales are the same ones
# whether or not payments are recorded.
PAYMENT_RANDOM_SEED = RANDOM_SEED + 1
DEFAULT_CUSTOMERS = 300
DEFAULT_SALES = 3000
HISTORY_DAYS = 548  # about 18 months


class DemoLogin(NamedTuple):
    username: str
    password: str
    role: str


DEMO_LOGINS = (
    DemoLogin("cashier", "cashier-demo-2026", CASHIER),
    DemoLogin("cashier2", "cashier-demo-2026", CASHIER),
    DemoLogin("manager", "manager-demo-2026", MANAGER),
    DemoLogin("admin", "admin-demo-2026", ADMIN),
)
STAFF_NAMES = {
    "cashier": ("Wanjiru", "Kamau"),
    "cashier2": ("Achieng", "Onyango"),
    "manager": ("Otieno", "Odhiambo"),
    "admin": ("Njeri", "Mwangi"),
}
# Who rings up the sales: the first cashier works most shifts, the manager covers now and then.
CASHIER_SHIFT_WEIGHTS = {"cashier": 50, "cashier2": 35, "manager": 15}

CLUSTERS = (
    ("Dairy farmers", "Deliver milk to the local cooperative; buy dairy meal and mineral salts."),
    ("Maize growers", "Seed, DAP and CAN at planting, top-dressing in the rains."),
    ("Tea growers", "Smallholders delivering green leaf to a KTDA factory."),
    ("Coffee cooperative", "Members of the coffee society; buy fungicides before flowering."),
    ("Horticulture", "Tomatoes, kale, onions and French beans for market."),
    ("Poultry keepers", "Layers and kienyeji chicken; buy chick mash and vaccines."),
    ("Avocado growers", "Hass avocado for export buyers."),
    ("Town traders", "Shops and kiosks in town that resell small packs."),
    ("Schools & institutions", "Schools, churches and hospitals with their own farms."),
    ("Boda boda riders", "Riders who buy for farmers along their routes."),
    ("Irrigation scheme", "Plot holders on the irrigation scheme; buy all year round."),
    ("Women's self-help group", "Chama members who buy together and share the transport."),
)

# Approximate town centres, so a customer's pin lands near the village they give.
VILLAGES = {
    "Mwingi": (-0.934, 38.060),
    "Kitui": (-1.367, 38.011),
    "Matuu": (-1.150, 37.530),
    "Kangundo": (-1.300, 37.350),
    "Nkubu": (-0.070, 37.670),
    "Chuka": (-0.333, 37.650),
    "Runyenjes": (-0.420, 37.570),
    "Kerugoya": (-0.500, 37.280),
    "Sagana": (-0.670, 37.210),
    "Karatina": (-0.480, 37.130),
    "Othaya": (-0.550, 36.940),
    "Kandara": (-0.900, 37.000),
    "Limuru": (-1.110, 36.640),
    "Githunguri": (-1.060, 36.780),
    "Juja": (-1.100, 37.010),
    "Kiganjo": (-0.400, 37.000),
    "Gatundu": (-1.010, 36.910),
    "Kabati": (-0.880, 37.120),
    "Makuyu": (-0.900, 37.190),
    "Masii": (-1.450, 37.440),
    "Wamunyu": (-1.400, 37.630),
    "Embu": (-0.530, 37.450),
    "Meru": (0.047, 37.650),
    "Nyeri": (-0.420, 36.950),
    "Murang'a": (-0.720, 37.150),
}
LOCATION_JITTER_DEGREES = 0.03

# Given names and surnames per community. Many Kenyans go by an English or Christian first name
# with a community name after it, so those are mixed in with every community.
CHRISTIAN_NAMES = (
    "Grace", "Mary", "Jane", "Esther", "Lucy", "Faith", "Joyce", "Ann", "Mercy", "Catherine",
    "John", "Peter", "Joseph", "David", "James", "Samuel", "Stephen", "Daniel", "Paul", "Francis",
)  # fmt: skip
COMMUNITIES = {
    "Kikuyu": (
        ("Wanjiru", "Njeri", "Wambui", "Nyambura", "Muthoni", "Wairimu", "Wanjiku", "Kamau",
         "Mwangi", "Njoroge", "Kariuki", "Waweru", "Githinji", "Ngugi"),
        ("Kamau", "Mwangi", "Njoroge", "Kariuki", "Waweru", "Githinji", "Ngugi", "Gachanja",
         "Macharia", "Kimani", "Wainaina", "Maina", "Njuguna", "Gitau"),
    ),
    "Kamba": (
        ("Mwende", "Ndinda", "Mueni", "Nduku", "Syokau", "Wayua", "Mutua", "Musyoka", "Kioko",
         "Mutiso", "Kilonzo", "Muthama"),
        ("Mutua", "Musyoka", "Kioko", "Mutiso", "Kilonzo", "Muthama", "Nzioka", "Mwanzia",
         "Kyalo", "Munyao", "Mbithi", "Kituku"),
    ),
    "Luo": (
        ("Achieng", "Akinyi", "Adhiambo", "Awino", "Atieno", "Anyango", "Otieno", "Ochieng",
         "Odhiambo", "Omondi", "Onyango", "Owino"),
        ("Otieno", "Odhiambo", "Ochieng", "Omondi", "Onyango", "Owino", "Okoth", "Ouma",
         "Oduor", "Obuya", "Okello", "Were"),
    ),
    "Luhya": (
        ("Nafula", "Nekesa", "Naliaka", "Nasimiyu", "Wafula", "Wanjala", "Barasa", "Wekesa",
         "Simiyu", "Khisa"),
        ("Wafula", "Wanjala", "Barasa", "Wekesa", "Khisa", "Simiyu", "Makokha", "Shikuku",
         "Wamalwa", "Juma", "Mukhwana", "Masinde"),
    ),
    "Kalenjin": (
        ("Chebet", "Jepkosgei", "Chepkoech", "Jeruto", "Cherono", "Jelagat", "Kiprotich",
         "Kipchumba", "Kiptoo", "Kibet", "Kipkemboi", "Cheruiyot"),
        ("Rotich", "Koech", "Langat", "Kiprotich", "Kipchumba", "Kiptoo", "Kibet", "Ruto",
         "Cheruiyot", "Tanui", "Kirui", "Sang"),
    ),
    "Meru": (
        ("Kawira", "Kendi", "Makena", "Nkatha", "Karimi", "Gacheri", "Mutwiri", "Murithi",
         "Gitonga", "Kirimi", "Mwiti", "Kinoti"),
        ("Mutwiri", "Murithi", "Gitonga", "Kirimi", "Mwiti", "Kinoti", "Mbaabu", "Kaberia",
         "Mugambi", "Muriuki", "Kimathi", "Koome"),
    ),
}  # fmt: skip
# The villages here are mostly Kikuyu, Kamba, Embu and Meru country; the rest came for work.
COMMUNITY_WEIGHTS = {"Kikuyu": 35, "Kamba": 25, "Meru": 15, "Luo": 10, "Luhya": 8, "Kalenjin": 7}
INSTITUTION_KINDS = (
    "Secondary School",
    "Girls High School",
    "Boys High School",
    "Dairy Farmers Co-operative Society",
    "Coffee Farmers Co-operative Society",
    "Catholic Mission",
    "Sub-County Hospital",
    "Agrovet Supplies Ltd",
)
STREETS = ("Market Road", "Hospital Road", "Kenyatta Avenue", "Stage Road", "Church Road")
EMAIL_DOMAINS = ("gmail.com", "gmail.com", "gmail.com", "yahoo.com", "outlook.com")

# National prefixes of Safaricom, Airtel and Telkom numbers that libphonenumber accepts for KE.
MOBILE_PREFIXES = (
    "0712", "0713", "0720", "0722", "0723", "0727", "0728", "0733", "0735", "0745",
    "0746", "0757", "0768", "0790", "0792", "0110", "0111", "0115", "0100", "0702",
)  # fmt: skip

# (slug, share of customers, chance of being given credit). Walk-in and Regular make up most of
# the book; wholesalers and institutions are few but buy more and are usually on account.
GROUP_MIX = (
    ("walk-in", 45, 0.10),
    ("regular", 40, 0.30),
    ("wholesale", 10, 0.60),
    ("corporate", 5, 0.80),
)

NEVER_BOUGHT_SHARE = 0.10  # so the table shows customers with empty First/Last Visit
WALK_IN_SALE_SHARE = 0.15  # sales with no customer attached
CREDIT_SALE_CHANCE = 0.40  # how often a customer with room on their account buys on credit


class PayingHabit(NamedTuple):
    """How a customer on credit pays: after each credit sale (and after each part payment),
    with `chance` they come back `days` later and pay what they then owe, or with
    1 - `full_chance` only `share` of it."""

    weight: int  # share of customers on credit with this habit
    chance: float
    days: tuple[int, int]
    full_chance: float  # how often they clear the whole account rather than part of it
    share: tuple[float, float]


# Most pay within the month; some take two or three; a few let it run. With FIFO ageing that
# gives a book with customers paid up, current balances, and balances 31-60, 61-90 and over 90
# days old.
PAYING_HABITS = (
    PayingHabit(weight=55, chance=0.97, days=(3, 28), full_chance=0.8, share=(0.4, 0.9)),
    PayingHabit(weight=30, chance=0.9, days=(20, 60), full_chance=0.35, share=(0.3, 0.7)),
    PayingHabit(weight=15, chance=0.5, days=(45, 120), full_chance=0.1, share=(0.1, 0.4)),
)
MPESA_PAYMENT_SHARE = 0.65  # most money on account comes by M-Pesa
# What an agro-dealer in Kitui County stocks: (name, barcode or SKU, retail, wholesale, weight
# in a typical basket). Loose goods sold by the kilogram have codes starting LOOSE.
PRODUCTS = (
    ("DAP fertiliser 50 kg", "6161101230011", "3500.00", "3300.00", 6),
    ("CAN fertiliser 50 kg", "6161101230028", "3200.00", "3000.00", 5),
    ("NPK 23:23:0 fertiliser 50 kg", "6161101230035", "3800.00", "3550.00", 2),
    ("Urea 50 kg", "6161101230042", "3400.00", "3200.00", 2),
    ("DAP fertiliser, loose (kg)", "LOOSE-DAP", "75.00", "70.00", 8),
    ("CAN fertiliser, loose (kg)", "LOOSE-CAN", "70.00", "65.00", 6),
    ("H614D hybrid maize seed 2 kg", "6161100450013", "560.00", "520.00", 8),
    ("DH04 drought-tolerant maize seed 2 kg", "6161100450020", "540.00", "500.00", 6),
    ("Katumani maize seed 2 kg", "6161100450037", "380.00", "350.00", 5),
    ("Green gram (Ndengu) seed 1 kg", "6161100450044", "320.00", "290.00", 4),
    ("Bean seed Rosecoco 2 kg", "6161100450051", "600.00", "560.00", 3),
    ("Sukuma wiki seed 50 g", "6161100450068", "150.00", "130.00", 5),
    ("Tomato seed Anna F1 10 g", "6161100450075", "1200.00", "1100.00", 2),
    ("Dairy meal 70 kg", "6161102340016", "3100.00", "2900.00", 6),
    ("Dairy meal, loose (kg)", "LOOSE-DAIRY", "48.00", "45.00", 5),
    ("Layers mash 70 kg", "6161102340023", "3600.00", "3400.00", 3),
    ("Chick mash 10 kg", "6161102340030", "750.00", "700.00", 3),
    ("Maclick mineral salt 2 kg", "6161102340047", "390.00", "360.00", 5),
    ("Mineral lick block 5 kg", "6161102340054", "450.00", "420.00", 3),
    ("Duduthrin insecticide 100 ml", "6161103450019", "280.00", "255.00", 5),
    ("Ridomil Gold fungicide 250 g", "6161103450026", "850.00", "790.00", 3),
    ("Roundup herbicide 1 l", "6161103450033", "1150.00", "1080.00", 3),
    ("Actellic Super dust 200 g", "6161103450040", "190.00", "170.00", 5),
    ("Triatix cattle dip 100 ml", "6161103450057", "420.00", "390.00", 4),
    ("Albendazole dewormer 100 ml", "6161103450064", "360.00", "330.00", 3),
    ("Knapsack sprayer 16 l", "6161104560012", "3800.00", "3500.00", 1),
    ("Jembe (hoe) with handle", "6161104560029", "650.00", "600.00", 2),
    ("Panga", "6161104560036", "450.00", "420.00", 2),
    ("Hermetic grain bag 90 kg", "6161104560043", "250.00", "220.00", 4),
    ("Polythene sheet 4 m", "6161104560050", "300.00", "280.00", 2),
)  # fmt: skip
# Bags a buyer of each group takes of a product; wholesalers and institutions buy by the dozen.
BASKET_QUANTITY = {"walk-in": (1, 2), "regular": (1, 3), "wholesale": (3, 20), "corporate": (2, 15)}

# Shop hours (local time) per weekday, Monday = 0. Sunday is a short half day after church.
SHOP_HOURS = {weekday: (time(7, 30), time(18, 30)) for weekday in range(6)} | {
    6: (time(10, 0), time(14, 0))
}
# Relative trade per month: planting for the long rains (March-April) and the short rains
# (October-November) is when farmers buy seed and fertiliser.
MONTH_TRADE = {1: 8, 2: 10, 3: 16, 4: 14, 5: 9, 6: 7, 7: 7, 8: 8, 9: 10, 10: 15, 11: 13, 12: 9}


class Command(BaseCommand):
    help = (
        "Load demo staff logins, clusters, customers and 18 months of sales into an empty "
        "database. Does nothing if the demo 'cashier' login already exists."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers",
            type=int,
            default=DEFAULT_CUSTOMERS,
            help=f"How many customers to create (default {DEFAULT_CUSTOMERS}).",
        )
        parser.add_argument(
            "--sales",
            type=int,
            default=DEFAULT_SALES,
            help=f"How many sales to record (default {DEFAULT_SALES}).",
        )

    def handle(self, *args, customers: int, sales: int, **options):
        if User.objects.filter(username=DEMO_LOGINS[0].username).exists():
            self.stdout.write("Demo data is already loaded; nothing to do.")
            self._print_logins()
            return
        rng = random.Random(RANDOM_SEED)
        # One transaction: SQLite writes its journal once instead of per row, and a run that
        # fails half way leaves nothing behind, so the next run starts again from scratch.
        with transaction.atomic():
            staff = _create_staff()
            clusters = [
                Cluster.objects.create(name=name, description=description)
                for name, description in CLUSTERS
            ]
            demo_customers = _create_customers(
                rng, count=customers, actor=staff["admin"], clusters=clusters
            )
            products = _create_products(actor=staff["manager"])
            recorded, payments = _record_sales(
                rng, count=sales, staff=staff, customers=demo_customers, products=products
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {len(DEMO_LOGINS)} logins, {len(clusters)} clusters, "
                f"{len(products)} products, {len(demo_customers)} customers, {recorded} sales "
                f"and {payments} payments on account."
            )
        )
        self._print_logins()

    def _print_logins(self):
        self.stdout.write("Demo logins (username / password / role):")
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.username:<10} {login.password:<20} {login.role}")


def _create_staff() -> dict[str, User]:
    staff = {}
    for login in DEMO_LOGINS:
        first_name, last_name = STAFF_NAMES[login.username]
        is_admin = login.role == ADMIN
        user = User(
            username=login.username,
            first_name=first_name,
            last_name=last_name,
            is_staff=is_admin,
            is_superuser=is_admin,
        )
        user.set_password(login.password)
        user.save()
        user.groups.add(Group.objects.get(name=login.role))
        staff[login.username] = user
    return staff


class _DemoCustomer(NamedTuple):
    """A created customer plus what the sale generator needs to know about their habits."""

    customer: Customer
    group_slug: str
    # Relative chance of being the customer at the till, and the window in which they shop:
    # customers join and drift away over the 18 months, which spreads First and Last Visit.
    buying_weight: float
    shops_from: float  # POSIX timestamps: comparing floats keeps the per-sale pick cheap
    shops_until: float


def _create_customers(rng, *, count, actor, clusters) -> list[_DemoCustomer]:
    groups = {group.slug: group for group in CustomerGroup.objects.all()}
    history_start = timezone.now() - timedelta(days=HISTORY_DAYS)
    used_names, used_phones, used_pins = set(), set(), set()
    created = []
    for _index in range(count):
        group_slug, _share, credit_chance = rng.choices(
            GROUP_MIX, weights=[share for _slug, share, _chance in GROUP_MIX]
        )[0]
        village = rng.choice(list(VILLAGES))
        if group_slug == "corporate":
            name = _unique(
                used_names, lambda town=village: f"{town} {rng.choice(INSTITUTION_KINDS)}"
            )
            customer_clusters = [_cluster(clusters, "Schools & institutions")]
        else:
            name = _unique(used_names, lambda: _person_name(rng))
            customer_clusters = rng.sample(clusters, k=rng.choice((1, 1, 2, 3)))
        fields = {
            "village": village,
            "send_sms": rng.random() < 0.6,
            "credit_limit": (
                Decimal(rng.randrange(5, 51) * 1000) if rng.random() < credit_chance else Decimal(0)
            ),
        }
        if rng.random() < 0.9:
            # Individuals' KRA PINs start with A, companies' and institutions' with P.
            pin_letter = "P" if group_slug == "corporate" else "A"
            fields["tax_pin"] = _unique(
                used_pins,
                lambda letter=pin_letter: (
                    f"{letter}{rng.randrange(10**9):09d}{rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}"
                ),
            )
        if rng.random() < 0.4:
            fields["latitude"], fields["longitude"] = _location_near(rng, village)
        if rng.random() < 0.2:
            fields["email"] = _email_for(rng, name)
        if rng.random() < 0.25:
            fields["address"] = _address_in(rng, village)
        customer = customer_create(
            actor=actor,
            name=name,
            phone=_unique(used_phones, lambda: _mobile_number(rng)),
            clusters=customer_clusters,
            group=groups[group_slug],
            **fields,
        )
        shops_from = history_start + timedelta(days=rng.triangular(0, HISTORY_DAYS, 0))
        # A quarter of buyers stopped coming some time ago; the rest still shop today.
        shops_until = (
            shops_from + (timezone.now() - shops_from) * rng.uniform(0.2, 0.9)
            if rng.random() < 0.25
            else timezone.now()
        )
        # A long tail of loyal regulars, capped so nobody is at the till every single day.
        buying_weight = (
            0.0 if rng.random() < NEVER_BOUGHT_SHARE else min(rng.paretovariate(1.5), 12.0)
        )
        created.append(
            _DemoCustomer(
                customer,
                group_slug,
                buying_weight,
                shops_from.timestamp(),
                shops_until.timestamp(),
            )
        )
    return created


def _create_products(*, actor) -> list[tuple[Product, int]]:
    return [
        (
            product_create(
                actor=actor,
                name=name,
                code=code,
                retail_price=Decimal(retail),
                wholesale_price=Decimal(wholesale),
            ),
            weight,
        )
        for name, code, retail, wholesale, weight in PRODUCTS
    ]


def _unique(used: set, make):
    """Call `make` until it returns a value not in `used`; remember and return that value."""
    while True:
        value = make()
        if value not in used:
            used.add(value)
            return value


def _cluster(clusters, name) -> Cluster:
    return next(cluster for cluster in clusters if cluster.name == name)


def _person_name(rng) -> str:
    community = rng.choices(list(COMMUNITY_WEIGHTS), weights=list(COMMUNITY_WEIGHTS.values()))[0]
    given_names, surnames = COMMUNITIES[community]
    surname = rng.choice(surnames)
    given = rng.choice(CHRISTIAN_NAMES if rng.random() < 0.5 else given_names)
    if rng.random() < 0.2:
        # Three names, as on an ID card: "Grace Wanjiru Kamau".
        second = rng.choice(given_names)
        if second not in (given, surname):
            return f"{given} {second} {surname}"
    if given == surname:
        given = rng.choice(CHRISTIAN_NAMES)
    return f"{given} {surname}"


def _mobile_number(rng) -> str:
    while True:
        number = f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**6):06d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number, "KE")):
            return number


def _location_near(rng, village) -> tuple[Decimal, Decimal]:
    latitude, longitude = VILLAGES[village]
    return (
        Decimal(f"{latitude + rng.uniform(-1, 1) * LOCATION_JITTER_DEGREES:.6f}"),
        Decimal(f"{longitude + rng.uniform(-1, 1) * LOCATION_JITTER_DEGREES:.6f}"),
    )


def _email_for(rng, name) -> str:
    words = name.lower().replace("'", "").replace("&", "and").split()
    local_part = f"{words[0]}.{words[-1]}" if rng.random() < 0.6 else f"{words[0]}{words[-1]}"
    return f"{local_part}{rng.randrange(1, 99)}@{rng.choice(EMAIL_DOMAINS)}"


def _address_in(rng, village) -> str:
    if rng.random() < 0.6:
        return f"P.O. Box {rng.randrange(1, 2000)}, {village}"
    return f"Plot {rng.randrange(1, 300)}, {rng.choice(STREETS)}, {village}"


def _record_sales(
    rng, *, count, staff, customers: list[_DemoCustomer], products
) -> tuple[int, int]:
    """Record `count` sales and the payments on account that follow the credit sales, all in
    time order; returns how many of each."""
    cashiers = [staff[username] for username in CASHIER_SHIFT_WEIGHTS]
    shift_weights = list(CASHIER_SHIFT_WEIGHTS.values())
    # What each customer owes so far, so most credit sales that would pass the limit become
    # cash sales without a round trip through the refusal.
    owed = {demo.customer.pk: Decimal(0) for demo in customers}
    mpesa_codes: set[str] = set()
    payments = _Payments(staff=staff, owed=owed, mpesa_codes=mpesa_codes)
    recorded = 0
    # Chronological, as a real till would record them: Last Visit and Last Cashier come from
    # the latest sale, each credit sale sees the balance the earlier ones left, and a payment
    # on account comes in between the sales of its day.
    for sold_at in _sale_times(rng, count):
        payments.receive_due(until=sold_at)
        demo = (
            None if rng.random() < WALK_IN_SALE_SHARE else _pick_customer(rng, customers, sold_at)
        )
        customer = demo.customer if demo else None
        lines = _basket(rng, products, demo.group_slug if demo else "walk-in")
        total = price_cart(lines, customer=customer).total
        payment_method = rng.choice((PaymentMethod.CASH, PaymentMethod.MPESA))
        if demo is not None:
            limit = demo.customer.credit_limit
            if (
                limit > 0
                and rng.random() < CREDIT_SALE_CHANCE
                and owed[customer.pk] + total <= limit
            ):
                payment_method = PaymentMethod.CREDIT
        sale_kwargs = {
            "cashier": rng.choices(cashiers, weights=shift_weights)[0],
            "customer": customer,
            "lines": lines,
            "sold_at": sold_at,
            "cash_tendered": _cash_tendered(rng, total),
        }
        try:
            sale_complete(
                payment_method=payment_method,
                mpesa_code=_unique(mpesa_codes, lambda: _mpesa_code(rng)),
                **sale_kwargs,
            )
        except CreditLimitExceeded:
            # The service has the final word on the limit; the customer pays cash instead.
            sale_complete(payment_method=PaymentMethod.CASH, **sale_kwargs)
        else:
            if payment_method == PaymentMethod.CREDIT:
                owed[customer.pk] += total
                payments.expect(customer, sold_at)
        recorded += 1
    payments.receive_due(until=timezone.now())
    return recorded, payments.received


class _Payments:
    """Payments on account, each some days after a credit sale: scheduled as credit sales are
    made and received in time order between the sales (`receive_due`)."""

    def __init__(self, *, staff, owed: dict[int, Decimal], mpesa_codes: set[str]):
        self.rng = random.Random(PAYMENT_RANDOM_SEED)
        self.cashiers = [staff[username] for username in CASHIER_SHIFT_WEIGHTS]
        self.shift_weights = list(CASHIER_SHIFT_WEIGHTS.values())
        self.owed = owed
        self.mpesa_codes = mpesa_codes
        self.habits: dict[int, PayingHabit] = {}
        self.due: list[tuple[datetime, int, Customer]] = []  # a heap: the earliest first
        self.numbers = itertools.count()  # breaks ties, so the heap never compares customers
        self.received = 0

    def habit(self, customer: Customer) -> PayingHabit:
        if customer.pk not in self.habits:
            self.habits[customer.pk] = self.rng.choices(
                PAYING_HABITS, weights=[habit.weight for habit in PAYING_HABITS]
            )[0]
        return self.habits[customer.pk]

    def expect(self, customer: Customer, after: datetime) -> None:
        """After a credit sale or a part payment: maybe the customer comes back some days later
        to pay (more)."""
        habit = self.habit(customer)
        if self.rng.random() >= habit.chance:
            return
        day = timezone.localtime(after).date() + timedelta(days=self.rng.randint(*habit.days))
        opens, closes = _opening_time(day), _closing_time(day)
        seconds_open = int((closes - opens).total_seconds())
        paid_at = opens + timedelta(seconds=self.rng.randrange(seconds_open))
        if after < paid_at < timezone.now():
            heapq.heappush(self.due, (paid_at, next(self.numbers), customer))

    def receive_due(self, *, until: datetime) -> None:
        while self.due and self.due[0][0] <= until:
            paid_at, _number, customer = heapq.heappop(self.due)
            self.receive(customer, paid_at)

    def receive(self, customer: Customer, paid_at: datetime) -> None:
        owed = self.owed[customer.pk]
        if owed <= 0:
            return  # an earlier payment already cleared the account
        habit = self.habit(customer)
        if self.rng.random() < habit.full_chance:
            amount = owed
        else:
            # Part of it, in round hundreds as people pay; all of it when that is little.
            amount = Decimal(int(owed * Decimal(self.rng.uniform(*habit.share)) / 100) * 100)
            amount = owed if amount < 100 else min(amount, owed)
        if self.rng.random() < MPESA_PAYMENT_SHARE:
            method = CreditPaymentMethod.MPESA
            code = _unique(self.mpesa_codes, lambda: _mpesa_code(self.rng))
        else:
            method, code = CreditPaymentMethod.CASH, ""
        credit_payment_receive(
            actor=self.rng.choices(self.cashiers, weights=self.shift_weights)[0],
            customer=customer,
            amount=amount,
            method=method,
            mpesa_code=code,
            received_at=paid_at,
        )
        self.owed[customer.pk] = owed - amount
        self.received += 1
        if amount < owed:
            self.expect(customer, paid_at)  # the rest, in instalments


def _basket(rng, products, group_slug) -> list[tuple[Product, Decimal]]:
    """One to four different products, a few bags (or kilograms) of each."""
    catalogue = [product for product, _weight in products]
    weights = [weight for _product, weight in products]
    picked = rng.choices(catalogue, weights, k=rng.randint(1, 4))
    chosen = {product.pk: product for product in picked}
    low, high = BASKET_QUANTITY[group_slug]
    lines = []
    for product in chosen.values():
        if product.code.startswith("LOOSE"):
            quantity = Decimal(rng.choice(("0.5", "1", "2", "2.5", "5", "10")))
        else:
            quantity = Decimal(rng.randint(low, high))
        lines.append((product, quantity))
    return lines


def _cash_tendered(rng, total: Decimal) -> Decimal:
    """Exact money or the next round note: what people hand over at a counter."""
    note = rng.choice((Decimal(1), Decimal(50), Decimal(100), Decimal(500), Decimal(1000)))
    return to_money((total / note).to_integral_value(rounding=ROUND_CEILING) * note)


MPESA_CODE_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _mpesa_code(rng) -> str:
    return "".join(rng.choices(MPESA_CODE_CHARACTERS, k=10))


def _sale_times(rng, count) -> list[datetime]:
    """`count` sale times within shop hours over the history, busier in the planting months,
    none in the future, oldest first."""
    now = timezone.localtime()
    first_day = now.date() - timedelta(days=HISTORY_DAYS)
    days = [first_day + timedelta(days=offset) for offset in range(HISTORY_DAYS + 1)]
    days = [day for day in days if _opening_time(day) < now]
    weights = [MONTH_TRADE[day.month] * (0.4 if day.weekday() == 6 else 1.0) for day in days]
    times = []
    for day in rng.choices(days, weights=weights, k=count):
        opens = _opening_time(day)
        closes = min(_closing_time(day), now)
        seconds_open = int((closes - opens).total_seconds())
        times.append(opens + timedelta(seconds=rng.randrange(max(seconds_open, 1))))
    return sorted(times)


def _opening_time(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, SHOP_HOURS[day.weekday()][0]))


def _closing_time(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, SHOP_HOURS[day.weekday()][1]))


def _pick_customer(rng, customers: list[_DemoCustomer], sold_at) -> _DemoCustomer | None:
    sold_at = sold_at.timestamp()
    shopping = [
        demo
        for demo in customers
        if demo.buying_weight > 0 and demo.shops_from <= sold_at <= demo.shops_until
    ]
    if not shopping:
        return None  # nobody on the books shops yet: a walk-in sale
    return rng.choices(shopping, weights=[demo.buying_weight for demo in shopping])[0]
