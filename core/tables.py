"""What every django-tables2 table in the back office shares."""

import django_tables2 as tables
from django.db.models import F
from django_tables2.data import TableQuerysetData

from core.pagination import is_nullable


class StableOrderingQuerysetData(TableQuerysetData):
    """Sorting that pages through cleanly.

    - the primary key is always the last sort key, so rows with equal values never skip or repeat
      from one page to the next (and the (column, id) indexes serve the query);
    - empty values (a customer who never bought has no Last Visit) sort last both ways, where a
      database would otherwise put them first when sorting newest first.
    """

    def order_by(self, aliases):
        super().order_by(aliases)
        keys = [k for k in self.data.query.order_by if isinstance(k, str)]
        if not keys:
            return
        stable = []
        for key in keys:
            name = key.lstrip("-")
            if name in ("pk", "id"):
                continue
            descending = key.startswith("-")
            if is_nullable(self.data.model, name):
                ref = F(name)
                stable.append(ref.desc(nulls_last=True) if descending else ref.asc(nulls_last=True))
            else:
                stable.append(key)
        stable.append("-pk" if keys[0].startswith("-") else "pk")
        self.data = self.data.order_by(*stable)


class BaseTable(tables.Table):
    class Meta:
        attrs = {"class": "table table-hover table-sm align-middle mb-0"}
        # No total row count and no page numbers: counting a million rows on every page view
        # is what makes back offices slow. First / Previous / Next / Last instead (keyset
        # pages, core.pagination).
        template_name = "core/table.html"
