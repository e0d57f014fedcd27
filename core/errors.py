"""The page for an error nobody planned for. Most are bugs (the 500 page); one is not: the
database going away for a moment (restarted, failed over, a network blip), which the back office
answers with 503 and "try again" while Django reconnects on its own at the next request
(CONN_HEALTH_CHECKS)."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader

RETRY_AFTER_SECONDS = 5


def server_error(request):
    """handler500: Django calls it while handling the exception, so sys.exc_info() names it.
    Both pages render without the request (no context processors): neither may touch the
    database that may have just failed."""
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponseServerError(loader.render_to_string("500.html"))
