"""What every django-tables2 table in the back office shares."""

from collections.abc import Iterator

import django_tables2 as tables
from django.db import models
from django.template import Context
from django.template.base import render_value_in_context
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django_tables2.data import TableQuerysetData
from django_tables2.utils import Accessor, signature

from core.pagination import stable_order


class StableOrderingQuerysetData(TableQuerysetData):
    """A table's sort made total (core.pagination.stable_order): empty values last both ways,
    the primary key last, so the export and the keyset pages see the rows in one order."""

    def order_by(self, aliases):
        super().order_by(aliases)
        if self.data.query.order_by:
            self.data = stable_order(self.data)


class LocalDateTimeColumn(tables.Column):
    """A moment in the shop's time zone, written as the `date` template filter writes it with
    `format`. django-tables2's DateTimeColumn renders a template for every cell: a third of the
    customer table's time, for two columns."""

    def __init__(self, *args, format: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.format = format

    def render(self, value):
        return formats.date_format(timezone.template_localtime(value), self.format)

    def value(self, value):
        return value.isoformat(sep=" ")


TABLE_CLASSES = "table table-hover table-sm align-middle mb-0"
# For a table of many figures (customers, credit report): its first column, the name, stays in
# view while the figures scroll sideways (static/css/app.css, .table-sticky-first).
STICKY_FIRST_COLUMN_ATTRS = {"class": f"{TABLE_CLASSES} table-sticky-first"}


class BaseTable(tables.Table):
    class Meta:
        attrs = {"class": TABLE_CLASSES}
        # No total row count and no page numbers: counting a million rows on every page view
        # is what makes back offices slow. First / Previous / Next / Last instead (keyset
        # pages, core.pagination).
        template_name = "core/table.html"

    def rows_html(self) -> Iterator[SafeString]:
        """The page's rows as `<tr>` HTML, the same markup django-tables2's Bootstrap template
        writes, built in Python (core/table.html uses it for the table body).

        Why: the stock template renders each cell through the template engine and looks up
        the column's render method's signature (inspect) for every cell; at 25 rows of 14
        columns that was most of the customer list's time. Here each column's render method,
        signature and cell attributes are worked out once per page; what a cell shows is
        unchanged (tests/core/test_tables.py holds every table's rows to the stock markup)."""
        writers = [_CellWriter(bound_column) for bound_column in self.columns]
        context = Context(autoescape=True)
        for row in self.paginated_rows:
            cells = "".join([writer.td(row, context) for writer in writers])
            yield format_html("<tr {}>{}</tr>", row.attrs.as_html(), mark_safe(cells))


class _CellWriter:
    """One column's cells, written as django_tables2.rows.BoundRow.get_cell and the Bootstrap
    template's `<td>` would write them."""

    def __init__(self, bound_column):
        self.bound_column = bound_column
        self.column = bound_column.column
        self.accessor = Accessor(bound_column.accessor)
        self.default = bound_column.default
        self.many_to_many = isinstance(self.column, tables.ManyToManyColumn)
        self.render = bound_column.render
        self.render_arguments, self.render_takes_all = signature(self.render)
        self.link = bound_column.link
        self.localize = bound_column.localize
        self.choice_display = self._choice_display_name(bound_column)
        # Cell attributes computed from the row (callables) are worked out per cell, as the
        # stock template does; plain ones once.
        table_and_column = {**bound_column._table.attrs, **bound_column.column.attrs}
        td = table_and_column.get("td", table_and_column.get("cell", {}))
        self.td_per_cell = any(callable(value) for value in td.values())
        self.td_open = "" if self.td_per_cell else self._td_open()

    def _td_open(self) -> str:
        return format_html("<td {}>", self.bound_column.attrs["td"].as_html())

    def _choice_display_name(self, bound_column) -> str | None:
        """`get_<field>_display` when the accessor ends at a model field with choices (the
        stock cell shows the choice's label)."""
        model = getattr(bound_column._table.data, "model", None)
        field = self.accessor.get_field(model) if model is not None else None
        if field is not None and getattr(field, "choices", None):
            return f"get_{self.accessor.bits[-1]}_display"
        return None

    def value(self, record):
        if self.choice_display:
            penultimate, _remainder = self.accessor.penultimate(record)
            display = getattr(penultimate, self.choice_display, None)
            if isinstance(penultimate, models.Model) and display is not None:
                return display()
        return self.accessor.resolve(record)

    def content(self, row):
        record = row.record
        try:
            value = self.value(record)
        except Exception:
            # As django-tables2: a link column with fixed text needs no value.
            if isinstance(self.column, tables.columns.BaseLinkColumn) and self.column.text:
                return self._call_render(row, None)
            value = None
        if value in self.column.empty_values or (self.many_to_many and not value.exists()):
            return self.default
        return self._call_render(row, value)

    def _call_render(self, row, value):
        arguments = {
            "value": value,
            "record": row.record,
            "column": self.column,
            "bound_column": self.bound_column,
            "bound_row": row,
            "table": row.table,
        }
        if self.render_takes_all:
            content = self.render(**arguments)
        else:
            content = self.render(**{name: arguments[name] for name in self.render_arguments})
        return self.link(content, **arguments) if self.link else content

    def td(self, row, context) -> str:
        content = self.content(row)
        if self.td_per_cell:
            self.bound_column.current_value = content
            self.bound_column.current_record = row.record
            td_open = self._td_open()
        else:
            td_open = self.td_open
        if self.localize is not None:
            content = formats.localize(content, use_l10n=self.localize)
        return f"{td_open}{render_value_in_context(content, context)}</td>"
