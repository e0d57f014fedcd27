// The till: keyboard first (a barcode scanner types a code and presses Enter), htmx swaps the
// cart in place. Everything here is a convenience; the page works with plain form posts.
(function () {
  "use strict";
  document.documentElement.classList.add("js-enabled");

  function till() {
    return document.getElementById("till");
  }

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

  function showPaymentSection(method) {
    till().querySelectorAll("[data-payment-section]").forEach(function (section) {
      section.classList.toggle("active", section.dataset.paymentSection === method);
    });
  }

  function money(value) {
    return value.toLocaleString("en-KE", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function updateChangeDue() {
    var form = till();
    var tendered = parseFloat((form.querySelector("#cash_tendered") || {}).value.replace(/,/g, ""));
    var total = parseFloat(form.dataset.total);
    var target = form.querySelector('[data-testid="change-due"]');
    if (!target) {
      return;
    }
    target.textContent = tendered >= total ? "KES " + money(tendered - total) : "—";
  }

  document.addEventListener("keydown", function (event) {
    if (!till()) {
      return;
    }
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
    if (event.key !== "Enter" || !event.target.dataset || !event.target.dataset.enter) {
      return;
    }
    event.preventDefault();
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

  document.addEventListener("htmx:afterSettle", function (event) {
    // The swap removed the box the cashier was in; put the cursor where the server says the
    // next keystroke belongs, unless they have already moved on to another box.
    var active = document.activeElement;
    var typing = active && active !== document.body && till() && till().contains(active);
    if (event.target.id === "till" && !typing) {
      focusDefault(document);
    }
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

  document.addEventListener("DOMContentLoaded", function () {
    focusDefault(document);
  });
})();
