"""Browser tests: Playwright (Python) driving Debian's Chromium, never a downloaded browser.

Without Chromium the tests are skipped with a notice; with REQUIRE_BROWSER_TESTS=1 (CI) a missing
browser fails the run instead.
"""

import os

import pytest

from core.chromium import CHROMIUM, CHROMIUM_FLAGS
from tests.browser.till import sign_in

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse ORM
# calls from it. The live server still runs each request in its own thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_report_header(config):
    if not CHROMIUM.exists():
        return f"NOTICE: no Chromium at {CHROMIUM}; browser tests will be skipped."
    return f"browser tests: {CHROMIUM}"


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    reason = (
        f"Chromium not found at {CHROMIUM}: browser tests skipped "
        "(install it with 'apt-get install chromium')"
    )
    browser_items = [item for item in items if "browser" in item.keywords]
    if browser_items and os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
        pytest.exit(f"REQUIRE_BROWSER_TESTS=1 but {reason}", returncode=1)
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _reference_data_for_live_server(migrated_reference_data):
    """Live-server tests commit for real; tests/conftest.py re-creates the roles and customer
    groups the flush after each one removes."""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_FLAGS,
    }


@pytest.fixture
def log_in(page, live_server):
    """log_in(user): sign in through the login page, as a person would."""

    return lambda user: sign_in(page, live_server, user)
