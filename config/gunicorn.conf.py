"""gunicorn's settings for `make serve` (gunicorn -c config/gunicorn.conf.py config.wsgi).

Threads, not only processes: a request mostly waits on PostgreSQL, and an export streams for
seconds; a thread per request keeps the other staff served meanwhile. Each setting can be
changed from the environment (GUNICORN_WORKERS, ...)."""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", 8))
# A worker that sends nothing for this long is restarted; streamed exports keep sending.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
# Workers are replaced now and then, so a slow leak cannot grow for weeks.
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
# Django's own (threads share one connection per thread; CONN_MAX_AGE reuses it).
preload_app = False
