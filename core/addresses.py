"""Whose address a request is, for the login lockout (django-axes' AXES_CLIENT_IP_CALLABLE)."""

from django.conf import settings


def client_address(request) -> str | None:
    """The staff member's own address. With PROXIES_IN_FRONT proxies (a load balancer, say)
    every request comes from the nearest proxy; each proxy appends the address it was sent from
    to X-Forwarded-For, so the staff member's is the one PROXIES_IN_FRONT places from the right.
    What stands further left was written by the sender and could be anything (a way to dodge
    the lockout), so it is never read; nor is the header at all without a proxy."""
    proxies = getattr(settings, "PROXIES_IN_FRONT", 0)
    remote = request.META.get("REMOTE_ADDR")
    if not proxies:
        return remote
    forwarded = [
        address.strip()
        for address in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if address.strip()
    ]
    return forwarded[-proxies] if len(forwarded) >= proxies else remote
