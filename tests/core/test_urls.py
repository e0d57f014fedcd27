"""Every URL of the back office needs a login, and every view names a permission.

New URL patterns are found automatically: a pattern added without a permission fails here.
"""

import pytest
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

# Pages that must open without a login, and the reason.
PUBLIC_URL_NAMES = {"login"}


def walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), namespace, pattern


def project_patterns():
    for route, namespace, pattern in walk(get_resolver().url_patterns):
        if namespace == "admin":
            continue
        yield route, namespace, pattern


def concrete_path(route: str) -> str:
    path = "/" + route
    for converter in ("<int:pk>", "<int:id>"):
        path = path.replace(converter, "1")
    return path.replace("^", "").replace("$", "")


ALL_ROUTES = sorted({concrete_path(route) for route, _, _ in project_patterns()})


def test_the_walk_finds_the_customer_pages():
    assert "/customers/" in ALL_ROUTES and "/customers/1/delete/" in ALL_ROUTES


@pytest.mark.parametrize("path", ALL_ROUTES)
def test_anonymous_users_are_sent_to_log_in(client, path):
    if any(path == reverse(name) for name in PUBLIC_URL_NAMES):
        assert client.get(path).status_code == 200
        return
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 302, path
        assert response.url.startswith(reverse("login") + "?next="), path


@pytest.mark.parametrize(
    "route_and_pattern",
    [(route, pattern) for route, _, pattern in project_patterns()],
    ids=lambda item: item[0],
)
def test_every_view_names_a_permission(route_and_pattern):
    route, pattern = route_and_pattern
    if pattern.name in PUBLIC_URL_NAMES or pattern.name == "logout":
        return
    view_class = getattr(pattern.callback, "view_class", None)
    assert view_class is not None and issubclass(view_class, PermissionRequiredMixin), route
    assert view_class.permission_required, route


def test_admin_needs_a_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302 and "login" in response.url
