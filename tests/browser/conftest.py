"""Browser tests: Playwright (Python) driving Debian's Chromium, never a downloaded browser.

Without Chromium the tests are skipped with a notice; with REQUIRE_BROWSER_TESTS=1 (CI) a missing
browser fails the run instead.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse ORM
# calls from it. The live server still runs each request in its own thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "pw-for-tests-only"


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

    def sign_in(user):
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    return sign_in
