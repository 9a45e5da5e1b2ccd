// The dial page's figures (issue 4), in headless Debian chromium against the
// real Apache on loopback, with 100,000 contacts in one list:
//   * bytes transferred by the first load of /dial after login, excluding
//     the vendored SDK (which loads only when a Twilio call starts);
//   * time from navigation to interactive (the first page of contacts with
//     its Dial buttons on screen);
//   * filter keystroke to repaint: from a key typed in "Search contacts" to
//     the next frame after the table changed (median, p95, max of 30).
// Usage: node bench/page.mjs [BUILD_DIR]   (make bench runs it via run.sh);
// prints key=value lines, also appended to $BENCH_OUT when set.
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

process.env.DIALER_BUILD = process.argv[2] || process.env.DIALER_BUILD || 'build';
const { startServer, launch, ROOT } = await import('../tests/browser/harness.mjs');

const ROWS = Number(process.env.BENCH_ROWS || 100000);
const out = [];
const emit = (k, v) => { out.push(`${k}=${v}`); console.log(`   ${k}=${v}`); };
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

const tmp = mkdtempSync(join(tmpdir(), 'dialer-page-bench-'));
const server = await startServer({});
let browser;
try {
  const csv = join(tmp, 'contacts.csv');
  execFileSync('/usr/bin/python3', [join(ROOT, 'bench', 'gen_contacts.py'), '-n', String(ROWS), '-o', csv]);
  const r = await fetch(server.base + '/api/v1/contacts/import?list_name=Bench', {
    method: 'POST', headers: { 'X-API-Key': server.apiKey, 'Content-Type': 'text/csv' }, body: readFileSync(csv),
  });
  const rep = await r.json();
  if (r.status !== 201 && r.status !== 200) throw new Error('import: ' + JSON.stringify(rep));
  emit('page_contacts', rep.imported);
  await server.createUser('bench', 'bench-password-1');

  browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(server.base + '/dial');
  await page.getByRole('textbox', { name: 'Username' }).fill('bench');
  await page.getByLabel('Password').fill('bench-password-1');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('table', { name: 'Contacts' }).waitFor();

  // First load with a session and an empty cache: a new context that
  // carries only the cookies.
  const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 },
    storageState: await context.storageState() });
  const load = await fresh.newPage();
  const responses = [];
  load.on('requestfinished', (req) => responses.push(req));
  const t0 = Date.now();
  await load.goto(server.base + '/dial');
  await load.getByRole('button', { name: /^Dial / }).first().waitFor({ timeout: 10000 });
  const interactive = Date.now() - t0;
  await load.waitForLoadState('networkidle');
  let bytes = 0; let sdk = 0;
  for (const req of responses) {
    const s = await req.sizes();
    const n = s.responseBodySize + s.responseHeadersSize;
    if (new URL(req.url()).pathname.startsWith('/vendor/')) sdk += n; else bytes += n;
  }
  emit('page_first_load_bytes', bytes);
  emit('page_first_load_requests', responses.length);
  emit('page_vendor_bytes_on_load', sdk);
  emit('page_interactive_ms', interactive);

  // Filter keystroke -> repaint, on the 100,000-contact list.
  const search = load.getByRole('searchbox', { name: 'Search contacts' });
  await search.focus();
  await load.evaluate(() => {
    const table = document.getElementById('contacts-table');
    window.__bench = { changed: 0, last: 0 };
    new MutationObserver(() => {
      requestAnimationFrame(() => { window.__bench.last = performance.now(); window.__bench.changed += 1; });
    }).observe(table, { childList: true, subtree: true, characterData: true });
    document.addEventListener('keydown', (e) => { window.__bench.key = e.timeStamp; }, true);
  });
  const terms = 'abcdefghijklmnoprstuvwyz'.split('');
  const lat = [];
  for (let i = 0; i < 30; i++) {
    await search.fill('');
    await load.waitForTimeout(400);
    const before = await load.evaluate(() => window.__bench.changed);
    await load.keyboard.type(terms[i % terms.length]);
    await load.waitForFunction((b) => window.__bench.changed > b, before, { timeout: 5000 });
    await load.waitForTimeout(300); // let any later repaint land: the last one counts
    lat.push(await load.evaluate(() => window.__bench.last - window.__bench.key));
  }
  emit('page_filter_p50_ms', pct(lat, 0.5).toFixed(1));
  emit('page_filter_p95_ms', pct(lat, 0.95).toFixed(1));
  emit('page_filter_max_ms', Math.max(...lat).toFixed(1));
  const ok = (c) => (c ? 'PASS' : 'MISS');
  console.log(`${ok(bytes <= 300 * 1024)}  first load of /dial <= 300 KB without the SDK  (${(bytes / 1024).toFixed(1)} KB)`);
  console.log(`${ok(interactive <= 1000)}  interactive <= 1 s  (${interactive} ms)`);
  console.log(`${ok(pct(lat, 0.95) <= 100)}  filter keystroke to repaint <= 100 ms at ${ROWS} contacts  (p95 ${pct(lat, 0.95).toFixed(1)} ms)`);
} finally {
  await browser?.close();
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
  if (process.env.BENCH_OUT) appendFileSync(process.env.BENCH_OUT, out.join('\n') + '\n');
}
