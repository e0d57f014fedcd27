"""Settings shared by every environment; values that differ per machine come from the environment.

`DATABASE_URL` selects the database: unset, the back office runs on an embedded SQLite file so a
newcomer needs nothing installed; production sets it to PostgreSQL.
"""

from decimal import Decimal
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Only the development default; production.py refuses to start without a real key.
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-key-not-for-production-use-3f9c1e7a")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "django_tables2",
    "import_export",
    "django_tasks",
    "django_tasks_db",
    "phonenumber_field",
    "simple_history",
    "core",
    "customers",
    "sales",
    "credit",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages and exports gzipped for shops' slow connections. After WhiteNoise, which answers
    # static files itself (already compressed by collectstatic) before this is reached; before
    # everything that reads or writes a response body, so it compresses their final output.
    # Streamed exports stay streamed. BREACH: Django masks the CSRF token anew on every page and
    # pads each compressed response with random bytes (max_random_bytes).
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login unless it says otherwise (only the login page does); the views'
    # named permissions come on top.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # An oversized upload is refused unread, with a page: the body is first read by the CSRF
    # check (a view hook, run after every middleware here), never by the middleware above.
    "core.middleware.RequestBodyLimitMiddleware",
    "core.middleware.ExportAuditMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.shop",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side binding lets psycopg prepare the statements every sale repeats (after a few
    # uses), so PostgreSQL stops re-planning them: measured by `make bench`.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "server_side_binding", env.bool("DB_SERVER_SIDE_BINDING", default=True)
    )
    # No parallel workers for the app's queries: its pages read a few rows each, many staff at
    # once, and starting workers cost a page 50-450 ms on a 2-CPU server (a small cluster's
    # first page at a million customers: 540 ms with them, 86 ms without; make bench). Raise
    # DB_PARALLEL_WORKERS on a server with CPUs to spare for one person's big reads.
    DATABASES["default"]["OPTIONS"].setdefault(
        "options",
        f"-c max_parallel_workers_per_gather={env.int('DB_PARALLEL_WORKERS', default=0)}",
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # make run's tills, managers and worker share one file (tests/core/test_sqlite_small_shop.py).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # A writer waits up to 20 s for the one before it, not failing "database is locked".
            "timeout": 20,
            # BEGIN IMMEDIATE: a transaction queues as a writer on that timeout from its start; a
            # deferred one that read first fails at once, unwaited, when another wrote meanwhile.
            "transaction_mode": "IMMEDIATE",
            # WAL: reads never wait for the writer, nor it for them; NORMAL syncs at checkpoints,
            # not every commit (a power cut may lose the last commits, never corrupt the file).
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username+address never reaches the password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# The largest request body accepted: an import file (core.tabular.MAX_UPLOAD_BYTES, 10 MB) and
# its form. Form fields without a file stay under Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB).
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=11 * 1024 * 1024)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# A shift at the counter is long; an idle session still ends the same day.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Africa/Nairobi"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"

PHONENUMBER_DEFAULT_REGION = "KE"
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "E164"

# Failed logins: five tries per username *and* address. Keying on the address alone would lock
# out every till in a shop behind one router after one cashier's typos.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "core.addresses.client_address"  # PROXIES_IN_FRONT (production)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

IMPORT_EXPORT_SKIP_ADMIN_ACTION_EXPORT_UI = False

# Printed on receipts and invoices; set per shop in the environment (see README).
SHOP_NAME = env.str("SHOP_NAME", default="Duka Back Office")
SHOP_ADDRESS = env.str("SHOP_ADDRESS", default="Mwingi Town, Kitui County")
SHOP_PHONE = env.str("SHOP_PHONE", default="+254700000000")
SHOP_EMAIL = env.str("SHOP_EMAIL", default="")
# The shop's own KRA PIN, required on every tax invoice.
SHOP_KRA_PIN = env.str("SHOP_KRA_PIN", default="P000000000X")
RECEIPT_FOOTER = env.str("RECEIPT_FOOTER", default="Thank you for shopping with us.")

# The most one till line and one sale may hold (sales.services refuses more; the till says so on
# the line): a mistyped quantity must never reach the books. An agro-dealer's biggest real order,
# a lorry of fertiliser, is about 600 bags (30,000 kg) and a few million shillings, so 100,000 of
# a product and KES 100,000,000 a sale leave ample room and still stop a 9,999,999 typed by a
# scanner or a finger. The sale's columns could not hold 10,000,000 (quantity) or KES 10^12.
TILL_MAX_LINE_QUANTITY = Decimal(env.str("TILL_MAX_LINE_QUANTITY", default="100000"))
TILL_MAX_SALE_TOTAL = Decimal(env.str("TILL_MAX_SALE_TOTAL", default="100000000"))
if not (0 < TILL_MAX_LINE_QUANTITY < 10_000_000 and 0 < TILL_MAX_SALE_TOTAL < 10**12):
    raise ImproperlyConfigured(
        "TILL_MAX_LINE_QUANTITY must be between 0 and 10,000,000 and TILL_MAX_SALE_TOTAL "
        "between 0 and 10^12 (what a sale line and a sale can hold)."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Background jobs (a large import): Django's tasks API (django-tasks, the backport of Django
# 6's django.tasks) with its database backend, so no broker is needed; `make run` starts the
# worker beside the web server (`manage.py db_worker`).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# The cache carries a background job's progress to the page that shows it (the job and the web
# server are different processes): files on this machine unless CACHE_URL names a shared cache
# (redis://..., for several app servers).
CACHES = {
    "default": env.cache_url("CACHE_URL", default=f"filecache://{BASE_DIR / 'var' / 'cache'}")
}
