import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory

from core.addresses import client_address

BASE_DIR = Path(__file__).resolve().parents[2]


def manage_in_production(*arguments: str, **environment: str) -> subprocess.CompletedProcess:
    """`manage.py <arguments>` with the production settings, in a process of its own."""
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE is (rightly) a deploy warning; not ours here.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 30 + "a-long-random-production-secret-key-for-the-check",
        "ALLOWED_HOSTS": "backoffice.example.co.ke",
        **environment,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = manage_in_production("check", "--deploy", "--fail-level", "WARNING")
    assert "no issues" in result.stdout


LOCKOUT_ADDRESS = """
from django.test import RequestFactory
from axes.helpers import get_client_ip_address
# A staff member at 41.90.1.7 who wrote their own X-Forwarded-For, through a balancer at 10.0.0.2.
through_balancer = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 41.90.1.7"}
print("address:", get_client_ip_address(RequestFactory().get("/", **through_balancer)))
"""


def lockout_address(**environment) -> str:
    """The address the production settings' login lockout reads off a request."""
    result = manage_in_production("shell", "-c", LOCKOUT_ADDRESS, **environment)
    return result.stdout.rpartition("address:")[2].strip()


def test_behind_a_load_balancer_the_lockout_keys_on_the_staff_members_own_address():
    assert lockout_address(PROXIES_IN_FRONT="1") == "41.90.1.7"
    assert lockout_address() == "10.0.0.2"  # no proxy declared: the header is not believed


@pytest.mark.parametrize(
    ("proxies", "forwarded", "address"),
    [
        (0, "41.90.1.7", "10.0.0.2"),
        (1, "41.90.1.7", "41.90.1.7"),
        (1, "6.6.6.6, 41.90.1.7", "41.90.1.7"),  # what the sender wrote is never read
        (2, "6.6.6.6, 41.90.1.7, 172.16.0.9", "41.90.1.7"),  # a CDN, then the balancer
        (2, "41.90.1.7", "10.0.0.2"),  # fewer hops than proxies: a misconfiguration
        (1, "", "10.0.0.2"),
    ],
)
def test_the_address_is_the_one_the_nearest_proxies_saw(settings, proxies, forwarded, address):
    settings.PROXIES_IN_FRONT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == address
