"""Background jobs (Django's tasks API through django-tasks; `manage.py db_worker` runs them):
checking and importing a spreadsheet, which can take a minute at 50,000 rows, more than a
browser waits for a page. Each names its kind of import by the dotted path of its Importer."""

from django.utils.module_loading import import_string
from django_tasks import task

from core import importing


@task()
def check_import(importer_path: str, record_id: int) -> None:
    importing.import_check(import_string(importer_path), record_id)


@task()
def run_import(importer_path: str, record_id: int) -> None:
    importing.import_run(import_string(importer_path), record_id)
