"""Background jobs: checking and importing a customer file, which can take a minute at 50,000
rows (more than a browser waits for a page). The page follows them through core.progress."""

from django_tasks import task

from customers import importing


@task()
def check_customer_import(record_id: int) -> None:
    importing.customer_import_check(record_id)


@task()
def run_customer_import(record_id: int) -> None:
    importing.customer_import_run(record_id)
