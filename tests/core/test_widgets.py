from django import forms
from django.test.html import parse_html

from core.widgets import QuickSelect

CHOICES = [("", "All clusters"), ("1", "Dairy farmers"), ("2", "Maize & <beans>")]


def test_a_quick_select_writes_what_djangos_select_writes():
    attrs = {"id": "id_cluster", "class": "form-select", "required": True}
    for value in ("", "2", "99"):
        ours = QuickSelect(attrs=attrs, choices=CHOICES).render("cluster", value)
        django = forms.Select(attrs=attrs, choices=CHOICES).render("cluster", value)
        assert parse_html(ours) == parse_html(django)
    assert "Maize &amp; &lt;beans&gt;" in QuickSelect(choices=CHOICES).render("cluster", "")
