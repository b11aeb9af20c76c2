/* Draw the admin's charts with the vendored Chart.js (jobs/static/jobs/vendor/chartjs).
 *
 * Each <canvas data-chart="KIND" data-source="ID"> reads its data from the
 * <script type="application/json" id="ID"> Django's json_script wrote; no inline script.
 * Kinds: "duration" (bars of run durations coloured by status, median line, click -> run),
 * "counters" (one line per counter, click -> run), "hourly" (runs per hour stacked by status).
 */
(function () {
  "use strict";

  var STATUS_COLORS = {
    queued: "#6c757d", running: "#1f6fb2", cancelling: "#b26a00", success: "#2e7d32",
    partial_success: "#8a7a00", failed: "#c62828", cancelled: "#5d4037", skipped: "#9e9e9e"
  };
  var PALETTE = ["#1f6fb2", "#2e7d32", "#c62828", "#8a7a00", "#6a1b9a", "#00838f", "#ef6c00", "#5d4037"];

  function readData(canvas) {
    var node = document.getElementById(canvas.dataset.source);
    return node ? JSON.parse(node.textContent) : null;
  }

  function openOnClick(urls) {
    return function (event, elements) {
      if (elements.length && urls[elements[0].index]) {
        window.location.href = urls[elements[0].index];
      }
    };
  }

  function duration(canvas, data) {
    var bars = data.bars;
    var datasets = [{
      type: "bar", label: "duration (s)", data: bars.map(function (b) { return b.seconds; }),
      backgroundColor: bars.map(function (b) { return STATUS_COLORS[b.status] || "#888"; }),
      order: 2
    }];
    if (data.median !== null) {
      datasets.push({
        type: "line", label: "median " + data.median + " s", data: bars.map(function () { return data.median; }),
        borderColor: "#111", borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, order: 1
      });
    }
    var statuses = bars.map(function (b) { return b.status; }).filter(function (s, i, all) { return all.indexOf(s) === i; });
    return {
      data: { labels: bars.map(function (b) { return b.label + " " + b.status; }), datasets: datasets },
      options: {
        onClick: openOnClick(bars.map(function (b) { return b.url; })),
        plugins: {
          // One legend entry per status present (the bars' colours), then the median line.
          legend: { position: "bottom", onClick: null, labels: { generateLabels: function () {
            var items = statuses.map(function (s) {
              var color = STATUS_COLORS[s] || "#888";
              return { text: s, fillStyle: color, strokeStyle: color, lineWidth: 0 };
            });
            if (data.median !== null) {
              items.push({ text: "median " + data.median + " s", fillStyle: "#fff", strokeStyle: "#111", lineWidth: 1.5, lineDash: [6, 4] });
            }
            return items;
          } } }
        },
        scales: { x: { ticks: { display: false } }, y: { beginAtZero: true, title: { display: true, text: "seconds" } } }
      }
    };
  }

  function counters(canvas, data) {
    var names = Object.keys(data.series);
    return {
      type: "line",
      data: {
        labels: data.labels,
        datasets: names.map(function (name, i) {
          return { label: name, data: data.series[name], borderColor: PALETTE[i % PALETTE.length], pointRadius: 2, tension: 0.1 };
        })
      },
      options: {
        onClick: openOnClick(data.urls),
        scales: { x: { ticks: { display: false } }, y: { beginAtZero: true } }
      }
    };
  }

  function hourly(canvas, data) {
    return {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.statuses.map(function (status) {
          return { label: status, data: data.series[status], backgroundColor: STATUS_COLORS[status] || "#888" };
        })
      },
      options: {
        scales: {
          x: { stacked: true, ticks: { maxTicksLimit: 14 } },
          y: { stacked: true, beginAtZero: true, title: { display: true, text: "runs per hour" } }
        }
      }
    };
  }

  var KINDS = { duration: duration, counters: counters, hourly: hourly };

  function draw() {
    if (typeof Chart === "undefined") { return; }
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var build = KINDS[canvas.dataset.chart];
      var data = readData(canvas);
      if (!build || !data) { return; }
      var config = build(canvas, data);
      config.type = config.type || "bar";
      config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { position: "bottom" } } }, config.options);
      new Chart(canvas, config);
      canvas.dataset.drawn = "yes";
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
