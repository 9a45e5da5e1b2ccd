// The browser tests' world: the real Apache from apache.conf (tools/serve.sh)
// with a temporary database, the stateful fake Twilio (tests/fake), and
// Debian's chromium driven by playwright-core. Nothing leaves 127.0.0.1:
// every other request is aborted and counted as a failure.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(here, '..', '..');
export const BUILD = process.env.DIALER_BUILD || join(ROOT, 'build');
export const ARTIFACTS = join(ROOT, 'tests', 'artifacts', 'browser');

export const ACCOUNT_SID = 'AC' + '0123456789abcdef'.repeat(2);
export const AUTH_TOKEN = 'fake-auth-token-0123456789';
export const API_KEY_SID = 'SK' + '00112233445566778899aabbccddeeff';
export const API_KEY_SECRET = 'fake-api-key-secret-0123456789';
export const APP_SID = 'AP' + 'ffeeddccbbaa99887766554433221100';
export const CALLER_ID = '+15005550006';
export const TELNYX_API_KEY = 'KEYfake0123456789abcdef0123456789';
export const TELNYX_CONNECTION_ID = '1494404757140276705';
export const TELNYX_CREDENTIAL_ID = 'c215ade3-0d39-418e-94be-c5f780760199';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Every process group we start; killed when the test process exits, even
// when a hook failed before its `after` could stop them.
const started = new Set();
process.on('exit', () => {
  for (const pgid of started) {
    try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ }
  }
});

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function cleanEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(DIALER_|TWILIO_|TELNYX_)/.test(k) && k !== 'PORT') env[k] = v;
  }
  return env;
}

// The fake Twilio, standalone (it needs Debian's python3-twilio).
export async function startFakeTwilio() {
  const dir = mkdtempSync(join(tmpdir(), 'dialer-fake-'));
  const ready = join(dir, 'ready');
  const proc = spawn('/usr/bin/python3', [join(ROOT, 'tests', 'fake', 'fake_twilio.py'),
    '--port', '0', '--account-sid', ACCOUNT_SID, '--auth-token', AUTH_TOKEN,
    '--api-key-sid', API_KEY_SID, '--api-key-secret', API_KEY_SECRET, '--ready-file', ready],
  { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  started.add(proc.pid);
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  for (let i = 0; i < 200; i++) {
    if (existsSync(ready) && readFileSync(ready, 'utf8').trim()) break;
    if (proc.exitCode !== null) throw new Error('fake Twilio exited: ' + err);
    await sleep(50);
  }
  const text = readFileSync(ready, 'utf8').trim();
  const url = text.startsWith('http') ? text : 'http://127.0.0.1:' + text;
  const fake = {
    url,
    async ctl(path, body) {
      const r = await fetch(url + path, body === undefined ? {} : {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
      });
      return r.json();
    },
    reset() { return this.ctl('/_fake/reset', {}); },
    requests() { return this.ctl('/_fake/requests'); },
    // Post a webhook signed as Twilio signs it.
    callback(target, params) { return this.ctl('/_fake/callback', { url: target, params }); },
    stop() {
      try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* gone */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fake;
}

// The fake Telnyx, standalone (it needs Debian's python3-cryptography).
// Its control endpoints are at the root (base_url), the API under /v2 (url).
export async function startFakeTelnyx() {
  const dir = mkdtempSync(join(tmpdir(), 'dialer-fake-telnyx-'));
  const ready = join(dir, 'ready');
  const proc = spawn('/usr/bin/python3', [join(ROOT, 'tests', 'fake', 'fake_telnyx.py'),
    '--port', '0', '--api-key', TELNYX_API_KEY, '--connection-id', TELNYX_CONNECTION_ID,
    '--credential-id', TELNYX_CREDENTIAL_ID, '--ready-file', ready],
  { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  started.add(proc.pid);
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  for (let i = 0; i < 200; i++) {
    if (existsSync(ready) && readFileSync(ready, 'utf8').trim()) break;
    if (proc.exitCode !== null) throw new Error('fake Telnyx exited: ' + err);
    await sleep(50);
  }
  const base = 'http://127.0.0.1:' + readFileSync(ready, 'utf8').trim();
  const fake = {
    base_url: base,
    url: base + '/v2',
    async ctl(path, body) {
      const r = await fetch(base + path, body === undefined ? {} : {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
      });
      return r.json();
    },
    reset() { return this.ctl('/_fake/reset', {}); },
    requests() { return this.ctl('/_fake/requests'); },
    state() { return this.ctl('/_fake/state'); },
    // Post a webhook built from the fake's state and signed as Telnyx signs it.
    event(target, eventType, fields = {}) {
      return this.ctl('/_fake/callback', { url: target, build: { event_type: eventType, ...fields } });
    },
    stop() {
      try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* gone */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  fake.public_key = (await fake.ctl('/_fake/public_key')).public_key;
  return fake;
}

// Today at 17:00 UTC: inside the calling hours (08:00-21:00) of every
// zone of the mainland US, where the tests' numbers are.
export function daytime() {
  const d = new Date();
  return Math.floor(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 17) / 1000);
}

// One Apache serving the app; env adds provider settings. The dialing
// rules judge by a test clock (DIALER_TEST_CLOCK_FILE) set to `clock`
// (Unix seconds, default daytime()), so a dial is never refused for the
// hour the suite happens to run at; server.setClock(t) moves it.
export async function startServer(extraEnv = {}, { clock = daytime() } = {}) {
  const port = await freePort();
  const varDir = mkdtempSync(join(tmpdir(), 'dialer-browser-'));
  const base = 'http://127.0.0.1:' + port;
  const clockFile = join(varDir, 'test-clock');
  writeFileSync(clockFile, String(clock));
  const server = {
    port, base, var: varDir,
    adminPassword: 'admin-' + randomBytes(9).toString('base64url'),
    apiKey: 'k-' + randomBytes(18).toString('base64url'),
    setClock: (t) => writeFileSync(clockFile, String(typeof t === 'string' ? Math.floor(Date.parse(t) / 1000) : t)),
  };
  const env = {
    ...cleanEnv(), PORT: String(port), DIALER_VAR: varDir,
    DIALER_ADMIN_PASSWORD: server.adminPassword, DIALER_API_KEY: server.apiKey,
    DIALER_LOGIN_MAX_PER_ADDR: '10000', DIALER_PUBLIC_URL: base, DIALER_TEST_CLOCK_FILE: clockFile, ...extraEnv,
  };
  const out = join(varDir, 'serve.out');
  const proc = spawn(join(ROOT, 'tools', 'serve.sh'), [BUILD], {
    cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(proc.pid);
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  const deadline = Date.now() + 20000;
  for (;;) {
    try {
      await fetch(base + '/api/v1/auth/me');
      break;
    } catch {
      if (Date.now() > deadline || proc.exitCode !== null) {
        writeFileSync(out, log);
        throw new Error('server did not start:\n' + log);
      }
      await sleep(100);
    }
  }
  server.api = async (method, path, body) => {
    const r = await fetch(base + path, {
      method, headers: { 'X-API-Key': server.apiKey, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
  server.createUser = async (username, password, role = 'operator') => {
    const r = await server.api('POST', '/api/v1/users', { username, password, role });
    if (r.status !== 201) throw new Error('create user: ' + JSON.stringify(r.body));
    return r.body.user;
  };
  server.sql = (sql) => execFileSync('sqlite3', [join(varDir, 'dialer.db'), sql], { encoding: 'utf8' }).trim();
  server.stop = async () => {
    try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* gone */ }
    for (let i = 0; i < 100; i++) {
      try { process.kill(-proc.pid, 0); } catch { break; }
      await sleep(100);
    }
    try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ }
    rmSync(varDir, { recursive: true, force: true });
  };
  return server;
}

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
];

// Playwright gives every launch a fresh temporary profile (its own
// --user-data-dir), removed on close.
export async function launch() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

// A page on `server` that records console errors, page errors and any
// request that would leave 127.0.0.1 (aborted). With `fakeSdk`, the vendored
// Twilio SDK is replaced by tests/browser/fake-twilio-sdk.js, whose Device
// asks `fakeSdk` (a Node function) to play Twilio's part; with
// `fakeTelnyxSdk`, the same for @telnyx/webrtc (tests/browser/fake-telnyx-sdk.js,
// binding window.__fakeTelnyx). timezoneId: the browser's own zone (the
// operator's local time on the page), default the system's.
export async function openPage(browser, server,
  { fakeSdk = null, fakeTelnyxSdk = null, permissions = ['microphone'], timezoneId } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId });
  if (permissions.length) await context.grantPermissions(permissions, { origin: server.base });
  const problems = { console: [], pageErrors: [], offsite: [] };
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.hostname !== '127.0.0.1' && u.protocol !== 'data:' && u.protocol !== 'blob:') {
      problems.offsite.push(route.request().url());
      return route.abort();
    }
    if (fakeSdk && u.pathname === '/vendor/twilio.min.js') {
      return route.fulfill({
        status: 200, contentType: 'application/javascript',
        body: readFileSync(join(here, 'fake-twilio-sdk.js'), 'utf8'),
      });
    }
    if (fakeTelnyxSdk && u.pathname === '/vendor/telnyx-webrtc.js') {
      return route.fulfill({
        status: 200, contentType: 'application/javascript',
        body: readFileSync(join(here, 'fake-telnyx-sdk.js'), 'utf8'),
      });
    }
    return route.continue();
  });
  if (fakeSdk) await context.exposeBinding('__fakeTwilio', (_src, op, arg) => fakeSdk(op, arg));
  if (fakeTelnyxSdk) await context.exposeBinding('__fakeTelnyx', (_src, op, arg) => fakeTelnyxSdk(op, arg));
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.console.push(m.text()); });
  page.on('pageerror', (e) => problems.pageErrors.push(String(e)));
  page.problems = problems;
  return page;
}

export async function shot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, name + '.png'), fullPage: true });
}

// Twilio's side of the browser leg, for the fake SDK: the voice URL, the
// room with the operator in it, and the join that makes us dial.
export function twilioPlayer(server, fake) {
  const legs = new Map();
  let n = 0;
  const hook = (kind, params) => fake.callback(server.base + '/api/v1/twilio/' + kind,
    { AccountSid: ACCOUNT_SID, ApiVersion: '2010-04-01', ...params });
  const player = async (op, arg) => {
    if (op === 'connect') {
      n += 1;
      const leg = 'CA' + n.toString(16).padStart(2, '0').repeat(16);
      const voice = await hook('voice', {
        CallSid: leg, From: 'client:' + arg.identity, Caller: 'client:' + arg.identity,
        To: '', Direction: 'inbound', CallStatus: 'ringing', conference: arg.params.conference,
      });
      if (voice.status !== 200 || !/<Conference/.test(voice.body)) return { rejected: true, body: voice.body };
      const conf = await fake.ctl('/_fake/conferences', {
        friendly_name: arg.params.conference, operator_call_sid: leg,
      });
      legs.set(leg, { cf: conf.sid, name: arg.params.conference });
      await hook('conference-status', { ConferenceSid: conf.sid, FriendlyName: arg.params.conference,
        StatusCallbackEvent: 'conference-start', SequenceNumber: '1' });
      await hook('conference-status', { ConferenceSid: conf.sid, FriendlyName: arg.params.conference,
        StatusCallbackEvent: 'participant-join', CallSid: leg, SequenceNumber: '2' });
      return { leg };
    }
    if (op === 'disconnect') {
      const l = legs.get(arg.leg);
      if (l) {
        await hook('conference-status', { ConferenceSid: l.cf, FriendlyName: l.name,
          StatusCallbackEvent: 'conference-end', SequenceNumber: '9' });
      }
      return {};
    }
    return {};
  };
  // Move the prospect's leg of call `id` the way Twilio's status callbacks do.
  player.prospect = async (callId, status, extra = {}) => {
    const call = (await server.api('GET', '/api/v1/calls/' + callId)).body.call;
    return fake.callback(server.base + '/api/v1/twilio/call-status?call=' + callId, {
      AccountSid: ACCOUNT_SID, ApiVersion: '2010-04-01', CallSid: call.call_sid,
      CallStatus: status, ...extra,
    });
  };
  return player;
}

export function twilioEnv(fake) {
  return {
    DIALER_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_API_KEY_SID: API_KEY_SID, TWILIO_API_KEY_SECRET: API_KEY_SECRET,
    TWILIO_TWIML_APP_SID: APP_SID, TWILIO_CALLER_ID: CALLER_ID, TWILIO_API_BASE: fake.url,
  };
}

// Telnyx's side of the browser leg, for the fake SDK (the sequence of
// tests/e2e/test_telnyx_flow.py): the incoming leg, its call.initiated naming
// our room, the room our server made with it, and the join that makes us dial.
export function telnyxPlayer(server, fake) {
  const legs = new Map();
  const events = server.base + '/api/v1/telnyx/events';
  const player = async (op, arg) => {
    if (op === 'connect') {
      const made = await fake.ctl('/_fake/calls', {
        direction: 'incoming', from: 'sip:operator@sip.telnyx.com', to: 'sip:dialer@sip.telnyx.com',
      });
      const leg = made.call_control_id || made.data.call_control_id;
      const header = (arg.customHeaders || []).find((h) => h.name === 'X-Conference');
      const name = header ? header.value : '';
      const init = await fake.event(events, 'call.initiated', {
        call_control_id: leg, payload: { custom_headers: [{ name: 'X-Conference', value: name }] },
      });
      if (init.status !== 204) return { rejected: true, body: init.body };
      const state = await fake.state();
      const confs = Array.isArray(state.conferences) ? state.conferences : Object.values(state.conferences);
      const conf = confs.find((c) => c.name === name);
      if (!conf) return { rejected: true };
      legs.set(leg, conf.id);
      for (const ev of ['conference.created', 'conference.participant.joined']) {
        await fake.event(events, ev, { call_control_id: leg, conference_id: conf.id });
      }
      return { leg };
    }
    if (op === 'disconnect') {
      const conf = legs.get(arg.leg);
      if (conf) {
        legs.delete(arg.leg);
        await fake.event(events, 'conference.ended', { conference_id: conf }).catch(() => {});
      }
      return {};
    }
    return {};
  };
  // Move the prospect's leg of call `id`: 'answered' or 'hangup' (payload
  // e.g. {hangup_cause: 'normal_clearing'}), as Telnyx's webhooks do.
  player.prospect = async (callId, what, payload = {}) => {
    const call = (await server.api('GET', '/api/v1/calls/' + callId)).body.call;
    return fake.event(server.base + '/api/v1/telnyx/call-status?call=' + callId,
      what === 'hangup' ? 'call.hangup' : 'call.' + what, { call_control_id: call.call_sid, payload });
  };
  return player;
}

export function telnyxEnv(fake) {
  return {
    DIALER_PROVIDER: 'telnyx', TELNYX_API_KEY, TELNYX_CONNECTION_ID, TELNYX_CALLER_ID: CALLER_ID,
    TELNYX_CREDENTIAL_ID, TELNYX_PUBLIC_KEY: fake.public_key, TELNYX_API_BASE: fake.url,
  };
}

// The page broke none of the rules: nothing left 127.0.0.1, no page error,
// no console error. `allow`: HTTP statuses the test expects the server to
// answer with (a 409 refusal, a 422), which Chromium logs as a console
// error of their own ("Failed to load resource: ... status of 409").
export function clean(page, { allow = [] } = {}) {
  const expected = (m) => {
    const s = /^Failed to load resource: the server responded with a status of (\d+)/.exec(m);
    return s !== null && allow.includes(Number(s[1]));
  };
  if (page.problems.offsite.length) throw new Error('requests left 127.0.0.1: ' + page.problems.offsite.join(' '));
  if (page.problems.pageErrors.length) throw new Error('page errors: ' + page.problems.pageErrors.join(' | '));
  const errors = page.problems.console.filter((m) => !expected(m));
  if (errors.length) throw new Error('console errors: ' + errors.join(' | '));
}

export async function waitFor(what, fn, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(100);
  }
}

export async function login(page, server, username, password) {
  await page.goto(server.base + '/dial');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 15000 });
  await page.getByRole('textbox', { name: 'Username' }).fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function newUser(server, name, role = 'operator') {
  const password = 'pw-' + randomBytes(8).toString('base64url');
  await server.createUser(name, password, role);
  return password;
}

// The datetime-local value for Unix time t in the page's own zone.
export function localInput(page, t) {
  return page.evaluate((ms) => {
    const d = new Date(ms);
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
  }, t * 1000);
}
