// The stats page in headless chromium against the real Apache: calls with
// known times, outcomes and talk written into the database, then what an
// admin and an operator see — totals, the uPlot chart actually drawn, the
// outcome and operator tables — under the page's strict CSP with no console
// error and no policy violation; and the dial page's link, for admins only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openPage, shot } from './harness.mjs';

const T = { timeout: 15000 };
const MARCH = '?from=2025-03-03&to=2025-03-05';
let server; let browser;
let alice; let bob;
const passwords = {};

async function user(name, role = 'operator') {
  passwords[name] = 'pw-' + Math.random().toString(36).slice(2, 12);
  return server.createUser(name, passwords[name], role);
}

function call(operatorId, createdAt, { answered = false, duration = null, outcome = null, status = 'completed' } = {}) {
  const q = (v) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${v}'`);
  server.sql('INSERT INTO calls (operator_id, provider, conference_name, to_phone, status, outcome, ' +
    `created_at, answered_at, duration_s) VALUES (${q(operatorId)}, 'sim', ` +
    `'cd-b-${Math.random().toString(36).slice(2)}', '+12025550143', ${q(status)}, ${q(outcome)}, ` +
    `${q(createdAt)}, ${q(answered ? createdAt : null)}, ${q(duration)})`);
}

before(async () => {
  server = await startServer({});
  alice = await user('alice');
  bob = await user('bob');
  await user('boss', 'admin');
  // The figures of tests/e2e/test_stats.py: 7 dials, 4 connects, 256 s of talk.
  call(alice.id, '2025-03-03T09:00:00Z', { answered: true, duration: 120, outcome: 'connected' });
  call(alice.id, '2025-03-03T09:30:00Z', { status: 'no-answer', duration: 0, outcome: 'no_answer' });
  call(alice.id, '2025-03-03T11:00:00Z', { answered: true, duration: 60, outcome: 'follow_up' });
  call(bob.id, '2025-03-03T10:00:00Z', { status: 'busy', outcome: 'busy' });
  call(bob.id, '2025-03-03T10:10:00Z', { duration: 31 });
  call(alice.id, '2025-03-05T14:00:00Z', { answered: true, duration: 45, outcome: 'not_interested' });
  call(null, '2025-03-05T15:00:00Z', { status: 'failed' });
  call(bob.id, '2025-03-06T00:00:00Z', { answered: true, duration: 700, outcome: 'connected' });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// A page that also records every CSP violation the document reports.
async function page() {
  const p = await openPage(browser, server, { permissions: [] });
  await p.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation',
      (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return p;
}

async function clean(p) {
  assert.deepEqual(p.problems.offsite, [], 'requests left 127.0.0.1');
  assert.deepEqual(p.problems.pageErrors, [], 'page errors');
  assert.deepEqual(p.problems.console, [], 'console errors');
  assert.deepEqual(await p.evaluate(() => window.__csp), [], 'CSP violations');
}

async function login(p, username) {
  await p.goto(server.base + '/dial');
  await p.getByRole('heading', { name: 'Sign in' }).waitFor(T);
  await p.getByRole('textbox', { name: 'Username' }).fill(username);
  await p.getByLabel('Password').fill(passwords[username]);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByText(`Signed in as ${username}`).waitFor(T);
}

async function loaded(p, key) {
  await p.waitForFunction((k) => document.getElementById('stats-view').dataset.loaded === k, key, T);
}

// The figure under the title `name` in the totals.
const tile = (p, name) => p.locator('.totals > div')
  .filter({ has: p.getByText(name, { exact: true }) }).locator('dd').innerText();

async function rows(p, name) {
  return p.getByRole('table', { name }).locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => Array.from(tr.cells, (c) => c.textContent.trim())));
}

// Pixels the chart drew on its canvas (uPlot paints bars, axes and grid).
const painted = (p) => p.locator('#chart canvas').evaluate((c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
  return { width: c.width, height: c.height, painted: n };
});

test('the page keeps the strict CSP; signed out, it points to sign in', async () => {
  const r = await fetch(server.base + '/stats');
  assert.equal(r.status, 200);
  const csp = r.headers.get('content-security-policy');
  assert.match(csp, /default-src 'self'/);
  assert.doesNotMatch(csp, /twilio|telnyx|unsafe-inline/);
  for (const path of ['/vendor/uPlot.iife.min.js', '/vendor/uPlot.min.css', '/js/stats.js', '/css/stats.css']) {
    assert.equal((await fetch(server.base + path)).status, 200, path);
  }
  const p = await page();
  await p.goto(server.base + '/stats');
  const link = p.getByRole('link', { name: 'Sign in on the dial page' });
  await link.waitFor(T);
  assert.equal(await link.getAttribute('href'), '/dial');
  assert.equal(await p.locator('#stats-view').isHidden(), true);
  await clean(p);
  await p.context().close();
});

test('an admin follows the link from the dial page and sees every figure', async () => {
  const p = await page();
  await login(p, 'boss');
  const link = p.getByRole('link', { name: 'Stats' });
  await link.waitFor(T);
  await link.click();
  await p.waitForURL(/\/stats/, T);
  // The default: the last 30 days ending today (UTC), nothing in them.
  const today = new Date().toISOString().slice(0, 10);
  await p.waitForFunction(() => (document.getElementById('stats-view').dataset.loaded || '').length > 0, null, T);
  assert.equal(await p.getByLabel('To (UTC day)').inputValue(), today);
  assert.equal(await tile(p, 'Dials'), '0');
  assert.equal(await tile(p, 'Connect rate'), '–');

  await p.getByLabel('From (UTC day)').fill('2025-03-03');
  await p.getByLabel('To (UTC day)').fill('2025-03-05');
  await p.getByRole('button', { name: 'Show' }).click();
  await loaded(p, '2025-03-03/2025-03-05/');
  assert.match(p.url(), /\/stats\?from=2025-03-03&to=2025-03-05$/);

  assert.equal(await tile(p, 'Dials'), '7');
  assert.equal(await tile(p, 'Connects'), '4');
  assert.equal(await tile(p, 'Connect rate'), '57.1%');
  assert.equal(await tile(p, 'Talk time'), '4 min 16 s');
  assert.equal(await tile(p, 'Average talk per connect'), '1 min 4 s');
  assert.equal(await tile(p, 'Calls per active hour'), '1.4');

  const chart = await painted(p);
  assert.ok(chart.width >= 280 && chart.height > 0, JSON.stringify(chart));
  assert.ok(chart.painted > 1000, `the chart drew ${chart.painted} pixels`);
  // Its text alternative: a summary and the same figures as a table.
  const img = p.getByRole('img', { name: 'Dials and connects per day' });
  assert.match(await img.getAttribute('aria-describedby'), /chart-summary/);
  assert.match(await p.locator('#chart-summary').innerText(),
    /7 dials and 4 connects\. The busiest day was 2025-03-03 with 5 dials and 3 connects\. 1 of 3 days had no dials\./);
  await p.getByText('The same figures as a table').click();
  assert.deepEqual(await rows(p, 'Dials and connects per day'), [
    ['2025-03-03', '5', '3', '3 min 31 s'],
    ['2025-03-04', '0', '0', '0 s'],
    ['2025-03-05', '2', '1', '45 s'],
  ]);

  assert.deepEqual(await rows(p, 'Operators'), [
    ['alice', '4', '3', '75.0%', '3 min 45 s', '1 min 15 s', '3.00', '1.3'],
    ['bob', '2', '1', '50.0%', '31 s', '31 s', '1.00', '2.0'],
    ['API key', '1', '0', '0.0%', '0 s', '–', '1.00', '1.0'],
  ]);
  assert.deepEqual(await rows(p, 'Outcomes'), [
    ['Not logged', '2', '28.6%'],
    ['Busy', '1', '14.3%'],
    ['Connected', '1', '14.3%'],
    ['Follow up', '1', '14.3%'],
    ['No answer', '1', '14.3%'],
    ['Not interested', '1', '14.3%'],
  ]);
  const bar = await p.locator('#outcomes-table .bar').first().evaluate((b) => b.style.width);
  assert.equal(bar, '28.6%');
  await shot(p, 'stats-admin');

  // One operator, from the picker.
  await p.getByRole('combobox', { name: 'Operator' }).selectOption({ label: 'bob' });
  await loaded(p, `2025-03-03/2025-03-05/${bob.id}`);
  assert.equal(await tile(p, 'Dials'), '2');
  assert.deepEqual((await rows(p, 'Operators')).map((r) => r[0]), ['bob']);
  assert.match(p.url(), new RegExp(`user_id=${bob.id}$`));
  assert.ok((await painted(p)).painted > 1000);
  await clean(p);
  await p.context().close();
});

test('a bookmarked range opens as it was; a backwards range is refused in words', async () => {
  const p = await page();
  await login(p, 'boss');
  await p.goto(server.base + '/stats' + MARCH + `&user_id=${alice.id}`);
  await loaded(p, `2025-03-03/2025-03-05/${alice.id}`);
  assert.equal(await p.getByRole('combobox', { name: 'Operator' }).inputValue(), String(alice.id));
  assert.equal(await tile(p, 'Dials'), '4');
  await p.getByLabel('To (UTC day)').fill('2025-03-01');
  await p.getByRole('button', { name: 'Show' }).click();
  await p.getByRole('alert').filter({ hasText: 'The "To" day is before the "From" day.' }).waitFor(T);
  assert.equal(await p.getByLabel('To (UTC day)').getAttribute('aria-invalid'), 'true');
  // The last good figures stay.
  assert.equal(await tile(p, 'Dials'), '4');
  await clean(p);
  await p.context().close();
});

test('an operator sees only their own figures, and no link on the dial page', async () => {
  const p = await page();
  await login(p, 'alice');
  assert.equal(await p.getByRole('link', { name: 'Stats' }).count(), 0);
  // Asking for someone else in the address changes nothing.
  await p.goto(server.base + '/stats' + MARCH + `&user_id=${bob.id}`);
  await loaded(p, `2025-03-03/2025-03-05/${alice.id}`);
  assert.equal(await p.getByRole('combobox', { name: 'Operator' }).count(), 0);
  assert.equal(await tile(p, 'Dials'), '4');
  assert.equal(await tile(p, 'Connect rate'), '75.0%');
  assert.deepEqual(await rows(p, 'Operators'), [
    ['alice', '4', '3', '75.0%', '3 min 45 s', '1 min 15 s', '3.00', '1.3'],
  ]);
  assert.deepEqual((await rows(p, 'Outcomes')).map((r) => r[0]).sort(),
    ['Connected', 'Follow up', 'No answer', 'Not interested']);
  assert.ok((await painted(p)).painted > 1000);
  await shot(p, 'stats-operator');
  await clean(p);
  await p.context().close();
});
