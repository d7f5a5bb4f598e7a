// Rasio kehatian: the trend and the loans by class as charts (Chart.js, served by us).
// The figures come from the canvas's data-series (JSON written by the server): the page
// computes nothing itself.
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") return;
  var rupiah = function (n) { return "Rp " + Number(n).toLocaleString("id-ID"); };
  var percent = function (bps) {
    return bps === null ? "—" : (bps / 100).toLocaleString("id-ID", {minimumFractionDigits: 2}) + "%";
  };
  var trend = document.getElementById("chart-trend");
  if (trend) {
    var s = JSON.parse(trend.dataset.series);
    var line = function (label, data, color) {
      return {label: label, data: data.map(function (b) { return b === null ? null : b / 100; }),
              borderColor: color, backgroundColor: color, spanGaps: false};
    };
    new window.Chart(trend, {
      type: "line",
      data: {labels: s.labels, datasets: [
        line("NPL", s.npl, "#b3261e"),
        line("Likuiditas / liquidity", s.likuiditas, "#1d5fa8"),
        line("Modal sendiri / aset", s.modal, "#2e7d32"),
        line("Pinjaman / simpanan", s.pinjaman, "#8a5a00")]},
      options: {animation: false, responsive: true, maintainAspectRatio: false,
                scales: {y: {ticks: {callback: function (v) { return v + "%"; }}}},
                plugins: {tooltip: {callbacks: {label: function (c) {
                  return c.dataset.label + ": " + percent(c.raw === null ? null : Math.round(c.raw * 100));
                }}}}}
    });
  }
  var classes = document.getElementById("chart-classes");
  if (classes) {
    var rows = JSON.parse(classes.dataset.series);
    new window.Chart(classes, {
      type: "bar",
      data: {labels: rows.map(function (r) { return r.label; }),
             datasets: [{label: "Sisa pokok / outstanding",
                         data: rows.map(function (r) { return r.rupiah; }),
                         backgroundColor: ["#2e7d32", "#9e9d24", "#ef6c00", "#d84315", "#b3261e"]}]},
      options: {animation: false, responsive: true, maintainAspectRatio: false,
                plugins: {legend: {display: false},
                          tooltip: {callbacks: {label: function (c) { return rupiah(c.raw); }}}},
                scales: {y: {ticks: {callback: function (v) { return rupiah(v); }}}}}
    });
  }
})();
