"""A form read off a page the way a browser submits it: the fields a submit would send, with
their current values (hidden inputs, text, the checked radio, the selected option). The load
test's staff fill in what a person would type and press a button (its name and value are added
by the caller), so they send what the browser sends: the CSRF token, the till's token and cart."""

from html.parser import HTMLParser

_TEXT_TYPES = {"", "text", "hidden", "search", "number", "email", "tel", "password", "date"}


class _FormReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []  # (id, fields) in page order
        self.in_form = False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._textarea_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = {name: value if value is not None else "" for name, value in attrs}
        if tag == "form":
            self.fields = []
            self.forms.append((attributes.get("id", ""), self.fields))
            self.in_form = True
            return
        if not self.in_form:
            return
        name = attributes.get("name")
        if tag == "input" and name and "disabled" not in attributes:
            kind = attributes.get("type", "").lower()
            if kind in _TEXT_TYPES:
                self.fields.append((name, attributes.get("value", "")))
            elif kind in {"radio", "checkbox"} and "checked" in attributes:
                self.fields.append((name, attributes.get("value", "on")))
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select is not None:
            value = attributes.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in attributes and not self._select_chosen:
                self.fields.append((self._select, value))
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea, self._textarea_text = name, []

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form = False
        elif tag == "select" and self._select is not None:
            if not self._select_chosen and self._select_first is not None:
                self.fields.append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, "".join(self._textarea_text)))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea_text.append(data)


class Form:
    """The fields of one form, in page order; a name may repeat (the till's cart lines)."""

    def __init__(self, fields: list[tuple[str, str]]):
        self.fields = fields

    def get(self, name: str, default: str = "") -> str:
        return next((value for field, value in self.fields if field == name), default)

    def getlist(self, name: str) -> list[str]:
        return [value for field, value in self.fields if field == name]

    def set(self, name: str, value: str) -> None:
        """Type `value` into the field `name` (replacing what it held; added if absent)."""
        self.fields = [(field, old) for field, old in self.fields if field != name]
        self.fields.append((name, value))

    def submit(self, button_name: str = "action", button_value: str = "") -> list[tuple[str, str]]:
        """What pressing the button sends: every field, then the button's name and value."""
        return [*self.fields, (button_name, button_value)] if button_value else list(self.fields)


def read_form(page: str, form_id: str = "", *, with_field: str = "") -> Form | None:
    """The page's form with the id `form_id`, or else the first that has a field `with_field`
    (the header's log-out button is a form too), or else the first; None if there is none."""
    reader = _FormReader()
    reader.feed(page)
    reader.close()
    for found_id, fields in reader.forms:
        if form_id and found_id != form_id:
            continue
        if with_field and all(name != with_field for name, _value in fields):
            continue
        return Form(fields)
    return None
