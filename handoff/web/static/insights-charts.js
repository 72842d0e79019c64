/* The steering dashboard's charts, drawn by Chart.js (served from /static/vendor, no CDN).
 *
 * window.InsightsCharts.draw(name, canvas, config) replaces the chart a canvas held; the builders
 * below turn the summary API's figures into Chart.js configurations. Labels come in already
 * translated: this file holds no strings. No animation: a chart is drawn once, as the page shows it.
 */
(() => {
  "use strict";

  const COLOURS = { brand: "#5b3df5", green: "#0b7a53", amber: "#c47f00", red: "#b01c33", grey: "#8d8ba3", soft: "rgba(91, 61, 245, .22)" };
  const charts = new Map();
  const percentTicks = { min: 0, max: 1, ticks: { callback: (value) => `${Math.round(value * 100)} %` } };
  const asPercent = (value) => (value === null || value === undefined ? "–" : `${(value * 100).toFixed(1)} %`);
  const base = { animation: false, responsive: true, maintainAspectRatio: false };

  function draw(name, canvas, config) {
    if (charts.has(name)) charts.get(name).destroy();
    const chart = new window.Chart(canvas, config);
    charts.set(name, chart);
    return chart;
  }

  // Conversations a day (bars, right axis) with the self-care and answer rates (lines, left axis).
  function daily(byDay, labels) {
    return {
      data: {
        labels: byDay.map((day) => day.day),
        datasets: [
          { type: "line", label: labels.selfCare, data: byDay.map((d) => d.self_care_rate), borderColor: COLOURS.green,
            backgroundColor: COLOURS.green, yAxisID: "rate", spanGaps: true, tension: 0.2 },
          { type: "line", label: labels.answerRate, data: byDay.map((d) => d.answer_rate), borderColor: COLOURS.brand,
            backgroundColor: COLOURS.brand, yAxisID: "rate", spanGaps: true, tension: 0.2 },
          { type: "bar", label: labels.conversations, data: byDay.map((d) => d.conversations), backgroundColor: "#d9d4fb",
            yAxisID: "count" },
        ],
      },
      options: {
        ...base,
        interaction: { mode: "index", intersect: false },
        scales: {
          rate: { ...percentTicks, position: "left" },
          count: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, ticks: { precision: 0 } },
        },
        plugins: { tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${item.dataset.yAxisID === "rate" ? asPercent(item.raw) : item.raw}` } } },
      },
    };
  }

  function escalations(byReason, reasonName, label) {
    const entries = Object.entries(byReason).sort((a, b) => b[1] - a[1]);
    return {
      type: "bar",
      data: { labels: entries.map(([reason]) => reasonName(reason)), datasets: [{ label, data: entries.map(([, n]) => n), backgroundColor: COLOURS.amber }] },
      options: { ...base, indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } } },
    };
  }

  // Each row (all answers, then each language): the 95 % interval as a floating bar, the estimate as a
  // point, and the target as a dashed line across.
  function conformity(rows, target, labels) {
    const names = rows.map((row) => row.name);
    return {
      data: {
        labels: names,
        datasets: [
          { type: "bar", label: labels.interval, data: rows.map((r) => (r.reviewed ? [r.low, r.high] : null)),
            backgroundColor: COLOURS.soft, borderColor: COLOURS.brand, borderWidth: 1, borderSkipped: false, barPercentage: 0.5 },
          { type: "line", label: labels.estimate, data: rows.map((r) => r.estimate), showLine: false, pointRadius: 6,
            pointStyle: "rectRot", borderColor: COLOURS.brand, backgroundColor: COLOURS.brand },
          { type: "line", label: labels.target, data: names.map(() => target), borderColor: COLOURS.red, borderDash: [6, 4],
            pointRadius: 0, borderWidth: 2 },
        ],
      },
      options: {
        ...base,
        scales: { y: { ...percentTicks } },
        plugins: { tooltip: { callbacks: { label: (item) => {
          const value = item.raw;
          return Array.isArray(value) ? `${item.dataset.label}: ${asPercent(value[0])} – ${asPercent(value[1])}`
            : `${item.dataset.label}: ${asPercent(value)}`;
        } } } },
      },
    };
  }

  function articles(rows, label) {
    return {
      type: "bar",
      data: { labels: rows.map((row) => row.article), datasets: [{ label, data: rows.map((row) => row.unhelpful_rate), backgroundColor: COLOURS.red }] },
      options: { ...base, indexAxis: "y", scales: { x: { ...percentTicks } }, plugins: { legend: { display: false } } },
    };
  }

  window.InsightsCharts = Object.freeze({ draw, daily, escalations, conformity, articles, charts });
})();
