import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("login")


def attempt(client, username, password, address="10.0.0.5"):
    return client.post(LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_login_and_logout(client, cashier):
    response = attempt(client, "cashier", "pw-for-tests-only")
    assert response.status_code == 302
    assert client.get(reverse("customers:customer_list")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("customers:customer_list")).status_code == 302


def test_a_wrong_password_says_so(client, cashier):
    response = attempt(client, "cashier", "wrong")
    assert response.status_code == 200
    assert b"did not match" in response.content


@override_settings(AXES_FAILURE_LIMIT=3)
def test_failed_logins_lock_that_username_on_that_address_only(client, cashier, manager):
    for _ in range(3):
        attempt(client, "cashier", "wrong")
    locked = attempt(client, "cashier", "pw-for-tests-only")
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content
    # Another cashier at the same till (same shop address) can still log in...
    assert attempt(client, "manager", "pw-for-tests-only").status_code == 302
    # ...and so can the same user from another address.
    client.post(reverse("logout"))
    assert attempt(client, "cashier", "pw-for-tests-only", address="10.0.0.9").status_code == 302


def test_sessions_end_after_a_working_day_or_when_the_browser_closes(client, cashier, settings):
    client.force_login(cashier)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE and not cookie["expires"]
    assert client.session.get_expiry_age() <= 12 * 60 * 60


@pytest.mark.parametrize("weak", ["12345678", "password", "cashier1", "short"])
def test_weak_passwords_are_refused(cashier, weak):
    with pytest.raises(ValidationError):
        validate_password(weak, user=cashier)
