"""Writing millions of rows in minutes: what the benchmark data set's loaders share.

- Secondary indexes and foreign keys are dropped before the load and built again after it:
  building an index once over sorted data is many times cheaper than updating it row by row,
  and re-adding a foreign key checks every row in one join instead of one lookup per row. Check
  constraints and primary keys stay, so every row is still checked as it goes in; the unique
  constraints and foreign keys are checked when they are added back, and the load fails there
  if any row breaks them.
- Rows made in Python go in with COPY, into staging tables (UNLOGGED: no write-ahead log for
  rows that only live for the load), and reach the real tables with INSERT ... SELECT.
- `synchronous_commit = off` for the session: a crash would lose the load, which is thrown away
  anyway.
"""

import time
from collections.abc import Callable, Iterable

from django.db import connection, transaction

# Generous memory for the few big statements of a load (sorts, hash aggregates, index builds);
# set per session, so the server's settings, and other databases on it, are untouched.
LOAD_SETTINGS = (
    "SET synchronous_commit = off",
    "SET work_mem = '256MB'",
    "SET maintenance_work_mem = '1GB'",
)


def prepare_session() -> None:
    with connection.cursor() as cursor:
        for statement in LOAD_SETTINGS:
            cursor.execute(statement)


def execute(sql: str, params=(), *, seed: float | None = None) -> int:
    """One statement in its own transaction, with random() seeded first when `seed` is given
    (the database then writes the same rows every run). Returns the row count."""
    with transaction.atomic(), connection.cursor() as cursor:
        if seed is not None:
            cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute(sql, params)
        return cursor.rowcount


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


class SecondaryStructures:
    """The indexes (other than primary keys), unique constraints and foreign keys of some tables,
    as PostgreSQL describes them, so they can be dropped before a load and rebuilt after it
    exactly as the migrations made them (including indexes added by later migrations)."""

    def __init__(self, tables: Iterable[str]):
        self.tables = list(tables)
        self.indexes: list[tuple[str, str, str]] = []  # (table, index, CREATE INDEX ...)
        self.constraints: list[tuple[str, str, str, str]] = []  # (table, name, type, definition)

    def drop(self) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT t.relname, i.relname, pg_get_indexdef(x.indexrelid)
                FROM pg_index x
                JOIN pg_class i ON i.oid = x.indexrelid
                JOIN pg_class t ON t.oid = x.indrelid
                WHERE t.relname = ANY(%s) AND NOT x.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
                ORDER BY t.relname, i.relname
                """,
                [self.tables],
            )
            self.indexes = cursor.fetchall()
            cursor.execute(
                """
                SELECT t.relname, c.conname, c.contype, pg_get_constraintdef(c.oid)
                FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
                WHERE t.relname = ANY(%s) AND c.contype IN ('u', 'f')
                ORDER BY c.contype DESC, t.relname, c.conname
                """,
                [self.tables],
            )
            self.constraints = cursor.fetchall()
            # Foreign keys first: a unique constraint may be what one of them points at.
            for table, name, _kind, _definition in sorted(
                self.constraints, key=lambda row: row[2] != "f"
            ):
                cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            for _table, name, _definition in self.indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")

    def restore(self, log: Callable[[str], None]) -> None:
        """Indexes and unique constraints first (the foreign keys' checks then find them), each
        table at a time, committed as it goes."""
        by_table: dict[str, list[str]] = {}
        for table, _name, definition in self.indexes:
            by_table.setdefault(table, []).append(definition)
        for table, name, kind, definition in self.constraints:
            if kind == "u":
                by_table.setdefault(table, []).append(
                    f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                )
        for table in self.tables:
            statements = by_table.get(table, [])
            if not statements:
                continue
            started = time.perf_counter()
            for statement in statements:
                execute(statement)
            log(f"    {table}: {len(statements)} indexes in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        foreign_keys = [row for row in self.constraints if row[2] == "f"]
        for table, name, _kind, definition in foreign_keys:
            execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
        log(
            f"    {len(foreign_keys)} foreign keys checked and added in "
            f"{time.perf_counter() - started:.0f} s"
        )


def copy_rows(table: str, columns: list[str], rows: Iterable[tuple]) -> int:
    """COPY `rows` into `table` (its own transaction). Values are written as text by psycopg:
    None is NULL."""
    names = ", ".join(quote(column) for column in columns)
    written = 0
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
            written += 1
    return written
