"""Settings for the test suite: SQLite unless DATABASE_URL points at PostgreSQL."""

from .base import *  # noqa: F403
from .base import BASE_DIR

DEBUG = False
# Hashing passwords the real way makes every login in the suite slow; the algorithm is not
# what the tests examine.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Never the real collectstatic output: left there by make serve, lightness or loadtest, WhiteNoise
# would index its 1,200 files each time a test client starts (40 % more time for the suite).
STATIC_ROOT = BASE_DIR / "var" / "no-static-root-in-tests"

# Background jobs run at once, in the process that queues them; tests of the worker itself
# switch to the database backend.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
