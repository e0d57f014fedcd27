"""Debian's Chromium as the browser tests and `make lightness` start it (never a downloaded
browser). Without the background-networking flags it keeps calling hosts this machine's closed
network refuses; as root it needs --no-sandbox."""

import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
