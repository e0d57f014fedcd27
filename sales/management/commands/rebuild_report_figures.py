from django.core.management.base import BaseCommand, CommandError

from sales.selectors import customers_with_stale_sales_totals
from sales.services import sales_totals_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the figures the reports read pre-aggregated (each customer's sales per month "
        "and per year, CustomerSalesTotal) from the sales. With --check, change nothing and "
        "exit non-zero if any differ."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Only report customers whose figures differ."
        )

    def handle(self, *args, check=False, **options):
        if check:
            stale = customers_with_stale_sales_totals()
            for row in stale:
                self.stdout.write(f"customer {row['pk']}: {row['differences']}")
            if stale:
                raise CommandError(f"{len(stale)} customer(s) have report figures that differ.")
            self.stdout.write(
                self.style.SUCCESS("Every customer's report figures match the sales.")
            )
            return
        written = sales_totals_rebuild()
        self.stdout.write(self.style.SUCCESS(f"Rebuilt the report figures: {written} rows."))
