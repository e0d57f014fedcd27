"""What every django-tables2 table in the back office shares."""

import django_tables2 as tables
from django.core.exceptions import FieldDoesNotExist
from django.db.models import F
from django_tables2.data import TableQuerysetData


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
            if self._is_nullable(name):
                ref = F(name)
                stable.append(ref.desc(nulls_last=True) if descending else ref.asc(nulls_last=True))
            else:
                stable.append(key)
        stable.append("-pk" if keys[0].startswith("-") else "pk")
        self.data = self.data.order_by(*stable)

    def _is_nullable(self, name: str) -> bool:
        if "__" in name:
            return True
        try:
            return self.data.model._meta.get_field(name).null
        except FieldDoesNotExist:
            return False


class BaseTable(tables.Table):
    class Meta:
        attrs = {"class": "table table-hover table-sm align-middle mb-0"}
        # No total row count and no page numbers: counting a million rows on every page view
        # is what makes back offices slow (see core.views.FilteredTableView).
        template_name = "django_tables2/bootstrap5.html"
