// A table row with data-href opens that record, as a click on its link would.
document.addEventListener("click", function (event) {
  var row = event.target.closest("tr[data-href]");
  if (!row || event.target.closest("a, button, input, label")) {
    return;
  }
  window.location.assign(row.dataset.href);
});
