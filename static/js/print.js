// A button with data-print prints the page (receipts and invoices); no inline script needed.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (!button) {
    return;
  }
  event.preventDefault();
  window.print();
});

// The button a person most likely presses next (a receipt's "New sale") has the focus, so Enter
// starts the next sale.
document.addEventListener("DOMContentLoaded", function () {
  var next = document.querySelector("[data-autofocus]");
  if (next) {
    next.focus();
  }
});
