// A button with data-print prints the page (receipts and invoices); no inline script needed.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (!button) {
    return;
  }
  event.preventDefault();
  window.print();
});
