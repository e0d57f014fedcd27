"""Pages sent without their templates' indentation keep what the whitespace meant."""

from django.http import HttpResponse

from core.html import without_indentation


def test_indentation_becomes_one_newline_and_words_stay_apart():
    response = HttpResponse(
        b"<div>\n    <span>DAP fertiliser</span>\n      <span>6161101230011</span>\n</div>"
    )
    assert without_indentation(response).content == (
        b"<div>\n<span>DAP fertiliser</span>\n<span>6161101230011</span>\n</div>"
    )


def test_text_within_a_line_is_untouched():
    response = HttpResponse("<p>Mũthoni  Wanjirũ · KES 3,500.00</p>".encode())
    assert without_indentation(response).content.decode() == (
        "<p>Mũthoni  Wanjirũ · KES 3,500.00</p>"
    )
