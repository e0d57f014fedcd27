from django.core.management.base import BaseCommand, CommandError

from sales.figures import figures_differences, figures_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the figures the reports read pre-aggregated (sales.figures: each customer's "
        "sales per month and year, the sales summaries per segment, the VIP revenue bands) "
        "from the sales. With --check, change nothing and exit non-zero if any differ."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Only report figures that differ.")

    def handle(self, *args, check=False, **options):
        if check:
            differences = figures_differences()
            for line in differences:
                self.stdout.write(line)
            if differences:
                raise CommandError(
                    f"{len(differences)} report figure(s) differ from the sales"
                    + (" (the first 100 shown)." if len(differences) >= 100 else ".")
                )
            self.stdout.write(self.style.SUCCESS("Every report figure matches the sales."))
            return
        written = figures_rebuild()
        self.stdout.write(
            self.style.SUCCESS(
                "Rebuilt the report figures: "
                + ", ".join(f"{count} {what}" for what, count in written.items())
                + "."
            )
        )
