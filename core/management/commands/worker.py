"""`manage.py worker` (make run, make serve): the background worker that checks and imports
spreadsheets, started again by itself when the database goes away.

django-tasks' own `db_worker` stops with a traceback when the database restarts under it, and
imports would then wait until someone noticed and restarted it; the web pages recover on their
own (a 503 page meanwhile, then a fresh connection), and so must the worker."""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError, connections


class Command(BaseCommand):
    help = (
        "Run the background worker (django-tasks' db_worker) and start it again, after a pause, "
        "whenever the database stops answering. Ctrl+C or SIGTERM stops it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--retry-seconds",
            type=float,
            default=5.0,
            help="How long to wait before trying the database again (5).",
        )

    def handle(self, *args, retry_seconds, verbosity, **options):
        while True:
            try:
                call_command("db_worker", verbosity=verbosity)
            except (OperationalError, InterfaceError) as error:
                first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
                self.stderr.write(
                    f"The database is not answering ({type(error).__name__}: {first_line}); "
                    f"the worker starts again in {retry_seconds:g} s."
                )
                connections.close_all()
                time.sleep(retry_seconds)
            else:
                return  # db_worker stopped on its own (--batch, --max-tasks)
