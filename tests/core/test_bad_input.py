"""Arbitrary input at every form and every filter: never a 500, never a partial write.

Hypothesis throws text (any Unicode, control characters, NUL, very long), numbers written every
way (negative, huge, exponent, NaN) and repeated fields at each page's filter form (GET) and at
each form that writes (POST). The fields are read off the page itself, so a new form or filter
is covered without a line here. For a POST the page either accepts the input (a redirect or a
download) or shows the form again with a message, and then no table of ours changed.

Runs derandomised (the same examples on every run: a failure reproduces); the examples per page
come from the `HYPOTHESIS_EXAMPLES` environment variable (default 25).
"""

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sales.models import Payment, Sale, SaleLine
from tests.core.test_authorisation import ACCESS, POST_ONLY, address, row_counts

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "25"))
fuzz_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NUMBERS_AS_TYPED = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.sampled_from(["1e9999", "-0", "0x10", "1,000.50", "١٢٣", "  12  ", "NaN", "Infinity"]),
)
ANY_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=300, max_size=2000),
    st.sampled_from(["\x00", "<script>alert(1)</script>", "' OR 1=1 --", "%00", "😀" * 50]),
    NUMBERS_AS_TYPED,
)
# Values for a field: usually one, sometimes none or several (a repeated query parameter).
FIELD_VALUES = st.one_of(ANY_TEXT.map(lambda v: [v]), st.lists(ANY_TEXT, max_size=3))

# The pages that hold a form or a filter, by what they take.
FORM_PAGES = sorted(
    name
    for name, (allowed, _kind) in ACCESS.items()
    if name not in POST_ONLY and "export" not in name and "template" not in name
)


def fields_of(response) -> tuple[list[str], list[str]]:
    """(filter fields, form fields) of a page as served, from its context."""
    context = response.context or {}
    filterset = context.get("filter") or context.get("filterset")
    filter_fields = list(filterset.form.fields) if filterset is not None else []
    form = context.get("form")
    form_fields = list(form.fields) if form is not None and hasattr(form, "fields") else []
    # Pages with a period form (reports) take its fields in the query string.
    period = context.get("period_form")
    if period is not None:
        filter_fields += list(period.fields)
    return filter_fields, form_fields


@pytest.mark.parametrize("name", FORM_PAGES)
def test_arbitrary_input_never_breaks_a_page_or_half_writes(client, manager, objects, name):
    client.force_login(manager)
    url = address(name, objects)
    page = client.get(url)
    if page.status_code != 200:
        pytest.skip(f"{name} has no page of its own ({page.status_code})")
    filter_fields, form_fields = fields_of(page)
    # What pages read from the query string themselves (search, sorting, keyset pages), tried
    # on every page, with or without a filter form.
    filter_fields += ["sort", "per_page", "after", "before", "q", "page", "customer"]

    @fuzz_settings
    @given(
        query=st.fixed_dictionaries({}, optional={f: FIELD_VALUES for f in filter_fields}),
        posted=st.fixed_dictionaries({}, optional={f: FIELD_VALUES for f in form_fields}),
    )
    def check(query, posted):
        response = client.get(url, query)
        assert response.status_code < 500, (url, query)
        if not form_fields:
            return
        before = row_counts()
        response = client.post(url, posted)
        assert response.status_code < 500, (url, posted)
        if response.status_code == 200 and not response.get("Content-Disposition"):
            # The form again, with a message: nothing written.
            assert row_counts() == before, (url, posted)

    check()


def test_nul_characters_in_a_search_are_a_message_not_a_500(client, manager):
    client.force_login(manager)
    response = client.get(reverse("customers:customer_list"), {"q": "abc\x00def"})
    assert response.status_code == 200


def test_a_huge_amount_is_refused_with_a_message(client, manager, objects):
    client.force_login(manager)
    url = address("credit:payment_receive", objects)
    before = row_counts()
    response = client.post(url, {"amount": "9" * 40, "method": "cash"})
    assert response.status_code == 200 and response.context["form"].errors
    assert row_counts() == before


def test_an_id_no_table_can_hold_is_a_message_on_the_customer_form(client, manager, clusters):
    client.force_login(manager)
    before = row_counts()
    response = client.post(
        reverse("customers:customer_add"),
        {"name": "Amina", "phone": "0712345678", "clusters": [str(2**63), str(clusters[0].pk)]},
    )
    assert response.status_code == 200
    assert "clusters" in response.context["form"].errors
    assert row_counts() == before


TILL_ACTIONS = st.one_of(
    st.sampled_from(
        [
            "update",
            "payment",
            "find_customer",
            "clear_customer",
            "quick_add_customer",
            "complete",
            "new_sale",
        ]
    ),
    st.tuples(st.sampled_from(["add_product", "remove", "choose_customer"]), ANY_TEXT).map(
        ":".join
    ),
    ANY_TEXT,
)


def test_arbitrary_till_posts_never_break_the_till_or_half_write_a_sale(client, cashier, objects):
    """The till's form is its own (a cart in hidden fields, an action per button): every field
    of it, with every action, arbitrary. A sale is recorded whole or not at all."""
    client.force_login(cashier)
    url = reverse("sales:till")
    product = str(objects["product"])

    @fuzz_settings
    @given(
        action=TILL_ACTIONS,
        line_product=st.lists(st.one_of(st.just(product), ANY_TEXT), max_size=3),
        line_quantity=st.lists(ANY_TEXT, max_size=3),
        line_price=st.lists(ANY_TEXT, max_size=3),
        fields=st.fixed_dictionaries(
            {},
            optional={
                name: ANY_TEXT
                for name in (
                    "customer",
                    "payment_method",
                    "cash_tendered",
                    "mpesa_code",
                    "till_token",
                    "product_query",
                    "customer_query",
                    "name",
                    "phone",
                )
            },
        ),
    )
    def check(action, line_product, line_quantity, line_price, fields):
        response = client.post(
            url,
            {
                "action": action,
                "line_product": line_product,
                "line_quantity": line_quantity,
                "line_price": line_price,
                **fields,
            },
        )
        assert response.status_code < 500, (action, fields)
        # Whole sales only: every sale has its lines and its payment.
        assert not Sale.objects.filter(lines__isnull=True).exists()
        assert Payment.objects.count() == Sale.objects.count()
        assert SaleLine.objects.filter(sale__isnull=True).count() == 0

    check()


@pytest.mark.parametrize("product_id", ["²", "٣", "9" * 30])
def test_digits_that_are_not_an_id_are_a_message_at_the_till(client, cashier, product_id):
    """str.isdigit() says yes to superscripts and Arabic-Indic digits; int() or the database
    then said no."""
    client.force_login(cashier)
    response = client.post(
        reverse("sales:till"), {"action": "update", "line_product": [product_id]}
    )
    assert response.status_code == 200
    assert "no longer exists" in response.content.decode()


def test_an_oversized_upload_is_refused_unread_with_a_page(client, manager, settings):
    settings.MAX_REQUEST_BODY_BYTES = 1024
    client.force_login(manager)
    before = row_counts()
    response = client.post(
        reverse("customers:customer_import"),
        {"file": SimpleUploadedFile("big.csv", b"Name,Phone\n" + b"x" * 4096, "text/csv")},
    )
    assert response.status_code == 413
    assert "Nothing was saved" in response.content.decode()
    assert row_counts() == before


def test_too_many_fields_is_a_page_that_says_so(client, manager, settings):
    settings.DEBUG = False
    client.force_login(manager)
    response = client.post(
        reverse("customers:customer_add"), {f"field{n}": "x" for n in range(1500)}
    )
    assert response.status_code == 400
    assert "could not read what was sent" in response.content.decode()
