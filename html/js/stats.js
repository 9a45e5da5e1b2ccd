// The stats page: a range of UTC days (and, for admins, one operator or
// everybody) in, /api/v1/stats out as totals, a uPlot chart of dials and
// connects per day (with the same figures as a table), outcomes with bars
// and the operator table. The range lives in the address so a view can be
// bookmarked. uPlot is the vendored IIFE build (window.uPlot).

import { events, get, query } from './api.js';
import { outcomeWords } from './words.js';

const $ = (id) => document.getElementById(id);

const els = {
  booting: $('booting'),
  signedOut: $('signed-out'),
  view: $('stats-view'),
  signedInAs: $('signed-in-as'),
  form: $('range-form'),
  from: $('from'),
  to: $('to'),
  operatorField: $('operator-field'),
  operator: $('operator'),
  error: $('stats-error'),
  status: $('stats-status'),
  chart: $('chart'),
  chartSummary: $('chart-summary'),
  daily: $('daily-table').tBodies[0],
  outcomes: $('outcomes-table'),
  outcomesEmpty: $('outcomes-empty'),
  operators: $('operators-table'),
  operatorsEmpty: $('operators-empty'),
};

const CHART_HEIGHT = 260;
const DAY_MS = 86400000;
const DAY_TICKS = [1, 2, 7, 14, 28, 91, 182].map((d) => d * 86400);
const tickLabel = (ts) => new Date(ts * 1000).toLocaleDateString('en-US',
  { month: 'short', day: 'numeric', timeZone: 'UTC' });

let user = null;
let inflight = null;
let chart = null;

// --- words for numbers -------------------------------------------------

const int = (n) => Number(n).toLocaleString('en-US');
const rate = (r) => (r === null || r === undefined ? '–' : `${Number(r).toFixed(1)}%`);
const perHour = (r) => (r === null || r === undefined ? '–' : Number(r).toFixed(1));

// 3725 -> "1 h 2 min", 256 -> "4 min 16 s", 45 -> "45 s"
function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  const s = Math.round(Number(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${int(h)} h ${m} min`;
  if (m > 0) return `${m} min ${s % 60} s`;
  return `${s} s`;
}

function outcomeName(o) {
  return o === '(not logged)' ? 'Not logged' : outcomeWords(o);
}

const dayOf = (ms) => new Date(ms).toISOString().slice(0, 10);
const todayUtc = () => dayOf(Date.now());

// --- the page's states ---------------------------------------------------

function showSignedOut() {
  user = null;
  if (inflight) inflight.abort();
  els.booting.hidden = true;
  els.view.hidden = true;
  els.signedInAs.hidden = true;
  els.signedOut.hidden = false;
}

async function loadOperators() {
  try {
    const data = await get('/api/v1/users');
    const chosen = els.operator.value;
    for (const u of data.items || []) {
      const opt = document.createElement('option');
      opt.value = String(u.id);
      opt.textContent = u.disabled ? `${u.username} (disabled)` : u.username;
      els.operator.append(opt);
    }
    els.operator.value = chosen;
  } catch (err) {
    if (err.status !== 401) els.status.textContent = `The operator list could not be loaded: ${err.message}`;
  }
}

function readAddress() {
  const q = new URLSearchParams(window.location.search);
  const day = /^\d{4}-\d\d-\d\d$/;
  if (day.test(q.get('from') || '')) els.from.value = q.get('from');
  if (day.test(q.get('to') || '')) els.to.value = q.get('to');
  return q.get('user_id') || '';
}

function writeAddress(data) {
  const params = { from: data.from, to: data.to };
  if (user.role === 'admin' && data.user_id) params.user_id = data.user_id;
  window.history.replaceState(null, '', `/stats${query(params)}`);
}

function clearInvalid() {
  for (const el of [els.from, els.to, els.operator]) el.removeAttribute('aria-invalid');
}

async function load() {
  if (inflight) inflight.abort();
  els.error.textContent = '';
  clearInvalid();
  // Said here at once; the server checks it too (and the 366-day limit).
  if (els.from.value && els.to.value && els.to.value < els.from.value) {
    els.to.setAttribute('aria-invalid', 'true');
    els.to.focus();
    els.error.textContent = 'The "To" day is before the "From" day.';
    return;
  }
  const ctl = new AbortController();
  inflight = ctl;
  els.status.textContent = 'Loading…';
  const params = { from: els.from.value, to: els.to.value };
  if (user.role === 'admin') params.user_id = els.operator.value;
  try {
    const data = await get(`/api/v1/stats${query(params)}`, { signal: ctl.signal });
    if (inflight !== ctl) return;
    inflight = null;
    els.from.value = data.from;
    els.to.value = data.to;
    writeAddress(data);
    render(data);
    els.status.textContent = `Showing ${data.from} to ${data.to}` +
      (data.user_id && user.role === 'admin' ? ` for ${selectedName()}.` : '.');
  } catch (err) {
    if (err.name === 'AbortError' || inflight !== ctl) return;
    inflight = null;
    els.status.textContent = '';
    if (err.status === 401) return; // the "unauthorized" event shows the way to sign in
    const field = err.details && err.details.field;
    const input = field === 'from' ? els.from : field === 'to' ? els.to : field === 'user_id' ? els.operator : null;
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
    els.error.textContent = `Could not show the figures: ${err.message}`;
  }
}

function selectedName() {
  const opt = els.operator.selectedOptions[0];
  return opt ? opt.textContent : 'one operator';
}

// --- rendering -------------------------------------------------------------

function cell(row, text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  row.append(td);
  return td;
}

function renderTotals(t) {
  $('t-dials').textContent = int(t.dials);
  $('t-connects').textContent = int(t.connects);
  $('t-connect-rate').textContent = rate(t.connect_rate);
  $('t-talk').textContent = duration(t.talk_s);
  $('t-avg-talk').textContent = duration(t.avg_talk_s);
  $('t-cph').textContent = perHour(t.calls_per_hour);
}

function renderDaily(daily) {
  els.daily.replaceChildren(...daily.map((d) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = d.day;
    tr.append(th);
    cell(tr, int(d.dials), 'num');
    cell(tr, int(d.connects), 'num');
    cell(tr, duration(d.talk_s), 'num');
    return tr;
  }));
}

function summary(data) {
  const t = data.totals;
  let busiest = null;
  for (const d of data.daily) if (d.dials > 0 && (!busiest || d.dials > busiest.dials)) busiest = d;
  const quiet = data.daily.filter((d) => d.dials === 0).length;
  let s = `From ${data.from} to ${data.to}: ${int(t.dials)} dials and ${int(t.connects)} connects.`;
  if (busiest) s += ` The busiest day was ${busiest.day} with ${int(busiest.dials)} dials and ${int(busiest.connects)} connects.`;
  if (quiet) s += ` ${quiet} of ${data.daily.length} days had no dials.`;
  return s;
}

function chartWidth() {
  return Math.max(280, els.chart.clientWidth);
}

function renderChart(data) {
  els.chartSummary.textContent = summary(data);
  if (chart) {
    chart.destroy();
    chart = null;
  }
  const U = window.uPlot;
  if (!U) {
    els.chart.textContent = 'The chart library did not load; the table below has the same figures.';
    return;
  }
  els.chart.textContent = '';
  const xs = data.daily.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000);
  const bars = U.paths && U.paths.bars;
  const opts = {
    width: chartWidth(),
    height: CHART_HEIGHT,
    // Days are UTC days: label them so, whatever the browser's zone.
    tzDate: (ts) => U.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.1))] } },
    series: [
      { label: 'Day', value: (_u, v) => (v === null || v === undefined ? '–' : dayOf(v * 1000)) },
      {
        label: 'Dials', stroke: '#0b5cad', fill: 'rgba(11, 92, 173, 0.28)', width: 1,
        paths: bars ? bars({ size: [0.8, 48] }) : undefined, points: { show: false },
      },
      {
        label: 'Connects', stroke: '#1d6b32', fill: 'rgba(29, 107, 50, 0.75)', width: 1,
        paths: bars ? bars({ size: [0.4, 24] }) : undefined, points: { show: false },
      },
    ],
    axes: [
      // Whole days only: ticks never fall between midnights.
      { space: 56, incrs: DAY_TICKS, values: (_u, ticks) => ticks.map(tickLabel) },
      { label: 'Calls', size: 56, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] },
    ],
  };
  // Half a day either side, so the first and last bars are whole.
  if (xs.length) opts.scales.x.range = () => [xs[0] - 43200, xs[xs.length - 1] + 43200];
  chart = new U(opts, [xs, data.daily.map((d) => d.dials), data.daily.map((d) => d.connects)], els.chart);
}

function renderOutcomes(outcomes) {
  const total = outcomes.reduce((n, o) => n + o.calls, 0);
  const body = els.outcomes.tBodies[0];
  els.outcomes.hidden = outcomes.length === 0;
  els.outcomesEmpty.hidden = outcomes.length !== 0;
  body.replaceChildren(...outcomes.map((o) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = outcomeName(o.outcome);
    tr.append(th);
    cell(tr, int(o.calls), 'num');
    const share = total ? (100 * o.calls) / total : 0;
    const td = cell(tr, '', 'share');
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.setAttribute('aria-hidden', 'true');
    // CSSOM, not a style attribute: allowed under the page's CSP.
    bar.style.width = `${share.toFixed(1)}%`;
    const text = document.createElement('span');
    text.className = 'share-text';
    text.textContent = `${share.toFixed(1)}%`;
    const track = document.createElement('span');
    track.className = 'track';
    track.append(bar);
    td.append(track, text);
    return tr;
  }));
}

function renderOperators(operators) {
  const body = els.operators.tBodies[0];
  els.operators.hidden = operators.length === 0;
  els.operatorsEmpty.hidden = operators.length !== 0;
  body.replaceChildren(...operators.map((o) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = o.operator_id === null ? 'API key' : o.operator;
    tr.append(th);
    cell(tr, int(o.dials), 'num');
    cell(tr, int(o.connects), 'num');
    cell(tr, rate(o.connect_rate), 'num');
    cell(tr, duration(o.talk_s), 'num');
    cell(tr, duration(o.avg_talk_s), 'num');
    cell(tr, Number(o.active_h).toFixed(2), 'num');
    cell(tr, perHour(o.calls_per_hour), 'num');
    return tr;
  }));
}

function render(data) {
  renderTotals(data.totals);
  renderDaily(data.daily);
  renderChart(data);
  renderOutcomes(data.outcomes);
  renderOperators(data.operators);
  els.view.dataset.loaded = `${data.from}/${data.to}/${data.user_id ?? ''}`;
}

// --- wiring ----------------------------------------------------------------

let resizeFrame = 0;
window.addEventListener('resize', () => {
  if (!chart || resizeFrame) return;
  resizeFrame = window.requestAnimationFrame(() => {
    resizeFrame = 0;
    if (chart) chart.setSize({ width: chartWidth(), height: CHART_HEIGHT });
  });
});

els.form.addEventListener('submit', (e) => {
  e.preventDefault();
  load();
});

els.form.addEventListener('click', (e) => {
  const b = e.target.closest('button[data-days]');
  if (!b) return;
  const days = Number(b.dataset.days);
  const today = todayUtc();
  els.to.value = today;
  els.from.value = dayOf(Date.parse(`${today}T00:00:00Z`) - (days - 1) * DAY_MS);
  load();
});

els.operator.addEventListener('change', () => load());

events.addEventListener('unauthorized', showSignedOut);

async function boot() {
  let me;
  try {
    // optional=1: signed out is an answer, not a 401 in the console.
    me = await get('/api/v1/auth/me?optional=1');
  } catch (err) {
    els.booting.textContent = `Could not reach the server: ${err.message}`;
    return;
  }
  if (!me.user) {
    showSignedOut();
    return;
  }
  user = me.user;
  els.signedInAs.textContent = `Signed in as ${user.username}`;
  els.signedInAs.hidden = false;
  els.booting.hidden = true;
  els.signedOut.hidden = true;
  els.view.hidden = false;
  const wanted = readAddress();
  if (user.role === 'admin') {
    els.operatorField.hidden = false;
    await loadOperators();
    if (wanted && [...els.operator.options].some((o) => o.value === wanted)) els.operator.value = wanted;
  }
  await load();
}

boot();
