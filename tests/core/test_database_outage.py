"""The database going away for a moment: pages answer 503 "try again" (never the 500 page of a
bug), and the background worker starts again by itself. The whole recovery, with PostgreSQL
really restarted under 50 staff at work, is proven by `make loadtest` (core/loadtest/)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import InterfaceError, OperationalError
from django.test import Client
from django.urls import reverse

from core.errors import RETRY_AFTER_SECONDS
from core.management.commands import worker as worker_command
from customers.views import CustomerListView

pytestmark = pytest.mark.django_db


@pytest.fixture
def answering_client(manager):
    """A client that answers as the server does (the error page) instead of raising."""
    client = Client(raise_request_exception=False)
    client.force_login(manager)
    return client


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("server closed the connection unexpectedly"),
        InterfaceError("connection already closed"),
    ],
)
def test_a_lost_database_is_a_503_page_that_says_try_again(answering_client, monkeypatch, error):
    def database_gone(self):
        raise error

    monkeypatch.setattr(CustomerListView, "get_queryset", database_gone)
    response = answering_client.get(reverse("customers:customer_list"))
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    page = response.content.decode()
    assert "The database is not answering" in page
    assert "try again" in page
    assert "recorded only once" in page


def test_a_lost_database_in_a_middleware_is_a_503_too(answering_client, monkeypatch):
    """The session is read by the authentication middleware's user, outside any view."""
    from django.contrib.sessions.backends.db import SessionStore

    def database_gone(self):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(SessionStore, "load", database_gone)
    response = answering_client.get(reverse("customers:customer_list"))
    assert response.status_code == 503


def test_any_other_failure_is_still_the_500_page(answering_client, monkeypatch):
    def bug(self):
        raise ZeroDivisionError

    monkeypatch.setattr(CustomerListView, "get_queryset", bug)
    response = answering_client.get(reverse("customers:customer_list"))
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_the_worker_starts_again_when_the_database_goes_away(monkeypatch):
    runs = []

    def db_worker(name, **options):
        runs.append(name)
        if len(runs) == 1:
            raise OperationalError("terminating connection due to administrator command\nmore")
        # the second run stops on its own, as db_worker --batch does

    pauses = []
    monkeypatch.setattr(worker_command, "call_command", db_worker)
    monkeypatch.setattr(worker_command.time, "sleep", pauses.append)
    errors = StringIO()
    call_command("worker", "--retry-seconds", "2", stderr=errors)
    assert runs == ["db_worker", "db_worker"]
    assert pauses == [2.0]
    assert "more" not in errors.getvalue()  # the first line of the error, not all of it
    assert (
        "The database is not answering (OperationalError: terminating connection due to "
        "administrator command); the worker starts again in 2 s." in errors.getvalue()
    )


def test_the_worker_does_not_hide_other_failures(monkeypatch):
    def db_worker(name, **options):
        raise ValueError("a bug")

    monkeypatch.setattr(worker_command, "call_command", db_worker)
    with pytest.raises(ValueError):
        call_command("worker", stderr=StringIO())
