"""What every django-tables2 table in the back office shares."""

import django_tables2 as tables
from django_tables2.data import TableQuerysetData

from core.pagination import stable_order


class StableOrderingQuerysetData(TableQuerysetData):
    """A table's sort made total (core.pagination.stable_order): empty values last both ways,
    the primary key last, so the export and the keyset pages see the rows in one order."""

    def order_by(self, aliases):
        super().order_by(aliases)
        if self.data.query.order_by:
            self.data = stable_order(self.data)


class BaseTable(tables.Table):
    class Meta:
        attrs = {"class": "table table-hover table-sm align-middle mb-0"}
        # No total row count and no page numbers: counting a million rows on every page view
        # is what makes back offices slow. First / Previous / Next / Last instead (keyset
        # pages, core.pagination).
        template_name = "core/table.html"
