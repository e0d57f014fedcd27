from django.core.management.base import BaseCommand, CommandError

from sales.selectors import customers_with_stale_visit_figures
from sales.services import visit_figures_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild every customer's First Visit, Last Visit, Total Visits, Total Spent and Last "
        "Cashier from the sales. With --check, change nothing and exit non-zero if any differ."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Only report customers whose figures differ."
        )

    def handle(self, *args, check=False, **options):
        if check:
            stale = customers_with_stale_visit_figures()
            for row in stale:
                self.stdout.write(f"customer {row['pk']}: {row['differences']}")
            if stale:
                raise CommandError(f"{len(stale)} customer(s) have visit figures that differ.")
            self.stdout.write(self.style.SUCCESS("Every customer's visit figures match the sales."))
            return
        updated = visit_figures_rebuild()
        self.stdout.write(self.style.SUCCESS(f"Rebuilt visit figures for {updated} customers."))
