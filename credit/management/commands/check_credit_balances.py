from django.core.management.base import BaseCommand, CommandError

from core.money import to_money
from credit.selectors import customers_with_balance_not_matching_ledger


class Command(BaseCommand):
    help = (
        "Check that every customer's stored credit balance equals the sum of their credit "
        "ledger. Prints each customer whose balance differs and exits non-zero if any does; "
        "changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit",
            type=int,
            default=100,
            help="Stop after this many customers that differ (100).",
        )

    def handle(self, *args, limit=100, **options):
        wrong = customers_with_balance_not_matching_ledger(limit=max(limit, 1))
        for row in wrong:
            self.stdout.write(
                f"customer {row['pk']} ({row['name']}): balance "
                f"{to_money(row['credit_balance']):.2f}, ledger {to_money(row['ledger']):.2f}"
            )
        if wrong:
            more = " (or more)" if len(wrong) >= limit else ""
            raise CommandError(
                f"{len(wrong)}{more} customer(s) have a credit balance that differs from their "
                "ledger."
            )
        self.stdout.write(
            self.style.SUCCESS("Every customer's credit balance equals their ledger.")
        )
