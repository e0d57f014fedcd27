// The till: keyboard first (a barcode scanner types a code and presses Enter), htmx swaps the
// cart in place, and when the link drops the till keeps selling cash and M-Pesa on its own
// (the cart, prices from the saved price list, sales kept in till_queue.js until they are sent).
// Without JavaScript the page still works with plain form posts, online.
(function () {
  "use strict";
  document.documentElement.classList.add("js-enabled");

  var texts = {};
  var config = {};
  var offline = false;
  var products = null; // the saved price list: [[id, code, name, retail, wholesale], ...]
  var lastRequest = null; // {action, method} of the till request in flight
  var lastKeyWasArrow = false;

  function till() {
    return document.getElementById("till");
  }

  function text(name, values) {
    var message = texts[name] || name;
    Object.keys(values || {}).forEach(function (key) {
      message = message.split("{" + key + "}").join(values[key]);
    });
    return message;
  }

  // --- the status banner: every answer the till did not get is said here -------------------

  function showStatus(kind, message) {
    var status = document.getElementById("till-status");
    if (!status) return;
    status.innerHTML = "";
    if (!message) return;
    var alert = document.createElement("div");
    alert.className = "alert alert-" + kind + " mb-2";
    alert.setAttribute("role", kind === "danger" || kind === "warning" ? "alert" : "status");
    alert.dataset.kind = kind;
    alert.textContent = message;
    status.appendChild(alert);
  }

  function clearStatus() {
    showStatus("info", "");
  }

  // --- money and quantities, exactly as the server rounds them (sales.pricing) --------------

  function cents(amount) {
    // "3500.00", "3,500.5" -> 350000n; null when it is not an amount.
    var cleaned = String(amount == null ? "" : amount).replace(/,/g, "").trim();
    var match = cleaned.match(/^(\d+)(?:\.(\d{0,2}))?$/);
    if (!match) return null;
    return BigInt(match[1]) * 100n + BigInt(((match[2] || "") + "00").slice(0, 2));
  }

  function thousandths(quantity) {
    var cleaned = String(quantity || "").trim().replace(",", ".");
    var match = cleaned.match(/^(\d+)(?:\.(\d{0,3}))?$/);
    if (!match) return null;
    var value = BigInt(match[1]) * 1000n + BigInt(((match[2] || "") + "000").slice(0, 3));
    return value > 0n ? value : null;
  }

  function lineCents(unitCents, quantityThousandths) {
    // Half up, as core.money.to_money rounds.
    return (unitCents * quantityThousandths + 500n) / 1000n;
  }

  function plainAmount(value) {
    var whole = value / 100n;
    var rest = String(value % 100n).padStart(2, "0");
    return whole + "." + rest;
  }

  function shillings(value) {
    var whole = String(value / 100n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return whole + "." + String(value % 100n).padStart(2, "0");
  }

  // --- focus and keys ---------------------------------------------------------------------

  function clickAction(action) {
    var button = till().querySelector('button[name="action"][value="' + action + '"]');
    if (button && !button.disabled) {
      button.click();
    }
  }

  function focusDefault(root) {
    // data-focus, not autofocus: htmx would move the cursor on every swap, even away from a box
    // the cashier has already started typing in.
    var field = (root || document).querySelector("#till [data-focus]");
    if (field) {
      field.focus();
      if (field.select) {
        field.select();
      }
    }
  }

  function focusField(selector) {
    var field = till().querySelector(selector);
    if (field) {
      field.focus();
      if (field.select) field.select();
    }
  }

  function showPaymentSection(method) {
    till()
      .querySelectorAll("[data-payment-section]")
      .forEach(function (section) {
        section.classList.toggle("active", section.dataset.paymentSection === method);
      });
  }

  // Where the cashier types next once a payment method is chosen.
  function focusPayment(method) {
    if (method === "cash") focusField("#cash_tendered");
    else if (method === "mpesa") focusField("#mpesa_code");
    else focusField("#complete-sale");
  }

  function choosePayment(method) {
    var radio = till().querySelector('input[name="payment_method"][value="' + method + '"]');
    if (!radio || radio.disabled) return;
    radio.checked = true;
    showPaymentSection(method);
    updateCreditSection();
    focusPayment(method);
  }

  function chosenPayment() {
    var radio = till().querySelector('input[name="payment_method"]:checked');
    return radio ? radio.value : "cash";
  }

  function updateChangeDue() {
    var form = till();
    var box = form.querySelector("#cash_tendered");
    var target = form.querySelector('[data-testid="change-due"]');
    if (!box || !target) return;
    var tendered = cents(box.value);
    var total = cents(form.dataset.total);
    target.textContent =
      tendered !== null && total !== null && tendered >= total
        ? "KES " + shillings(tendered - total)
        : "—";
  }

  document.addEventListener("keydown", function (event) {
    if (!till() || till().hidden) {
      return;
    }
    lastKeyWasArrow = /^Arrow/.test(event.key);
    if (event.key === "F2") {
      event.preventDefault();
      var product = document.getElementById("product_query");
      if (product) product.focus();
      return;
    }
    if (event.key === "F4") {
      event.preventDefault();
      var customer = document.getElementById("customer_query");
      if (customer) customer.focus();
      return;
    }
    var shortcut = till().querySelector('input[name="payment_method"][data-payment-key="' + event.key + '"]');
    if (shortcut) {
      event.preventDefault();
      choosePayment(shortcut.value);
      return;
    }
    if (event.key === "Enter" && event.target.name === "payment_method") {
      // Enter on the payment choice goes on to that method's box (or to Complete).
      event.preventDefault();
      focusPayment(event.target.value);
      return;
    }
    if (event.key !== "Enter" || !event.target.dataset || !event.target.dataset.enter) {
      return;
    }
    event.preventDefault();
    // What Enter sent is not searched for again when the box's type-ahead timer runs out.
    event.target.dataset.entered = event.target.value;
    var action = event.target.dataset.enter;
    if (action === "find_customer") {
      // One suggestion on screen: Enter chooses it, as a cashier expects.
      var matches = till().querySelectorAll('#customer-matches button[name="action"]');
      if (matches.length === 1) {
        matches[0].click();
        return;
      }
    }
    clickAction(action);
  });

  document.addEventListener("input", function (event) {
    if (event.target.id === "cash_tendered") {
      updateChangeDue();
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.name === "payment_method") {
      showPaymentSection(event.target.value);
      updateCreditSection();
      // Arrow keys move within the payment choice and stay there; a tap or click goes on to
      // the box the method needs.
      if (!lastKeyWasArrow) focusPayment(event.target.value);
    }
  });

  // A plain (no-htmx) submit of "Complete sale" cannot be clicked twice; the server also
  // refuses to record the same till form twice.
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.value === "complete" && !window.htmx) {
      setTimeout(function () {
        submitter.disabled = true;
      }, 0);
    }
  });

  // --- talking to the server: every request has an answer the cashier sees ----------------

  function requestAction(detail) {
    var data = detail.formData || detail.parameters;
    var action = data && typeof data.get === "function" ? data.get("action") : null;
    return String(action || (detail.verb === "get" ? "search" : "update"));
  }

  function isTillRequest(element) {
    return element && till() && (element === till() || till().contains(element));
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (event.detail.verb === "get" && elt && (!elt.isConnected || elt.dataset.entered === elt.value)) {
      // A suggestion for a box that Enter already answered (or a swap already replaced).
      event.preventDefault();
      return;
    }
    if (!isTillRequest(elt)) return;
    var action = requestAction(event.detail);
    if (offline) {
      // No link: the till answers by itself instead of waiting for a request that will fail;
      // but if the phone says it has a network, look first: the link may be back.
      event.preventDefault();
      var detail = event.detail;
      var replayable = detail.verb !== "get" && (action !== "update" || detail.elt !== till());
      if (navigator.onLine && replayable) {
        probe({ quietly: true }).then(function (back) {
          if (back) replay(action, detail);
          else offlineAction(action, detail);
        });
      } else {
        offlineAction(action, detail);
      }
      return;
    }
    lastRequest = { action: action, method: chosenPayment() };
    // A page reopened from the service worker's copy may carry a token from before the last
    // login; the cookie always has the current one.
    var csrf = window.TillQueue ? window.TillQueue.csrfToken() : "";
    if (csrf && event.detail.verb !== "get") event.detail.parameters["csrfmiddlewaretoken"] = csrf;
    if (action.indexOf("search") === -1 && event.detail.verb !== "get") {
      clearStatus();
    }
  });

  function failedComplete(kind, status) {
    var method = lastRequest ? lastRequest.method : chosenPayment();
    if (kind === "network" || kind === "timeout") {
      if (method === "credit") {
        showStatus("danger", text("complete_network_credit"));
        return;
      }
      // Kept on this device under this till's token: sent when the link is back, recorded
      // once whether or not the lost request had reached the server.
      queueFromCart({ validate: false }).then(function (queued) {
        showStatus("warning", text(queued ? "complete_network_queued" : "complete_network"));
      });
      return;
    }
    if (status === 503) {
      showStatus("danger", text("complete_unavailable"));
    } else if (status === 502 || status === 504) {
      showStatus("danger", text("complete_gateway", { status: status }));
    } else if (status === 403) {
      showStatus("danger", text("forbidden"));
    } else {
      showStatus("danger", text("complete_server_error", { status: status }));
    }
  }

  function failedStep(kind, status) {
    if (kind === "network") {
      showStatus("warning", text("step_network"));
    } else if (kind === "timeout") {
      showStatus("warning", text("step_timeout"));
    } else if (status === 403) {
      showStatus("danger", text("forbidden"));
    } else if (status === 503) {
      showStatus("danger", text("step_unavailable"));
    } else {
      showStatus("danger", text("step_server_error", { status: status }));
    }
  }

  function failed(event, kind) {
    if (!isTillRequest(event.detail.elt)) return;
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var action = lastRequest ? lastRequest.action : "";
    if (kind === "network") {
      goOffline();
    }
    if (action === "complete") {
      failedComplete(kind, status);
    } else {
      failedStep(kind, status);
    }
    lastRequest = null;
  }

  document.addEventListener("htmx:sendError", function (event) {
    failed(event, "network");
  });
  document.addEventListener("htmx:timeout", function (event) {
    failed(event, "timeout");
  });
  document.addEventListener("htmx:responseError", function (event) {
    failed(event, "status");
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    // A session that ended answers with the login page: never swap it into the till.
    var xhr = event.detail.xhr;
    if (xhr && xhr.responseURL && /\/login\//.test(xhr.responseURL)) {
      event.detail.shouldSwap = false;
      showStatus("danger", text("logged_out"));
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (isTillRequest(event.detail.elt) && event.detail.successful) {
      lastRequest = null;
      if (offline) goOnline();
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    // The swap removed the box the cashier was in; put the cursor where the server says the
    // next keystroke belongs, unless they have already moved on to another box.
    var active = document.activeElement;
    var typing = active && active !== document.body && till() && till().contains(active);
    if (event.target.id === "till") {
      showPaymentSection(chosenPayment());
      updateCreditSection();
      if (!typing) focusDefault(document);
    }
  });

  // --- offline: the till on its own ---------------------------------------------------------

  function goOffline() {
    if (offline) return;
    offline = true;
    document.documentElement.classList.add("till-offline");
    updateCreditSection();
    showStatus("warning", text("offline"));
    loadProducts();
  }

  function goOnline(options) {
    if (!offline) return;
    offline = false;
    document.documentElement.classList.remove("till-offline");
    updateCreditSection();
    var banner = document.querySelector('#till-status [data-kind="warning"]');
    if (banner) clearStatus();
    // A request the cashier is sending again goes first; the queue follows it.
    if (!(options && options.quietly)) sendQueue();
  }

  // navigator.onLine only knows the phone has no network at all; a dead mobile link shows up as
  // a failed request (goOffline above) and its return as an answer to this probe.
  function probe(options) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () {
      if (controller) controller.abort();
    }, 4000);
    return fetch(config.productsUrl, {
      method: "HEAD",
      cache: "no-store",
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined,
    }).then(
      function () {
        clearTimeout(timer);
        goOnline(options);
        return true;
      },
      function () {
        clearTimeout(timer);
        return false;
      }
    );
  }

  // Send again, now that the link is back, what the cashier just asked for.
  function replay(action, detail) {
    if (action === "update") {
      window.htmx.trigger(detail.elt, "change");
    } else {
      clickAction(action);
    }
  }

  function updateCreditSection() {
    var form = till();
    if (!form) return;
    var credit = form.querySelector('input[name="payment_method"][value="credit"]');
    var section = form.querySelector('[data-payment-section="credit"]');
    var note = section && section.querySelector("[data-offline-credit]");
    if (credit) credit.disabled = offline;
    if (section && offline && !note) {
      note = document.createElement("p");
      note.className = "text-danger mb-0";
      note.dataset.offlineCredit = "";
      note.textContent = text("offline_credit");
      section.prepend(note);
    } else if (note && !offline) {
      note.remove();
    }
    if (offline && chosenPayment() === "credit") {
      var cash = form.querySelector('input[name="payment_method"][value="cash"]');
      cash.checked = true;
      showPaymentSection("cash");
    }
  }

  // Once the service worker controls the page, so that fetching the price list also keeps it
  // for a till reopened offline (without a worker: at once, for this page only).
  function serviceWorkerInCharge() {
    if (!("serviceWorker" in navigator) || navigator.serviceWorker.controller) return Promise.resolve();
    return new Promise(function (resolve) {
      navigator.serviceWorker.addEventListener("controllerchange", resolve);
      setTimeout(resolve, 5000);
    });
  }

  function loadProducts() {
    if (!config.productsUrl) return Promise.resolve(null);
    return serviceWorkerInCharge()
      .then(function () {
        return fetch(config.productsUrl, { credentials: "same-origin" });
      })
      .then(function (response) {
        if (!response.ok || (response.redirected && /\/login\//.test(response.url))) return null;
        return response.json();
      })
      .then(
        function (list) {
          if (list && list.products) {
            products = list.products;
            document.documentElement.dataset.priceListKept = list.generated_at || "yes";
          }
          return products;
        },
        function () {
          return products;
        }
      );
  }

  function normalised(value) {
    return String(value || "")
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase();
  }

  function productMatches(query) {
    var wanted = normalised(query).trim();
    if (!products || !wanted) return [];
    var exact = products.filter(function (product) {
      return normalised(product[1]) === wanted;
    });
    if (exact.length) return exact;
    var words = wanted.split(/\s+/);
    return products
      .filter(function (product) {
        var haystack = normalised(product[2] + " " + product[1]);
        return words.every(function (word) {
          return haystack.indexOf(word) !== -1;
        });
      })
      .slice(0, 8);
  }

  function productById(id) {
    if (!products) return null;
    for (var i = 0; i < products.length; i++) {
      if (String(products[i][0]) === String(id)) return products[i];
    }
    return null;
  }

  function unitPriceOf(product) {
    return till().dataset.priceList === "wholesale" ? product[4] : product[3];
  }

  function showProductMatches(matches, query) {
    var box = till().querySelector("#product-matches");
    if (!box) return;
    box.innerHTML = "";
    if (!matches.length) {
      if (query) {
        var none = document.createElement("p");
        none.className = "text-body-secondary small mb-2";
        none.textContent = products ? text("offline_no_product", { query: query }) : text("offline_no_price_list");
        box.appendChild(none);
      }
      return;
    }
    var list = document.createElement("div");
    list.className = "list-group mb-2";
    list.dataset.testid = "product-matches";
    matches.forEach(function (product) {
      var button = document.createElement("button");
      button.type = "submit";
      button.setAttribute("form", "till");
      button.name = "action";
      button.value = "add_product:" + product[0];
      button.className = "list-group-item list-group-item-action d-flex justify-content-between";
      var name = document.createElement("span");
      name.textContent = product[2] + " ";
      var code = document.createElement("span");
      code.className = "text-body-secondary small";
      code.textContent = product[1];
      name.appendChild(code);
      var price = document.createElement("span");
      price.textContent = "KES " + shillings(cents(unitPriceOf(product)));
      button.appendChild(name);
      button.appendChild(price);
      list.appendChild(button);
    });
    box.appendChild(list);
  }

  function cartRows() {
    return Array.prototype.slice.call(till().querySelectorAll('[data-cart-lines] tr[data-testid="cart-line"]'));
  }

  function addLine(product) {
    var rows = cartRows();
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].querySelector('[name="line_product"]').value === String(product[0])) {
        var box = rows[i].querySelector('[name="line_quantity"]');
        var quantity = thousandths(box.value);
        if (quantity !== null) {
          var next = quantity + 1000n;
          box.value = String(next / 1000n) + (next % 1000n ? "." + String(next % 1000n).padStart(3, "0").replace(/0+$/, "") : "");
        }
        return;
      }
    }
    var row = document.getElementById("till-line-template").content.firstElementChild.cloneNode(true);
    var unit = unitPriceOf(product);
    row.querySelector('[name="line_product"]').value = product[0];
    row.querySelector('[name="line_price"]').value = unit;
    row.querySelector("[data-line-name]").textContent = product[2];
    row.querySelector("[data-line-code]").textContent = product[1];
    row.querySelector("[data-line-unit-price]").textContent = shillings(cents(unit));
    row.querySelector("[data-line-price]").textContent = shillings(cents(unit));
    row.querySelector('[name="line_quantity"]').setAttribute("aria-label", text("quantity_of", { name: product[2] }));
    var empty = till().querySelector("[data-cart-empty]");
    if (empty) empty.remove();
    till().querySelector("[data-cart-lines]").appendChild(row);
    if (window.htmx) window.htmx.process(row);
  }

  // Each line's amount and the total, from the prices on the page and the quantities typed.
  function recount() {
    var total = 0n;
    var problems = [];
    cartRows().forEach(function (row, index) {
      var unit = cents(row.querySelector('[name="line_price"]').value);
      var box = row.querySelector('[name="line_quantity"]');
      var quantity = thousandths(box.value);
      var name = row.querySelector("[data-line-name]").textContent;
      var remove = row.querySelector('button[name="action"]');
      remove.value = "remove:" + index;
      remove.setAttribute("aria-label", text("remove_name", { name: name }));
      var most = thousandths(till().dataset.maxLineQuantity);
      var tooLarge = quantity !== null && most !== null && quantity > most;
      box.classList.toggle("is-invalid", quantity === null || unit === null || tooLarge);
      if (tooLarge) {
        problems.push(name + ": " + text("quantity_too_large", { quantity: box.value.trim() }));
      }
      if (quantity === null || unit === null) {
        problems.push(name + ": " + text("quantity_invalid"));
        row.querySelector("[data-line-total]").textContent = "—";
        return;
      }
      var amount = lineCents(unit, quantity);
      row.querySelector("[data-line-total]").textContent = shillings(amount);
      total += amount;
    });
    var form = till();
    form.dataset.total = plainAmount(total);
    form.querySelector('[data-testid="till-total"]').textContent = "KES " + shillings(total);
    updateChangeDue();
    return { total: total, problems: problems };
  }

  function newToken() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map
      .call(bytes, function (b) {
        return b.toString(16).padStart(2, "0");
      })
      .join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function tokenBox() {
    return till().querySelector('[name="till_token"]');
  }

  function customerName() {
    var name = till().querySelector('[data-testid="customer-name"]');
    return till().querySelector('[name="customer"]').value && name ? name.textContent.trim() : "";
  }

  function methodLabel(method) {
    var label = till().querySelector('label[for="payment-' + method + '"] span');
    return label ? label.textContent.trim() : method;
  }

  // The sale on the screen as the server's offline endpoint takes it, or the reason it can't
  // be sold offline as it stands.
  function saleFromCart(validate) {
    var counted = recount();
    var method = chosenPayment();
    var rows = cartRows();
    var problems = counted.problems.slice();
    if (!rows.length) problems.push(text("empty_cart"));
    if (method === "credit") problems.push(text("offline_credit"));
    var tendered = (till().querySelector("#cash_tendered") || {}).value || "";
    var code = ((till().querySelector("#mpesa_code") || {}).value || "").replace(/\s+/g, "").toUpperCase();
    if (method === "cash") {
      var tenderedCents = cents(tendered);
      if (!tendered.trim()) problems.push(text("cash_missing"));
      else if (tenderedCents === null) problems.push(text("cash_invalid"));
      else if (tenderedCents < counted.total)
        problems.push(text("cash_short", { tendered: shillings(tenderedCents), total: shillings(counted.total) }));
    }
    if (method === "mpesa" && !/^[A-Z0-9]{10}$/.test(code)) problems.push(text("mpesa_invalid"));
    if (validate && problems.length) return { problems: problems };
    if (!rows.length || method === "credit") return { problems: problems };
    var lines = rows.map(function (row) {
      var unit = cents(row.querySelector('[name="line_price"]').value);
      var quantity = row.querySelector('[name="line_quantity"]').value.trim().replace(",", ".");
      return {
        product: Number(row.querySelector('[name="line_product"]').value),
        quantity: quantity,
        unit_price: unit === null ? "" : plainAmount(unit),
        name: row.querySelector("[data-line-name]").textContent,
        line_total: row.querySelector("[data-line-total]").textContent,
      };
    });
    var customer = till().querySelector('[name="customer"]').value;
    var tenderedCents2 = cents(tendered);
    return {
      problems: [],
      entry: {
        till_token: tokenBox().value,
        // Sent only under this cashier's own login: the server records the sale as theirs.
        cashier_id: config.cashierId || "",
        queued_at: Date.now(),
        status: "waiting",
        message: "",
        payload: {
          till_token: tokenBox().value,
          sold_at: new Date().toISOString(),
          customer: customer ? Number(customer) : null,
          payment_method: method,
          cash_tendered: method === "cash" ? tendered.replace(/,/g, "").trim() : "",
          mpesa_code: method === "mpesa" ? code : "",
          lines: lines.map(function (line) {
            return { product: line.product, quantity: line.quantity, unit_price: line.unit_price };
          }),
          total: plainAmount(counted.total),
        },
        display: {
          customer: customerName(),
          method: methodLabel(method),
          lines: lines,
          total: shillings(counted.total),
          tendered: method === "cash" && tenderedCents2 !== null ? shillings(tenderedCents2) : "",
          change:
            method === "cash" && tenderedCents2 !== null && tenderedCents2 >= counted.total
              ? shillings(tenderedCents2 - counted.total)
              : "",
          mpesa_code: method === "mpesa" ? code : "",
          cashier: config.cashier || "",
        },
      },
    };
  }

  // Keep the sale on the screen in the queue (same till token: a second press replaces it).
  function queueFromCart(options) {
    var sale = saleFromCart(options.validate);
    if (!sale.entry) return Promise.resolve(null);
    return window.TillQueue.get(sale.entry.till_token)
      .then(function (existing) {
        if (existing && existing.status !== "waiting") return existing;
        if (existing) {
          sale.entry.queued_at = existing.queued_at;
          sale.entry.payload.sold_at = existing.payload.sold_at;
        }
        return window.TillQueue.put(sale.entry).then(function () {
          return sale.entry;
        });
      })
      .then(function (entry) {
        renderQueue();
        return entry;
      });
  }

  function offlineComplete() {
    var sale = saleFromCart(true);
    if (sale.problems.length) {
      showStatus("danger", sale.problems.join(" "));
      return;
    }
    window.TillQueue.all().then(function (entries) {
      var code = sale.entry.payload.mpesa_code;
      var clash =
        code &&
        entries.some(function (entry) {
          return entry.till_token !== sale.entry.till_token && entry.status !== "refused" && entry.payload.mpesa_code === code;
        });
      if (clash) {
        showStatus("danger", text("mpesa_in_queue", { code: code }));
        focusField("#mpesa_code");
        return;
      }
      queueFromCart({ validate: true }).then(function (entry) {
        if (entry) showProvisionalReceipt(entry);
      });
    });
  }

  function showProvisionalReceipt(entry) {
    var receipt = document.getElementById("till-provisional-receipt-template").content.firstElementChild.cloneNode(true);
    var display = entry.display;
    function field(name, value) {
      var element = receipt.querySelector('[data-field="' + name + '"]');
      if (element) element.textContent = value;
    }
    field("time", new Date(entry.payload.sold_at).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short", hour12: false }));
    field("cashier", display.cashier);
    field("customer", display.customer || text("walk_in"));
    field("reference", entry.till_token.slice(0, 8).toUpperCase());
    field("total", display.total);
    field("method", display.method);
    field("tendered", display.tendered);
    field("change", display.change);
    field("mpesa_code", display.mpesa_code);
    receipt.querySelectorAll("[data-cash-only]").forEach(function (row) {
      row.hidden = entry.payload.payment_method !== "cash";
    });
    receipt.querySelectorAll("[data-mpesa-only]").forEach(function (row) {
      row.hidden = entry.payload.payment_method !== "mpesa";
    });
    var lines = receipt.querySelector('[data-field="lines"]');
    display.lines.forEach(function (line) {
      var name = document.createElement("tr");
      var nameCell = document.createElement("td");
      nameCell.colSpan = 2;
      nameCell.className = "receipt-line-name";
      nameCell.textContent = line.name;
      name.appendChild(nameCell);
      var amounts = document.createElement("tr");
      var each = document.createElement("td");
      each.textContent = line.quantity + " × " + shillings(cents(line.unit_price));
      var sum = document.createElement("td");
      sum.className = "text-end";
      sum.textContent = line.line_total;
      amounts.appendChild(each);
      amounts.appendChild(sum);
      lines.appendChild(name);
      lines.appendChild(amounts);
    });
    till().hidden = true;
    var place = document.getElementById("till-receipt");
    place.innerHTML = "";
    place.appendChild(receipt);
    showStatus("warning", text("offline_recorded_here"));
    receipt.querySelector("[data-offline-new-sale]").focus();
  }

  // A fresh, empty till without the server: walk-in, a new token.
  function offlineNewSale() {
    var form = till();
    document.getElementById("till-receipt").innerHTML = "";
    form.hidden = false;
    cartRows().forEach(function (row) {
      row.remove();
    });
    var body = form.querySelector("[data-cart-lines]");
    if (!body.querySelector("[data-cart-empty]")) {
      var empty = document.createElement("tr");
      empty.dataset.cartEmpty = "";
      var cell = document.createElement("td");
      cell.colSpan = 5;
      cell.className = "text-body-secondary py-3 text-wrap";
      cell.textContent = text("empty_cart_hint");
      empty.appendChild(cell);
      body.appendChild(empty);
    }
    tokenBox().value = newToken();
    if (form.querySelector('[name="customer"]').value) {
      offlineClearCustomer();
      form.dataset.priceList = "retail";
    }
    ["#cash_tendered", "#mpesa_code", "#product_query"].forEach(function (selector) {
      var box = form.querySelector(selector);
      if (box) box.value = "";
    });
    form.querySelector("#product-matches").innerHTML = "";
    recount();
    clearStatus();
    if (offline) showStatus("warning", text("offline"));
    focusField("#product_query");
  }

  function offlineAction(action, detail) {
    var data = detail.formData;
    var parts = action.split(":");
    var name = parts[0];
    var argument = parts.slice(1).join(":");
    if (detail.verb === "get") {
      if (/product/.test(detail.path)) {
        var query = (data && data.get("product_query")) || "";
        showProductMatches(productMatches(query), query);
      } else {
        showStatus("warning", text("offline_customer"));
      }
      return;
    }
    if (name === "add_product") {
      var product = argument ? productById(argument) : null;
      if (!argument) {
        var typed = till().querySelector("#product_query").value.trim();
        if (!typed) return;
        var matches = productMatches(typed);
        if (matches.length === 1 || (matches.length && normalised(matches[0][1]) === normalised(typed))) {
          product = matches[0];
        } else {
          showProductMatches(matches, typed);
          if (!matches.length) showStatus("danger", products ? text("offline_no_product", { query: typed }) : text("offline_no_price_list"));
          return;
        }
      }
      if (!product) {
        showStatus("danger", text("offline_no_product", { query: argument }));
        return;
      }
      addLine(product);
      recount();
      till().querySelector("#product_query").value = "";
      till().querySelector("#product-matches").innerHTML = "";
      focusField("#product_query");
    } else if (name === "remove") {
      var row = cartRows()[Number(argument)];
      if (row) row.remove();
      recount();
    } else if (name === "update") {
      recount();
    } else if (name === "complete") {
      offlineComplete();
    } else if (name === "new_sale") {
      offlineNewSale();
    } else if (name === "clear_customer") {
      offlineClearCustomer();
    } else if (name === "quick_add_customer") {
      showStatus("warning", text("offline_quick_add"));
    } else {
      showStatus("warning", text("offline_customer"));
    }
  }

  function offlineClearCustomer() {
    // The customer comes off (a walk-in sale); the cart stays as priced until the link is back.
    var form = till();
    form.querySelector('[name="customer"]').value = "";
    var card = form.querySelector('[data-testid="till-customer"] .card-body');
    card.innerHTML = "";
    var walkIn = document.createElement("p");
    walkIn.className = "mb-0 text-body-secondary";
    walkIn.dataset.testid = "walk-in";
    walkIn.textContent = text("walk_in_offline");
    card.appendChild(walkIn);
  }

  // --- the queue on screen, and sending it ---------------------------------------------------

  function statusText(entry) {
    if (entry.status === "waiting" && entry.cashier_id !== (config.cashierId || ""))
      return text("queue_other_cashier", { name: entry.display.cashier });
    if (entry.status === "recorded") return text("queue_recorded", { number: entry.receipt_number || "" });
    if (entry.status === "refused") return text("queue_refused", { reason: entry.message || "" });
    return text("queue_waiting");
  }

  function renderQueue() {
    var panel = document.querySelector("[data-queue-panel]");
    if (!panel || !window.TillQueue) return Promise.resolve();
    return window.TillQueue.all().then(function (entries) {
      var shown = entries.filter(function (entry) {
        return !entry.hidden;
      });
      var list = panel.querySelector("[data-queue-list]");
      list.innerHTML = "";
      shown.forEach(function (entry) {
        var item = document.getElementById("till-queue-item-template").content.firstElementChild.cloneNode(true);
        item.dataset.status = entry.status;
        item.querySelector('[data-field="time"]').textContent = new Date(entry.payload.sold_at).toLocaleTimeString("en-GB", {
          hour: "2-digit",
          minute: "2-digit",
        });
        item.querySelector('[data-field="method"]').textContent = entry.display.method;
        item.querySelector('[data-field="total"]').textContent = entry.display.total;
        item.querySelector('[data-field="customer"]').textContent = entry.display.customer ? " · " + entry.display.customer : "";
        var status = item.querySelector('[data-field="status"]');
        if (entry.status === "recorded" && entry.receipt_url) {
          var link = document.createElement("a");
          link.href = entry.receipt_url;
          link.textContent = statusText(entry);
          status.appendChild(link);
        } else {
          status.textContent = statusText(entry);
        }
        status.className = entry.status === "refused" ? "text-danger fw-semibold" : entry.status === "recorded" ? "text-success" : "text-body-secondary";
        list.appendChild(item);
      });
      panel.classList.toggle("d-none", shown.length === 0);
    });
  }

  function sendQueue() {
    if (!window.TillQueue || offline) return Promise.resolve();
    return window.TillQueue.sendWaiting(config.offlineSaleUrl, config.cashierId || "", renderQueue)
      .then(function (result) {
        var stopped = result.stopped;
        if (stopped && stopped.outcome === "offline") goOffline();
        else if (stopped && stopped.outcome === "logged_out") showStatus("danger", text("queue_logged_out"));
        else if (stopped) showStatus("warning", text("queue_unavailable"));
        else if (result.refused) showStatus("danger", text("queue_some_refused", { count: result.refused }));
        else if (result.recorded) showStatus("success", text("queue_sent", { count: result.recorded }));
        return renderQueue();
      })
      .catch(function () {
        showStatus("danger", text("queue_storage_error"));
      });
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-offline-new-sale]")) {
      event.preventDefault();
      if (offline) offlineNewSale();
      else window.location.assign(config.tillUrl);
    } else if (event.target.closest("[data-queue-clear]")) {
      window.TillQueue.all().then(function (entries) {
        return Promise.all(
          entries
            .filter(function (entry) {
              return entry.status !== "waiting";
            })
            .map(function (entry) {
              entry.hidden = true;
              return window.TillQueue.put(entry);
            })
        ).then(renderQueue);
      });
    }
  });

  window.addEventListener("offline", goOffline);
  window.addEventListener("online", function () {
    probe();
  });

  // Quick-add customer: when the cashier opens the panel, ask the browser for its position and
  // put it in the hidden latitude/longitude boxes. A refusal, an error or no geolocation at all
  // leaves them empty: the customer is added without a location.
  function fillPosition() {
    var latitude = document.querySelector('#till [data-geolocation="latitude"]');
    var longitude = document.querySelector('#till [data-geolocation="longitude"]');
    if (!latitude || !longitude || latitude.value || !navigator.geolocation) {
      return;
    }
    try {
      navigator.geolocation.getCurrentPosition(
        function (position) {
          var lat = document.querySelector('#till [data-geolocation="latitude"]');
          var lng = document.querySelector('#till [data-geolocation="longitude"]');
          if (lat && lng && !lat.value) {
            lat.value = position.coords.latitude.toFixed(6);
            lng.value = position.coords.longitude.toFixed(6);
          }
        },
        function () {},
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 300000 }
      );
    } catch (error) {
      // Some browsers throw instead of calling the error callback (insecure page): no location.
    }
  }

  document.addEventListener(
    "toggle",
    function (event) {
      var panel = event.target;
      if (panel.matches && panel.matches('#till details[data-testid="quick-add"]') && panel.open) {
        fillPosition();
      }
    },
    true
  );

  function start() {
    var textsElement = document.getElementById("till-texts");
    texts = textsElement ? JSON.parse(textsElement.textContent) : {};
    var place = document.getElementById("till-offline");
    config = place ? place.dataset : {};
    if (!till()) return;
    if (window.htmx) {
      // An answer that takes this long is not coming: say so rather than wait for ever.
      window.htmx.config.timeout = 30000;
    }
    var receipt = document.createElement("div");
    receipt.id = "till-receipt";
    till().after(receipt);
    showPaymentSection(chosenPayment());
    focusDefault(document);
    if ("serviceWorker" in navigator && config.serviceWorkerUrl) {
      navigator.serviceWorker.register(config.serviceWorkerUrl, { scope: config.tillUrl }).catch(function () {
        // No service worker (a plain-HTTP address other than localhost): the till still sells
        // offline while this page stays open; it cannot be reopened without the link.
      });
    }
    if (window.TillQueue) {
      window.TillQueue.all()
        .then(function (entries) {
          // A page reopened from the cache carries the token of a sale already kept: a new one.
          if (
            entries.some(function (entry) {
              return entry.till_token === tokenBox().value;
            })
          ) {
            tokenBox().value = newToken();
          }
        })
        .then(renderQueue)
        .catch(function () {});
    }
    if (!navigator.onLine) {
      goOffline();
    } else {
      sendQueue();
      // The price list for selling offline, once the till is ready (not in its first bytes).
      setTimeout(loadProducts, 1500);
    }
    // While sales wait or the link is down, look again now and then.
    setInterval(function () {
      if (offline) {
        if (navigator.onLine) probe();
      } else {
        window.TillQueue.all().then(function (entries) {
          if (
            entries.some(function (entry) {
              return entry.status === "waiting" && entry.cashier_id === (config.cashierId || "");
            })
          )
            sendQueue();
        });
      }
    }, 15000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
