"""With several app servers, an import's progress must reach the page whichever server shows
it: README says CACHE_URL=redis://... does that. Proven across two processes against the Redis
server on 127.0.0.1:6379 when one answers (skipped otherwise; nothing else needs Redis).

(The database cache would not do: the job counts its rows inside its own transaction, and a
cache in the same database would not show the count to anyone until the end; core/progress.py.)"""

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import environ
import pytest

from core.progress import Progress, progress_of

BASE_DIR = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.mark.skipif(not redis_answers(), reason="no Redis server answers on 127.0.0.1:6379")
def test_progress_written_on_one_server_is_read_on_another(settings):
    settings.CACHES = {"default": environ.Env.cache_url_config(REDIS_URL)}
    key = f"test-progress-{uuid.uuid4()}"
    Progress(key, 50_000).report(12_500)  # the worker, on one machine

    other_server = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            f"from core.progress import progress_of; print('progress:', progress_of({key!r}))",
        ],
        cwd=BASE_DIR,
        env={
            **os.environ,
            "CACHE_URL": REDIS_URL,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert other_server.returncode == 0, other_server.stderr
    shown = other_server.stdout.rpartition("progress:")[2].strip()
    assert shown == str(progress_of(key)) == "{'done': 12500, 'total': 50000, 'percent': 25}"
