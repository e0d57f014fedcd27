"""Production: PostgreSQL from DATABASE_URL, HTTPS only, a real SECRET_KEY from the environment.

Passes `manage.py check --deploy` with no warnings (tests/core/test_settings.py proves it).
"""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")  # no default: refuse to start without one
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# HTTPS: the default, behind a proxy that terminates TLS and sets X-Forwarded-Proto. HTTPS=off
# serves plain HTTP (cookies not marked Secure, no redirect, no HSTS): for `make serve` on the
# machine itself (127.0.0.1) or a shop's own network without TLS, and the load test. The deploy
# check then rightly warns; tests/core/test_settings.py checks the default.
HTTPS = env.bool("HTTPS", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS and env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Behind a load balancer or proxy every request comes from its address: the login lockout
# (keyed by username and address) then reads the staff member's own from X-Forwarded-For
# (core/addresses.py). Left at 0 (no proxy) the header is ignored: anyone can write it.
PROXIES_IN_FRONT = env.int("PROXIES_IN_FRONT", default=0)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
