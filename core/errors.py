"""The page for an error nobody planned for. Most are bugs (the 500 page); one is not: the
database going away for a moment (restarted, failed over, a network blip), which the back office
answers with 503 and "try again" while Django reconnects on its own at the next request
(CONN_HEALTH_CHECKS)."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

RETRY_AFTER_SECONDS = 5


def database_unavailable_json() -> JsonResponse:
    """The 503 for a script (the till's offline queue): it keeps what it sent and sends it
    again, which its token makes safe even if the database went away after a commit."""
    response = JsonResponse(
        {
            "status": "unavailable",
            "message": _(
                "The server's database is not answering for a moment. The till keeps this "
                "sale and sends it again; it is recorded only once."
            ),
        },
        status=503,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _wants_json(request) -> bool:
    """A script that asked for JSON (Accept: application/json), not a page."""
    accept = request.headers.get("Accept", "") if request is not None else ""
    return "application/json" in accept and "text/html" not in accept


def server_error(request):
    """handler500: Django calls it while handling the exception, so sys.exc_info() names it.
    Both pages render without the request (no context processors): neither may touch the
    database that may have just failed."""
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        if _wants_json(request):
            return database_unavailable_json()
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponseServerError(loader.render_to_string("500.html"))
