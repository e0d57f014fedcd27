"""How far a background job has got, for the page that follows it.

Kept in the cache, not the database: the job writes its rows inside a transaction that no
other connection sees until the end, and the page must see the count move before that.
"""

from django.core.cache import cache

PROGRESS_KEPT_SECONDS = 24 * 60 * 60


class Progress:
    """Reports `done` of `total` under `key` every `every` items (and at the end)."""

    def __init__(self, key: str, total: int, *, every: int = 500):
        self.key = key
        self.total = total
        self.every = every
        self.done = 0
        self.report(0)

    def report(self, done: int) -> None:
        self.done = done
        cache.set(self.key, {"done": done, "total": self.total}, PROGRESS_KEPT_SECONDS)

    def advance(self, count: int = 1) -> None:
        before = self.done
        self.done += count
        if self.done // self.every != before // self.every or self.done >= self.total:
            self.report(self.done)


def progress_of(key: str) -> dict | None:
    """{"done": n, "total": m, "percent": p} as last reported, or None before the job starts."""
    reported = cache.get(key)
    if reported is None:
        return None
    total = reported["total"] or 1
    return {**reported, "percent": min(100, round(100 * reported["done"] / total))}
