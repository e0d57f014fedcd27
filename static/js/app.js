// Every page's few behaviours. Bootstrap's own script (22 KB compressed, most of a phone's
// first load of the till) is not loaded: the pages use only these two of its parts.

// A table row with data-href opens that record, as a click on its link would.
document.addEventListener("click", function (event) {
  var row = event.target.closest("tr[data-href]");
  if (!row || event.target.closest("a, button, input, label")) {
    return;
  }
  window.location.assign(row.dataset.href);
});

// The phone menu: the navbar toggler shows and hides its collapsed links (Bootstrap's
// data-bs-toggle="collapse", without its script).
document.addEventListener("click", function (event) {
  var toggler = event.target.closest('[data-bs-toggle="collapse"]');
  if (!toggler) {
    return;
  }
  var target = document.querySelector(toggler.dataset.bsTarget);
  if (target) {
    var open = target.classList.toggle("show");
    toggler.setAttribute("aria-expanded", open ? "true" : "false");
    toggler.classList.toggle("collapsed", !open);
  }
});

// A message's close button removes it (Bootstrap's data-bs-dismiss="alert").
document.addEventListener("click", function (event) {
  var close = event.target.closest('[data-bs-dismiss="alert"]');
  if (close && close.closest(".alert")) {
    close.closest(".alert").remove();
  }
});
