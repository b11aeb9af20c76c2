// Run page: poll the run's JSON endpoint about once a second while it is queued, running or
// cancelling, and update status, progress, counters, message and log lines in place.
'use strict';
window.addEventListener('DOMContentLoaded', () => {
  // The bar's width comes from data-percent: the Content-Security-Policy allows no inline style.
  for (const bar of document.querySelectorAll('.jobs-progress-bar[data-percent]')) {
    bar.style.width = bar.dataset.percent + '%';
  }
  const live = document.getElementById('jobs-run-live');
  if (!live || live.dataset.active !== '1') return;
  const logs = document.getElementById('jobs-run-logs');
  const follow = logs && logs.dataset.follow === '1';
  let after = logs ? logs.dataset.after : '-1';
  // The page keeps at most this many live lines (older ones: the log's pages or the download).
  const MAX_LIVE_ROWS = 1000;
  let finalPolls = 0;
  let texts = '';  // the version of message and traceback shown (see texts_version in jobs/admin/views.py)
  const $ = (id) => document.getElementById(id);

  function text(el, value) { if (el) el.textContent = value; }
  function show(el, visible) { if (el) el.hidden = !visible; }

  function render(data) {
    const badge = document.createElement('span');
    badge.className = 'jobs-badge jobs-status-' + data.status;
    badge.dataset.status = data.status;
    badge.textContent = data.status_display;
    $('jobs-run-status').replaceChildren(badge);
    text($('jobs-run-duration'), data.duration_text);
    for (const [name, value] of Object.entries(data.shown || {})) {
      text(document.querySelector('.field-' + name + ' .readonly'), value);
    }
    text(document.querySelector('.field-duration_display .readonly'), data.duration_text);
    const progress = $('jobs-run-progress');
    if (data.progress_done !== null || data.progress_total !== null) {
      show(progress, true);
      progress.querySelector('.jobs-progress-bar').style.width = (data.progress_percent || 0) + '%';
      let label = String(data.progress_done || 0);
      if (data.progress_total) label += ' / ' + data.progress_total + ' (' + (data.progress_percent || 0).toFixed(1) + '%)';
      text(progress.querySelector('.jobs-progress-text'), label);
    }
    const counters = $('jobs-run-counters');
    const names = Object.keys(data.counters || {}).sort();
    show(counters, names.length > 0);
    counters.querySelector('tbody').replaceChildren(...names.map((name) => {
      const tr = document.createElement('tr');
      const th = document.createElement('th'); th.textContent = name;
      const td = document.createElement('td'); td.textContent = data.counters[name];
      tr.append(th, td);
      return tr;
    }));
    if ('message' in data) {  // left out while unchanged since the version this page has
      texts = data.texts;
      text($('jobs-run-message'), data.message || '');
      show($('jobs-run-message'), Boolean(data.message));
      text($('jobs-run-traceback'), data.traceback || '');
      show($('jobs-run-traceback-module'), Boolean(data.traceback));
    }
    for (const el of document.querySelectorAll('.jobs-when-active')) show(el, data.active);
    show($('jobs-run-polling'), data.active);
    if (!data.active) show($('jobs-run-reload'), true);
    appendLogs(data.logs || [], Boolean(data.skipped_logs));
  }

  function appendLogs(lines, skipped) {
    if (!logs || !lines.length) return;
    const body = logs.querySelector('tbody');
    for (const line of lines) {
      const tr = document.createElement('tr');
      tr.className = 'jobs-level-' + line.levelno;
      const time = line.time.slice(11, 23);
      for (const [value, cls] of [[line.seq], [time, 'jobs-nowrap'], [line.level], [line.logger], [line.message, 'jobs-log-message']]) {
        const td = document.createElement('td');
        td.textContent = value;
        if (cls) td.className = cls;
        tr.append(td);
      }
      body.append(tr);
      after = String(line.seq);
    }
    let trimmed = skipped;
    while (body.rows.length > MAX_LIVE_ROWS) { body.deleteRow(0); trimmed = true; }
    if (trimmed) show($('jobs-run-logs-trimmed'), true);
    show($('jobs-run-logs-empty'), false);
  }

  async function poll() {
    const params = new URLSearchParams();
    if (texts) params.set('texts', texts);
    if (follow) {
      params.set('after', after);
      params.set('tail', '1');
      if (logs.dataset.level) params.set('level', logs.dataset.level);
      if (logs.dataset.q) params.set('q', logs.dataset.q);
    }
    let data = null;
    try {
      const response = await fetch(live.dataset.statusUrl + '?' + params, {
        headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store',
      });
      if (response.ok) data = await response.json();
    } catch (err) {
      data = null;  // a network hiccup: try again on the next tick
    }
    if (data) render(data);
    // After the run ends, poll once more for log lines written while it finished.
    if (data && !data.active && !data.more_logs && finalPolls++ > 0) return;
    window.setTimeout(poll, data && data.more_logs ? 100 : 1000);
  }
  window.setTimeout(poll, 1000);
});
