"""`manage.py lightness` (make lightness): the till's bytes, round trips, keys and times on a slow
mobile link, measured in Chromium against the production server (core/lightness.py)."""

from decimal import Decimal
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from core import lightness
from core.bench import database_url, require_postgresql, run_facts, throwaway_database
from core.management.commands.load_demo_data import DEMO_LOGINS
from core.management.commands.loadtest import Server
from core.roles import CASHIER, MANAGER
from credit.services import credit_limit_set
from customers.models import Customer
from customers.selectors import customer_suggestions
from sales.models import PaymentMethod, Product, Sale


class Command(BaseCommand):
    help = (
        "How light the till is on a slow mobile link: the production server (gunicorn with the "
        "production settings, as make serve runs it) in a throwaway PostgreSQL database "
        "(<NAME>_lightness, created and dropped) holding the demo shop; Chromium through "
        "Playwright, logged in as the demo cashier, on a link emulated through CDP (400 ms "
        "round trip, 400 kbit/s each way). Prints the till's first load (bytes on the wire by "
        "type, round trips, time to usable; cold and warm cache) and, for a keyboard credit "
        "sale of two products to a known customer, each step's bytes, round trips, time and "
        "non-typing keys, each figure beside its target. Writes --json and --markdown. A "
        "benchmark: it fails only if the sale cannot be made (or, with --fail-on-miss, when a "
        "target is not met)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8766, help="The server's port (8766).")
        parser.add_argument(
            "--latency", type=int, default=lightness.SLOW_3G["latency"],
            help="Emulated round trip in ms (400).",
        )  # fmt: skip
        parser.add_argument(
            "--kbits", type=int, default=lightness.SLOW_3G["downloadThroughput"] * 8 // 1000,
            help="Emulated throughput each way in kbit/s (400).",
        )  # fmt: skip
        parser.add_argument(
            "--chromium", default=str(lightness.CHROMIUM), help=f"Chromium ({lightness.CHROMIUM})."
        )
        parser.add_argument(
            "--output",
            default=str(Path(settings.BASE_DIR) / "var" / "lightness"),
            help="Folder for the server's logs (var/lightness).",
        )
        parser.add_argument("--json", metavar="PATH", help="Also write the figures as JSON.")
        parser.add_argument("--markdown", metavar="PATH", help="And as Markdown tables.")
        parser.add_argument(
            "--keep-database", action="store_true", help="Keep <NAME>_lightness afterwards."
        )
        parser.add_argument(
            "--fail-on-miss", action="store_true", help="Exit non-zero when a target is missed."
        )

    def handle(self, *args, **options):
        require_postgresql("lightness")
        if not Path(options["chromium"]).exists():
            raise CommandError(f"No Chromium at {options['chromium']} (apt-get install chromium).")
        network = {
            **lightness.SLOW_3G,
            "latency": options["latency"],
            "downloadThroughput": options["kbits"] * 1000 // 8,
            "uploadThroughput": options["kbits"] * 1000 // 8,
        }
        output = Path(options["output"])
        output.mkdir(parents=True, exist_ok=True)
        log = self.stderr.write

        with throwaway_database("lightness", keep=options["keep_database"], log=log):
            log("Loading the demo shop (load_demo_data)...")
            call_command("load_demo_data", stdout=StringIO())
            cashier = next(login for login in DEMO_LOGINS if login.role == CASHIER)
            products = list(Product.objects.filter(is_active=True).order_by("pk")[:2])
            customer, query = known_credit_customer(room=sum(_dearest(p) for p in products))
            facts = run_facts()
            sales_before = Sale.objects.count()
            server = Server(database_url(), port=options["port"], log=log)
            server.collect_static()
            connection.close()
            with server.running(output):
                results = lightness.measure(
                    server.url,
                    username=cashier.username,
                    password=cashier.password,
                    product_codes=tuple(p.code for p in products),
                    customer_query=query,
                    network=network,
                    chromium=options["chromium"],
                    log=log,
                )
            problems = server.problems + sale_problems(
                sales_before, customer=customer, cashier=cashier.username, products=products
            )
        results = {
            **facts,
            **results,
            "sale_to": {"customer": customer.name, "typed": query},
            "products": [p.code for p in products],
        }
        lightness.write(results, json_path=options["json"], markdown_path=options["markdown"])
        self.stdout.write(lightness.markdown(results))
        if problems:
            raise CommandError("The sale went wrong:\n- " + "\n- ".join(problems))
        missed = [row["what"] for row in lightness.judge(results) if not row["met"]]
        if missed and options["fail_on_miss"]:
            raise CommandError("Targets not met:\n- " + "\n- ".join(missed))
        self.stdout.write(
            self.style.SUCCESS("Every target met.")
            if not missed
            else self.style.WARNING(f"{len(missed)} target(s) not met.")
        )


def _dearest(product: Product) -> Decimal:
    return max(product.retail_price, product.wholesale_price)


def known_credit_customer(*, room: Decimal) -> tuple[Customer, str]:
    """A demo customer on credit whom the till's box finds alone by name (else by phone), with
    room for the sale (the limit raised if need be, through the service)."""
    manager = User.objects.filter(groups__name=MANAGER).order_by("pk").first()
    for customer in Customer.objects.filter(credit_limit__gt=0).order_by("pk"):
        query = customer.name
        if [match.pk for match in customer_suggestions(query)] != [customer.pk]:
            if not customer.phone:
                continue
            query = "0" + str(customer.phone.national_number)
            if [match.pk for match in customer_suggestions(query)] != [customer.pk]:
                continue
        if customer.available_credit < room:
            customer = credit_limit_set(
                actor=manager, customer=customer, credit_limit=customer.credit_balance + room * 10
            )
        return customer, query
    raise CommandError("The demo shop has no customer on credit the till finds alone.")


def sale_problems(sales_before: int, *, customer, cashier: str, products) -> list[str]:
    """The sale the browser made is recorded once, on credit, to that customer."""
    new = list(Sale.objects.order_by("pk")[sales_before:].select_related("customer", "cashier"))
    if len(new) != 1:
        return [f"{len(new)} sales were recorded, not 1"]
    sale = new[0]
    problems = []
    if sale.payment_method != PaymentMethod.CREDIT:
        problems.append(f"the sale was recorded as {sale.payment_method}, not credit")
    if sale.customer_id != customer.pk:
        problems.append(f"the sale went to {sale.customer}, not {customer.name}")
    if sale.cashier.username != cashier:
        problems.append(f"the sale was rung up by {sale.cashier}, not {cashier}")
    if sorted(sale.lines.values_list("product_id", flat=True)) != sorted(p.pk for p in products):
        problems.append("the sale's lines are not the two products")
    return problems
