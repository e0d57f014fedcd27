// Draws every <canvas data-chart="<id of a json_script>"> with Chart.js, the same way on every
// report (see core/charts.py). Charts are for looking; the numbers are in a table beside them.
(function () {
  "use strict";

  function money(value) {
    return "KES " + Number(value).toLocaleString("en-KE", { maximumFractionDigits: 0 });
  }

  function formatter(spec) {
    if (spec.money) return money;
    if (spec.percent) return function (value) { return value + "%"; };
    return function (value) { return Number(value).toLocaleString("en-KE"); };
  }

  function config(spec) {
    var horizontal = spec.kind === "horizontal-bar";
    var format = formatter(spec);
    // Counts (visits, customers) never show fractions on their axis.
    var ticks = { callback: format };
    if (!spec.money && !spec.percent) ticks.precision = 0;
    var valueAxis = { beginAtZero: true, ticks: ticks };
    if (spec.percent) valueAxis.max = 100;
    var scales = horizontal ? { x: valueAxis } : { y: valueAxis };
    var line = spec.kind === "line";
    return {
      type: line ? "line" : "bar",
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (series) {
          var colours = series.colours.length > 1 ? series.colours : series.colours[0];
          return {
            label: series.label,
            data: series.data,
            backgroundColor: colours,
            borderColor: line ? colours : undefined,
            fill: false,
            tension: 0.2,
            pointRadius: line ? 2 : undefined,
          };
        }),
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : undefined,
        plugins: {
          legend: { display: spec.series.length > 1 },
          tooltip: {
            callbacks: {
              label: function (context) {
                var value = horizontal ? context.parsed.x : context.parsed.y;
                return (spec.series.length > 1 ? context.dataset.label + ": " : "") + format(value);
              },
            },
          },
        },
        scales: scales,
      },
    };
  }

  function draw() {
    if (!window.Chart) return; // the tables carry the numbers
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chart);
      if (!source || window.Chart.getChart(canvas)) return;
      new window.Chart(canvas, config(JSON.parse(source.textContent)));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
