"""Development on a laptop or the shop's back-office PC: `make run`."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
# Serve static/ straight from the source folders, no collectstatic needed in development.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
