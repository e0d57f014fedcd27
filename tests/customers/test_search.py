"""The customer search (customers.selectors.customer_search): what it finds, on SQLite and on
PostgreSQL, and, on PostgreSQL, that its trigram index exists and serves every lookup it makes.

Speed is measured by `manage.py bench_customer_search`, never asserted here.
"""

import pytest
from django.db import connection, transaction

from customers.models import Customer
from customers.selectors import customer_search, customer_suggestions

pytestmark = pytest.mark.django_db

SEARCH_INDEX = "customer_search_trgm_idx"
on_postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="trigram indexes exist on PostgreSQL only; run with DATABASE_URL=postgres://...",
)


def found(text: str) -> list[str]:
    return sorted(customer_search(Customer.objects.all(), text).values_list("name", flat=True))


@pytest.fixture
def book(make_customer):
    make_customer(
        name="Kiprono Ruto",
        phone="+254712345678",
        village="Kitui",
        email="kip@example.com",
        tax_pin="A004416331M",
    )
    make_customer(name="John Mwangi", phone="+254733999888", village="Meru", tax_pin="")
    make_customer(name="Kamwana Traders", phone="+254110222333", village="Mwingi", tax_pin="")


class TestWhatTheSearchFinds:
    @pytest.mark.parametrize(
        ("typed", "expected"),
        [
            ("ipron", ["Kiprono Ruto"]),  # anywhere in the name, any case
            ("ITU", ["Kiprono Ruto"]),  # village
            ("p@exa", ["Kiprono Ruto"]),  # email
            ("04416331", ["Kiprono Ruto"]),  # Tax PIN digits, also a phone-like search
            ("a004416331m", ["Kiprono Ruto"]),
            ("0712 345 678", ["Kiprono Ruto"]),  # a phone as typed locally
            ("999 888", ["John Mwangi"]),
            ("0110222", ["Kamwana Traders"]),  # a Telkom number's start
            ("mwan", ["John Mwangi", "Kamwana Traders"]),
            ("ruto kit", ["Kiprono Ruto"]),  # a name, then the village
            ("733999", ["John Mwangi"]),
            ("nobody", []),
        ],
    )
    def test_three_characters_or_more_match_anywhere(self, book, typed, expected):
        assert found(typed) == expected

    @pytest.mark.parametrize(
        ("typed", "expected"),
        [
            # A word of the name or village starting with them, not the middle of a word.
            ("mw", ["John Mwangi", "Kamwana Traders"]),  # Mwangi; Kamwana's village Mwingi
            ("Ki", ["Kiprono Ruto"]),
            ("ru", ["Kiprono Ruto"]),
            ("wa", []),  # inside Mwangi and Kamwana only
            ("k", ["Kamwana Traders", "Kiprono Ruto"]),
        ],
    )
    def test_one_or_two_characters_match_the_start_of_a_word(self, book, typed, expected):
        assert found(typed) == expected

    def test_like_wildcards_typed_are_plain_characters(self, book):
        assert found("%") == []
        assert found("_i") == []

    def test_the_till_suggests_by_name_order_from_two_characters(self, book):
        assert [c.name for c in customer_suggestions("mw")] == ["John Mwangi", "Kamwana Traders"]
        assert customer_suggestions("m") == []


@on_postgresql_only
class TestTrigramIndex:
    def test_the_index_is_a_trigram_index(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname = %s",
                [Customer._meta.db_table, SEARCH_INDEX],
            )
            (definition,) = cursor.fetchone()
        assert "USING gin" in definition
        assert "gin_trgm_ops" in definition

    @pytest.mark.parametrize("typed", ["kipro", "mw", "0712 345", "712345", "A0044"])
    def test_every_kind_of_search_is_served_by_the_index(self, book, typed):
        """With sequential and plain index scans off for this transaction, the only plan left
        that reads no whole table is a bitmap scan of the trigram index, which needs the index
        for every arm of the search's OR: a lookup compiled to an expression other than the
        indexed one would make the planner fall back to the (disabled, still possible)
        sequential scan."""
        queryset = customer_search(Customer.objects.all(), typed)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            plan = queryset.explain()
        assert "Seq Scan" not in plan
        assert f"Bitmap Index Scan on {SEARCH_INDEX}" in plan
