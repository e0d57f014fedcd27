"""Bulk writes that Django's own do slowly at import sizes, as one statement a batch that works
on PostgreSQL and SQLite (3.35 or later) alike.

- bulk_update_rows: Django's bulk_update() writes `CASE WHEN id = 1 THEN ... WHEN id = 2 ...`
  for every field, which PostgreSQL evaluates row by row: a thousand customers took seconds.
  Here the new values are a list (arrays on PostgreSQL) joined on the primary key.
- copy_history: django-simple-history's bulk_history_create() builds a history object per row
  in Python and inserts it field by field; here the database copies the rows it just wrote
  (INSERT ... SELECT), and their many-to-many rows with them, as simple-history's own save
  would. Its signals are not sent (nothing here listens to them).
"""

from collections.abc import Sequence
from datetime import datetime

from django.db import connection
from django.db.models import Model


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def chunks(items: Sequence, size: int = 2000):
    """`items` a slice at a time, for lookups by many values: SQLite takes at most 32,766
    values in one query."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def sql_in(column: str, values: Sequence) -> tuple[str, list]:
    """`column IN (values)` as SQL and its parameters: one array parameter on PostgreSQL (a
    query with thousands of placeholders costs more to send than to run)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def bulk_update_rows(objects: Sequence[Model], field_names: Sequence[str]) -> None:
    """Write `field_names` of `objects` (all of one model, all saved) in one statement."""
    if not objects or not field_names:
        return
    meta = type(objects[0])._meta
    fields = [meta.pk, *(meta.get_field(name) for name in field_names)]
    names = ["pk", *(field.column for field in fields[1:])]
    table = _quoted(meta.db_table)
    columns = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in objects]
        for field in fields
    ]
    if connection.vendor == "postgresql":
        # One array a column, each cast to its column's type.
        new_values = (
            "SELECT * FROM UNNEST("
            + ", ".join(f"CAST(%s AS {field.db_type(connection)}[])" for field in fields)
            + ")"
        )
        params = columns
    else:
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        new_values = f"VALUES {', '.join([row] * len(objects))}"
        params = [value for values in zip(*columns, strict=True) for value in values]
    sql = (
        f"WITH new_values ({', '.join(_quoted(name) for name in names)}) AS ({new_values}) "
        f"UPDATE {table} SET "
        + ", ".join(
            f"{_quoted(field.column)} = new_values.{_quoted(field.column)}" for field in fields[1:]
        )
        + f" FROM new_values WHERE {table}.{_quoted(meta.pk.column)} = new_values.{_quoted('pk')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def copy_history(
    model: type[Model], ids: Sequence[int], *, history_type: str, user_id, moment: datetime
) -> None:
    """History rows (simple-history) for the rows `ids` of `model` as they are now, written by
    the database, with each record's copy of the rows' many-to-many fields it tracks."""
    if not ids:
        return
    history_model = model.history.model
    tracked = [field.column for field in history_model.tracked_fields]
    history_table = _quoted(history_model._meta.db_table)
    pk_column = _quoted(model._meta.pk.column)
    chosen, chosen_params = sql_in(pk_column, ids)
    history_date = history_model._meta.get_field("history_date")
    sql = (
        f"INSERT INTO {history_table} (history_date, history_type, history_user_id, "
        f"{', '.join(_quoted(column) for column in tracked)}) "
        f"SELECT %s, %s, %s, {', '.join(_quoted(column) for column in tracked)} "
        f"FROM {_quoted(model._meta.db_table)} WHERE {chosen} "
        f"RETURNING history_id"
    )
    params = [history_date.get_db_prep_save(moment, connection), history_type, user_id]
    params += chosen_params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        history_ids = [history_id for (history_id,) in cursor.fetchall()]
        for field in history_model._history_m2m_fields:
            _copy_m2m_history(model, field, history_model, history_ids, cursor)


def _copy_m2m_history(model, field, history_model, history_ids, cursor) -> None:
    through = field.remote_field.through
    m2m_history = model.history.model._meta.get_field(
        f"{history_model._meta.model_name}_{field.name}"
    ).related_model
    own = field.m2m_column_name()  # the through table's column pointing at `model`
    other = field.m2m_reverse_name()
    history_table = _quoted(history_model._meta.db_table)
    chosen, params = sql_in("h.history_id", history_ids)
    cursor.execute(
        f"INSERT INTO {_quoted(m2m_history._meta.db_table)} "
        f"(id, {_quoted(own)}, {_quoted(other)}, history_id) "
        f"SELECT m.id, m.{_quoted(own)}, m.{_quoted(other)}, h.history_id "
        f"FROM {_quoted(through._meta.db_table)} m "
        f"JOIN {history_table} h ON h.{_quoted(model._meta.pk.column)} = m.{_quoted(own)} "
        f"WHERE {chosen}",
        params,
    )
