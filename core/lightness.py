"""How light the till is on a slow mobile link (`manage.py lightness`, make lightness).

Chromium, driven through Playwright, opens the till on a link emulated through the DevTools
protocol (CDP `Network.emulateNetworkConditions`: 400 ms round trip, 400 kbit/s each way) and
sells two products on credit to a known customer by keyboard, as a cashier would. Measured:

- bytes on the wire (CDP `Network.loadingFinished` encodedDataLength: headers and compressed
  body, received; what was sent is reported beside) and round trips (requests that went to the
  network, not answered from a cache) of the till's first load, by resource type, with an empty
  cache (cold) and again (warm);
- for each step of the sale: its bytes, round trips, time, and the keys pressed that are not
  typing (Enter, Tab, arrows, F-keys); typing time is left out of every time;
- time to usable: from navigation start until the product box has the cursor and htmx is there.

The till's service worker (it keeps a copy of the till for selling offline) fetches in a target
of its own: its requests are counted from Playwright's events, and the same link is emulated on
it through the browser's CDP session as soon as it appears, and again while the wire is watched
(what is sent at attach is not always kept); its install fetches, after the till is usable, go
before that, unslowed.

A benchmark, not a test: figures are reported beside their targets, never asserted on timing.
Nothing here touches the database: the caller chooses the products and the customer, and checks
what was recorded.
"""

import base64
import json
import re
import time
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.chromium import CHROMIUM, CHROMIUM_FLAGS

# The targets of issue 18, "Measured, in a benchmark, not a timed test".
TARGETS = {
    "first_load_kb": 80,  # the till's first load, bytes on the wire (cold cache)
    "step_kb": 3,  # each step of a sale
    "complete_round_trips": 2,  # Complete, up to the receipt
    "non_typing_keys": 8,  # a whole keyboard credit sale of two products to a known customer
    "sale_seconds": 4,  # the whole sale at 400 ms and 400 kbit/s, typing excluded
}
KB = 1000  # as Chrome's DevTools counts a kB
# A slow mobile link (3G as Kenyan shops often have it): latency is the round trip in ms,
# throughput in bytes a second (400 kbit/s = 50,000 bytes/s).
SLOW_3G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 50_000,
    "uploadThroughput": 50_000,
}

# What the till keeps for finding its parts (the lead keeps these while the till changes).
PRODUCT_BOX = "Scan or search a product"
CUSTOMER_BOX = "Find a customer by name or phone"
COMPLETE = "complete-sale"
TOTAL = "till-total"
RECEIPT = "receipt"

STEP_QUIET_MS = 700  # longer than the till's search delays (250 and 300 ms)
LOAD_QUIET_MS = 2500  # the till asks for its price list 1.5 s after it is ready
WAIT_MS = 60_000
FRESH_SECONDS = 3  # how long the emulation is sent again to a newly attached service worker

# Records, in the page, when the till became usable: ms since navigation start.
USABLE_SCRIPT = """
(() => {
  const label = %s;
  const check = () => {
    if (window.__lightnessUsable) return true;
    const found = Array.from(document.querySelectorAll("label"))
      .find((element) => element.textContent.trim().startsWith(label));
    const box = found && found.control;
    if (box && document.activeElement === box && window.htmx) {
      window.__lightnessUsable = performance.now();
      return true;
    }
    return false;
  };
  const timer = setInterval(() => { if (check()) clearInterval(timer); }, 5);
})();
"""
NON_TYPING = re.compile(r"^(Enter|Tab|Shift\+Tab|Escape|Arrow\w+|F\d{1,2}|Page\w+|Home|End)$")


@dataclass
class Request:
    url: str
    type: str
    started: float  # time.perf_counter() when the request was seen
    finished: float | None = None
    bytes: int = 0  # received: headers and encoded body
    sent: int = 0  # sent, roughly: the request line, its headers and its body
    status: int | None = None
    encoding: str = ""
    cached: bool = False  # answered by the HTTP cache or a service worker: no round trip
    failed: bool = False
    service_worker: bool = False
    headers_guess: int = 0

    @property
    def on_the_wire(self) -> bool:
        return not self.cached and not self.failed and not self.url.startswith(("data:", "blob:"))


@dataclass
class Wire:
    """Every request of the page (its CDP session) and of its service worker (Playwright's
    events), in the order they were seen."""

    requests: list[Request] = field(default_factory=list)
    _page: dict = field(default_factory=dict)  # CDP requestId -> Request
    _worker: dict = field(default_factory=dict)  # Playwright request -> Request
    last_activity: float = 0.0
    on_wait: object = None  # called while waiting (ServiceWorkerLink.settle)

    # --- the page, through CDP ----------------------------------------------------------------

    def listen(self, cdp) -> None:
        cdp.on("Network.requestWillBeSent", self.request_will_be_sent)
        cdp.on("Network.requestWillBeSentExtraInfo", self.request_headers_sent)
        cdp.on("Network.responseReceived", self.response_received)
        cdp.on("Network.requestServedFromCache", self.served_from_cache)
        cdp.on("Network.loadingFinished", self.loading_finished)
        cdp.on("Network.loadingFailed", self.loading_failed)

    def request_will_be_sent(self, event: dict) -> None:
        self.last_activity = time.perf_counter()
        previous = self._page.get(event["requestId"])
        if previous is not None and event.get("redirectResponse"):
            # An HTTP redirect: the same id goes on to a new request; the first was a round trip.
            previous.finished = self.last_activity
            previous.status = event["redirectResponse"].get("status")
            previous.bytes = int(event["redirectResponse"].get("encodedDataLength") or 0)
        request = Request(
            url=event["request"]["url"],
            type=event.get("type") or "Other",
            started=self.last_activity,
            sent=_sent_bytes(event["request"]),
            headers_guess=_headers_bytes(event["request"].get("headers") or {}),
        )
        self._page[event["requestId"]] = request
        self.requests.append(request)

    def request_headers_sent(self, event: dict) -> None:
        # The headers as sent (cookies included), in place of those the page asked for.
        request = self._page.get(event["requestId"])
        if request is not None and event.get("headers"):
            request.sent += _headers_bytes(event["headers"]) - request.headers_guess

    def response_received(self, event: dict) -> None:
        request = self._page.get(event["requestId"])
        if request is None:
            return
        response = event["response"]
        request.status = response.get("status")
        headers = {name.lower(): value for name, value in (response.get("headers") or {}).items()}
        request.encoding = headers.get("content-encoding", "")
        if event.get("type"):
            request.type = event["type"]
        if any(
            response.get(key) for key in ("fromDiskCache", "fromPrefetchCache", "fromServiceWorker")
        ):
            request.cached = True

    def served_from_cache(self, event: dict) -> None:
        request = self._page.get(event["requestId"])
        if request is not None:
            request.cached = True

    def loading_finished(self, event: dict) -> None:
        self.last_activity = time.perf_counter()
        request = self._page.get(event["requestId"])
        if request is not None:
            request.finished = self.last_activity
            request.bytes = int(event.get("encodedDataLength") or 0)

    def loading_failed(self, event: dict) -> None:
        self.last_activity = time.perf_counter()
        request = self._page.get(event["requestId"])
        if request is not None:
            request.finished = self.last_activity
            request.failed = True

    # --- the service worker, through Playwright ------------------------------------------------

    def listen_to_service_workers(self, context) -> None:
        context.on("request", self.worker_request)
        context.on("requestfinished", self.worker_request_finished)
        context.on("requestfailed", self.worker_request_failed)

    def worker_request(self, pw_request) -> None:
        if pw_request.service_worker is None:
            return  # the page's: counted through CDP
        self.last_activity = time.perf_counter()
        request = Request(
            url=pw_request.url,
            type="Service worker",
            started=self.last_activity,
            service_worker=True,
        )
        self._worker[pw_request] = request
        self.requests.append(request)

    def worker_request_finished(self, pw_request) -> None:
        request = self._worker.get(pw_request)
        if request is None:
            return
        self.last_activity = time.perf_counter()
        request.finished = self.last_activity
        sizes = pw_request.sizes()
        # Headers and encoded body; an answer from the HTTP cache comes to 0 (its body is
        # reported as minus its headers).
        request.bytes = max(sizes["responseHeadersSize"] + sizes["responseBodySize"], 0)
        request.sent = max(sizes["requestHeadersSize"] + sizes["requestBodySize"], 0)
        request.cached = request.bytes == 0
        response = pw_request.response()
        if response is not None:
            request.status = response.status
            request.encoding = response.headers.get("content-encoding", "")

    def worker_request_failed(self, pw_request) -> None:
        request = self._worker.get(pw_request)
        if request is not None:
            self.last_activity = time.perf_counter()
            request.finished = self.last_activity
            request.failed = True

    # --- reading ---------------------------------------------------------------------------------

    def mark(self) -> int:
        return len(self.requests)

    def since(self, mark: int) -> list[Request]:
        return self.requests[mark:]

    def in_flight(self) -> int:
        return sum(1 for request in self.requests if request.finished is None)

    def wait_quiet(self, page, *, quiet_ms: int, timeout_ms: int = WAIT_MS) -> None:
        """Until nothing has been in flight for `quiet_ms` (events arrive while Playwright
        waits)."""
        deadline = time.perf_counter() + timeout_ms / 1000
        while time.perf_counter() < deadline:
            page.wait_for_timeout(50)
            if self.on_wait:
                self.on_wait()
            idle_s = time.perf_counter() - self.last_activity
            if not self.in_flight() and idle_s * 1000 >= quiet_ms:
                return
        # Something never finished (a long poll, a request the page dropped): counted as is.


def wire_summary(requests: list[Request]) -> dict:
    """Round trips and bytes on the wire, in all and by resource type."""
    by_type: dict[str, dict] = {}
    for request in requests:
        if not request.on_the_wire:
            continue
        row = by_type.setdefault(request.type, {"round_trips": 0, "bytes": 0, "sent": 0})
        row["round_trips"] += 1
        row["bytes"] += request.bytes
        row["sent"] += request.sent
    first = requests[0].started if requests else 0.0
    return {
        "round_trips": sum(row["round_trips"] for row in by_type.values()),
        "bytes": sum(row["bytes"] for row in by_type.values()),
        "sent": sum(row["sent"] for row in by_type.values()),
        "by_type": dict(sorted(by_type.items(), key=lambda item: -item[1]["bytes"])),
        "requests": [
            {
                **{
                    k: v
                    for k, v in asdict(request).items()
                    if k not in ("started", "finished", "headers_guess")
                },
                "at_ms": round((request.started - first) * 1000),  # after the first
                "ms": round((request.finished - request.started) * 1000)
                if request.finished is not None
                else None,
            }
            for request in requests
            if not request.url.startswith("data:")
        ],
    }


def _headers_bytes(headers: dict) -> int:
    return sum(len(f"{name}: {value}\r\n".encode()) for name, value in headers.items())


def _sent_bytes(request: dict) -> int:
    """The request line, the headers the page asked for (replaced by those sent when Chrome
    says) and the body."""
    line = len(f"{request.get('method', 'GET')} {request['url']} HTTP/1.1\r\n\r\n".encode())
    body = 0
    if request.get("postData") is not None:
        body = len(request["postData"].encode())
    else:
        for entry in request.get("postDataEntries") or []:
            body += len(base64.b64decode(entry.get("bytes", "")))
    return line + _headers_bytes(request.get("headers") or {}) + body


class Keys:
    """The keyboard, counting the keys that are not typing and timing the typing."""

    def __init__(self, page):
        self.page = page
        self.pressed: list[str] = []
        self.typing_seconds = 0.0

    def press(self, key: str) -> None:
        if NON_TYPING.match(key):
            self.pressed.append(key)
        self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        before = time.perf_counter()
        self.page.keyboard.type(text)
        self.typing_seconds += time.perf_counter() - before


class ServiceWorkerLink:
    """The same emulated link on the till's service worker: a target of its own, which the
    page's CDP session does not reach. Attached through the browser's CDP session (one message
    at a time, as Target.sendMessageToTarget carries them)."""

    def __init__(self, browser, network: dict | None, notes: list[str]):
        self.network = network
        self.notes = notes
        self.attached: set[str] = set()
        self.sessions: list[str] = []
        self.fresh: dict[str, float] = {}  # session -> when attached
        self.message_id = 0
        self.session = None
        if network is None:
            return
        try:
            self.session = browser.new_browser_cdp_session()
            self.session.on("Target.targetCreated", self.target_created)
            self.session.on("Target.receivedMessageFromTarget", self.answered)
            self.session.send("Target.setDiscoverTargets", {"discover": True})
        except Exception as error:  # noqa: BLE001 - a note beside the figures
            self.notes.append(f"The service worker's link is not emulated: {error}")
            self.session = None

    def target_created(self, event: dict) -> None:
        info = event["targetInfo"]
        if info.get("type") != "service_worker" or info["targetId"] in self.attached:
            return
        self.attached.add(info["targetId"])
        try:
            session_id = self.session.send(
                "Target.attachToTarget", {"targetId": info["targetId"], "flatten": False}
            )["sessionId"]
            self.sessions.append(session_id)
            self.fresh[session_id] = time.perf_counter()
            self._send(session_id, "Network.enable", {})
            self._send(session_id, "Network.emulateNetworkConditions", self.network)
        except Exception as error:  # noqa: BLE001
            self.notes.append(f"The service worker's link is not emulated: {error}")

    def settle(self) -> None:
        """Emulation sent at attach is not always kept (the worker is still starting): sent
        again, while the wire is watched, for a few seconds after each attach."""
        now = time.perf_counter()
        for session_id, attached in list(self.fresh.items()):
            if now - attached > FRESH_SECONDS:
                del self.fresh[session_id]
                continue
            try:
                self._send(session_id, "Network.emulateNetworkConditions", self.network)
            except Exception:  # noqa: BLE001
                del self.fresh[session_id]

    def reapply(self) -> None:
        for session_id in self.sessions:
            with suppress(Exception):  # a worker that has gone
                self._send(session_id, "Network.emulateNetworkConditions", self.network)

    def _send(self, session_id: str, method: str, params: dict) -> None:
        self.message_id += 1
        message = {"id": self.message_id, "method": method, "params": params}
        self.session.send(
            "Target.sendMessageToTarget", {"sessionId": session_id, "message": json.dumps(message)}
        )

    def answered(self, event: dict) -> None:
        answer = json.loads(event.get("message") or "{}")
        if "error" in answer:
            self.notes.append(f"The service worker's link is not emulated: {answer['error']}")


def measure(
    base_url: str,
    *,
    username: str,
    password: str,
    product_codes: tuple[str, str],
    customer_query: str,
    network: dict | None = SLOW_3G,
    chromium: str = str(CHROMIUM),
    log=print,
) -> dict:
    """Open the till cold and warm, then sell the two products on credit to the customer found
    by `customer_query` (one match), by keyboard. Returns the figures (see module docstring).
    `network=None` measures without emulation (a quick check that the walk still works).
    Playwright's sync API runs an event loop in the calling thread: call it from a thread
    without one (a test runs it in a thread of its own)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        return _measure(
            playwright, base_url, username=username, password=password,
            product_codes=product_codes, customer_query=customer_query, network=network,
            chromium=chromium, log=log,
        )  # fmt: skip


def _measure(
    playwright, base_url, *, username, password, product_codes, customer_query, network,
    chromium, log,
) -> dict:  # fmt: skip
    notes: list[str] = []
    results: dict = {"network": network, "base_url": base_url, "notes": notes}
    browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
    try:
        storage = _log_in(browser, base_url, username, password)
        # A context of its own: an empty cache (the login page's files not in it).
        context = browser.new_context(storage_state=storage)
        context.add_init_script(USABLE_SCRIPT % json.dumps(PRODUCT_BOX))
        page = context.new_page()
        wire = Wire()
        cdp = context.new_cdp_session(page)
        wire.listen(cdp)
        wire.listen_to_service_workers(context)
        cdp.send("Network.enable")
        if network is not None:
            cdp.send("Network.emulateNetworkConditions", network)
        worker_link = ServiceWorkerLink(browser, network, notes)
        wire.on_wait = worker_link.settle

        till_url = base_url.rstrip("/") + "/till/"
        log("The till, first load (empty cache)...")
        results["first_load"] = {"cold": _load(page, wire, till_url)}
        log("The till, loaded again (warm cache)...")
        worker_link.reapply()
        results["first_load"]["warm"] = _load(page, wire, till_url)
        log("A credit sale of two products, by keyboard...")
        results["steps"], keys = _sell(page, wire, product_codes, customer_query, notes)
        results["keys"] = {"non_typing": len(keys.pressed), "pressed": keys.pressed}
        results["sale"] = {
            "ms": round(sum(step["ms"] for step in results["steps"])),
            "round_trips": sum(step["round_trips"] for step in results["steps"]),
            "bytes": sum(step["bytes"] for step in results["steps"]),
            "sent": sum(step["sent"] for step in results["steps"]),
        }
        results["receipt_url"] = page.url
        results["service_workers_emulated"] = len(worker_link.attached)
        context.close()
    finally:
        browser.close()
    return results


def _log_in(browser, base_url: str, username: str, password: str) -> dict:
    context = browser.new_context()
    page = context.new_page()
    page.goto(base_url.rstrip("/") + "/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    storage = context.storage_state()
    context.close()
    return storage


def _load(page, wire: Wire, url: str) -> dict:
    mark = wire.mark()
    page.goto(url, wait_until="commit")
    page.wait_for_function("window.__lightnessUsable", timeout=WAIT_MS)
    usable_ms = page.evaluate("window.__lightnessUsable")
    before_usable = wire.mark()
    wire.wait_quiet(page, quiet_ms=LOAD_QUIET_MS)
    summary = wire_summary(wire.since(mark))
    summary["usable_ms"] = round(usable_ms)
    summary["bytes_before_usable"] = wire_summary(wire.requests[mark:before_usable])["bytes"]
    # The page itself, from the network (the service worker's fetch of it on a warm load).
    page_itself = [r for r in summary["requests"] if r["url"] == url and not r["cached"]]
    summary["document_encoding"] = page_itself[0]["encoding"] if page_itself else ""
    return summary


def _step(page, wire: Wire, keys: Keys, name: str, act, done) -> dict:
    """One step: `act(keys)` presses and types, `done()` waits until the till shows its result.
    The time runs from the first key to that result, less the typing."""
    wire.wait_quiet(page, quiet_ms=STEP_QUIET_MS)
    mark, pressed_before, typing_before = wire.mark(), len(keys.pressed), keys.typing_seconds
    before = time.perf_counter()
    act(keys)
    done()
    seconds = time.perf_counter() - before - (keys.typing_seconds - typing_before)
    wire.wait_quiet(page, quiet_ms=STEP_QUIET_MS)
    summary = wire_summary(wire.since(mark))
    return {
        "step": name,
        "keys": keys.pressed[pressed_before:],
        "ms": round(seconds * 1000),
        **summary,
    }


def _focused(locator) -> bool:
    return locator.count() == 1 and locator.evaluate(
        "element => element === document.activeElement"
    )


def _sell(page, wire: Wire, product_codes, customer_query: str, notes: list[str]):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # Each step ends when the page shows its result, watched in the page at every frame
    # (Playwright's expect() retries at growing intervals, up to a second: too coarse here).
    keys = Keys(page)
    product_box = page.get_by_label(PRODUCT_BOX)
    steps = []

    def add(code: str):
        total_before = _total(page)

        def act(keys):
            if not _focused(product_box):
                keys.press("F2")
            keys.type(code)
            keys.press("Enter")

        def added():
            page.wait_for_function(
                """([testid, before]) => {
                  const total = document.querySelector(`[data-testid="${testid}"]`);
                  return total && total.textContent.trim() !== before;
                }""",
                arg=[TOTAL, total_before],
                polling="raf",
                timeout=WAIT_MS,
            )

        return act, added

    for number, code in enumerate(product_codes, start=1):
        wire.wait_quiet(page, quiet_ms=STEP_QUIET_MS)
        act, done = add(code)
        steps.append(_step(page, wire, keys, f"Product {number} (code + Enter)", act, done))

    def find_customer(keys):
        keys.press("F4")
        keys.type(customer_query)
        keys.press("Enter")

    def customer_chosen():
        # The customer box gives way to the customer once one is chosen.
        page.wait_for_function(
            """label => !Array.from(document.querySelectorAll("label"))
                .some((element) => element.textContent.trim().startsWith(label))""",
            arg=CUSTOMER_BOX,
            polling="raf",
            timeout=WAIT_MS,
        )

    steps.append(
        _step(page, wire, keys, "Customer (F4, name, Enter)", find_customer, customer_chosen)
    )
    credit = page.get_by_role("radio", name=re.compile(r"^\s*credit\b", re.IGNORECASE))
    # Read before the step: the cashier knows the key (the till shows it on the button).
    shortcut = _credit_shortcut(credit)
    if not shortcut:
        notes.append("No key shortcut for Credit on the till: Tab and arrows instead.")

    def choose_credit(keys):
        if shortcut:
            keys.press(shortcut)
        else:
            _tab_to_credit(page, keys, credit)

    def credit_chosen():
        chosen = "radio => radio.checked"
        try:
            page.wait_for_function(chosen, arg=credit.element_handle(), polling="raf", timeout=3000)
        except PlaywrightTimeout:
            notes.append(f"Credit's key {shortcut} did not choose Credit: Tab and arrows instead.")
            _tab_to_credit(page, keys, credit)
            page.wait_for_function(chosen, arg=credit.element_handle(), timeout=WAIT_MS)

    steps.append(_step(page, wire, keys, "Credit", choose_credit, credit_chosen))
    complete = page.get_by_test_id(COMPLETE)

    def press_complete(keys):
        for _ in range(40):
            if _focused(complete):
                break
            keys.press("Tab")
        keys.press("Enter")

    def receipt_shown():
        page.wait_for_url(lambda url: not url.rstrip("/").endswith("/till"), timeout=WAIT_MS)
        page.get_by_test_id(RECEIPT).wait_for(state="visible", timeout=WAIT_MS)

    steps.append(
        _step(page, wire, keys, "Complete (Enter) to the receipt", press_complete, receipt_shown)
    )
    return steps, keys


def _total(page) -> str:
    return page.get_by_test_id(TOTAL).inner_text().strip()


def _credit_shortcut(credit) -> str:
    """The till's key for Credit, read off the page: aria-keyshortcuts, else data-key."""
    if credit.count() != 1:
        return ""
    for attribute in ("aria-keyshortcuts", "data-key", "data-payment-key"):
        shortcut = (credit.get_attribute(attribute) or "").split(" ")[0]
        if shortcut:
            return shortcut
    return ""


def _tab_to_credit(page, keys: Keys, credit) -> None:
    """Without a key for it: Tab to the payment choice, then arrows to Credit."""
    for _ in range(40):
        if page.evaluate("document.activeElement && document.activeElement.type === 'radio'"):
            break
        keys.press("Tab")
    for _ in range(6):
        if credit.is_checked():
            return
        keys.press("ArrowRight")


# --- judging and writing --------------------------------------------------------------------


def judge(results: dict, targets: dict = TARGETS) -> list[dict]:
    """Each target with its figure: [{"what", "figure", "target", "met"}]."""
    rows = []

    def row(what, figure, target, unit, shown=None):
        rows.append(
            {
                "what": what,
                "figure": figure,
                "shown": shown if shown is not None else f"{figure} {unit}",
                "target": f"<= {target} {unit}",
                "met": figure is not None and figure <= target,
            }
        )

    cold = results["first_load"]["cold"]
    row(
        "Till first load (cold cache), bytes on the wire",
        round(cold["bytes"] / KB, 1),
        targets["first_load_kb"],
        "KB",
    )
    for step in results["steps"]:
        row(f"Step: {step['step']}, bytes", round(step["bytes"] / KB, 1), targets["step_kb"], "KB")
    complete = results["steps"][-1]
    row(
        "Complete, round trips",
        complete["round_trips"],
        targets["complete_round_trips"],
        "round trips",
    )
    row(
        "Whole keyboard credit sale, non-typing keys",
        results["keys"]["non_typing"],
        targets["non_typing_keys"],
        "keys",
        shown=f"{results['keys']['non_typing']} ({' '.join(results['keys']['pressed'])})",
    )
    row(
        "Whole credit sale at 400 ms / 400 kbit/s, typing excluded",
        round(results["sale"]["ms"] / 1000, 2),
        targets["sale_seconds"],
        "s",
    )
    return rows


def markdown(results: dict) -> str:
    network = results.get("network")
    link = (
        f"{network['latency']} ms round trip, {network['downloadThroughput'] * 8 // 1000} kbit/s "
        "each way (CDP emulation)"
        if network
        else "no network emulation"
    )
    lines = [
        f"Lightness of the till, {results.get('measured_at', '')}: {link}; "
        f"1 KB = {KB} bytes on the wire (headers and compressed body), received unless said.",
        "",
        "| figure | measured | target | met |",
        "|---|---:|---:|---|",
    ]
    for row in judge(results):
        lines.append(
            f"| {row['what']} | {row['shown']} | {row['target']} | "
            f"{'met' if row['met'] else 'NOT met'} |"
        )
    lines += ["", "### First load of the till", ""]
    lines += [
        "| load | time to usable | round trips | bytes | of which before usable | HTML encoding |"
    ]
    lines += ["|---|---:|---:|---:|---:|---|"]
    for name, load in results["first_load"].items():
        lines.append(
            f"| {name} | {load['usable_ms']} ms | {load['round_trips']} | {load['bytes']:,} | "
            f"{load['bytes_before_usable']:,} | {load['document_encoding'] or 'none'} |"
        )
    lines += ["", "Bytes by type, cold: " + _by_type(results["first_load"]["cold"])]
    lines += ["", "Bytes by type, warm: " + _by_type(results["first_load"]["warm"])]
    lines += ["", "### The sale, step by step", ""]
    lines += [
        "| step | keys (not typing) | time | round trips | bytes received | bytes sent |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for step in results["steps"]:
        lines.append(
            f"| {step['step']} | {' '.join(step['keys']) or '—'} | {step['ms']} ms | "
            f"{step['round_trips']} | {step['bytes']:,} | {step.get('sent', 0):,} |"
        )
    sale = results["sale"]
    lines.append(
        f"| **whole sale** | {results['keys']['non_typing']} | {sale['ms']} ms | "
        f"{sale['round_trips']} | {sale['bytes']:,} | {sale.get('sent', 0):,} |"
    )
    if results.get("notes"):
        lines += ["", "Notes:", *[f"- {note}" for note in results["notes"]]]
    return "\n".join(lines) + "\n"


def _by_type(load: dict) -> str:
    parts = [
        f"{name} {row['bytes']:,} B in {row['round_trips']}"
        for name, row in load["by_type"].items()
    ]
    return ", ".join(parts) or "nothing on the wire"


def write(results: dict, *, json_path: str | None, markdown_path: str | None) -> None:
    for path in (json_path, markdown_path):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    if json_path:
        payload = {**results, "targets": TARGETS, "judged": judge(results)}
        Path(json_path).write_text(json.dumps(payload, indent=2) + "\n")
    if markdown_path:
        Path(markdown_path).write_text(markdown(results))
