// The dial page in headless chromium against the real Apache, a temporary
// database and the fake Twilio: an operator's day from login to Save & next,
// and what goes wrong (wrong password, expired session, microphone blocked,
// the provider refusing the dial, a file that is not CSV). Elements are found
// by role and accessible name, as a person finds them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  startServer, startFakeTwilio, launch, openPage, shot, twilioPlayer, twilioEnv,
  startFakeTelnyx, telnyxPlayer, telnyxEnv, clean, waitFor, login, newUser, localInput, daytime,
} from './harness.mjs';

const T = { timeout: 15000 };
let fake; let tw; let sim; let browser; let player; let files;
let tfake; let tx; let txPlayer;

const CSV = [
  'name,title,company,phone',
  'Ada Lovelace,CTO,Analytical Engines,+1 202 555 0143',
  'Grace Hopper,VP Engineering,Acme Compilers,(202) 555-0144',
  'Alan Turing,Founder,Acme Machines,202-555-0145',
  'Nobody,,No Phone Inc,',
  'Bad Number,CEO,Broken Ltd,12345',
].join('\r\n') + '\r\n';

before(async () => {
  fake = await startFakeTwilio();
  tw = await startServer({ ...twilioEnv(fake), TWILIO_EDGE: 'roaming' });
  sim = await startServer({});
  player = twilioPlayer(tw, fake);
  tfake = await startFakeTelnyx();
  tx = await startServer(telnyxEnv(tfake));
  txPlayer = telnyxPlayer(tx, tfake);
  browser = await launch();
  files = mkdtempSync(join(tmpdir(), 'dialer-upload-'));
  writeFileSync(join(files, 'contacts.csv'), CSV);
  writeFileSync(join(files, 'photo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0xff, 0xfe, 0, 1]));
});

after(async () => {
  await browser?.close();
  await tw?.stop();
  await sim?.stop();
  await tx?.stop();
  fake?.stop();
  tfake?.stop();
  if (files) rmSync(files, { recursive: true, force: true });
});

const newOperator = (server, name) => newUser(server, name);

async function upload(page, listName) {
  await page.getByLabel('CSV file').setInputFiles(join(files, 'contacts.csv'));
  await page.getByRole('textbox', { name: 'List name' }).fill(listName);
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.getByRole('status').filter({ hasText: 'Imported 3 contacts, skipped 2' }).waitFor(T);
  // The new list is the one shown.
  const list = page.getByRole('combobox', { name: 'List' });
  await waitFor('the new list shown', async () =>
    (await list.evaluate((el) => el.selectedOptions[0]?.textContent || '')).includes(listName)
    && (await page.getByRole('table', { name: 'Contacts' }).getByRole('row').count()) === 4);
}

const lastCallId = (server) => Number(server.sql('SELECT MAX(id) FROM calls'));
const madeTo = async (suffix, method = 'POST') =>
  (await fake.requests()).filter((q) => q.method === method && q.path.endsWith(suffix));

test('the page loads clean, with its CSP, and asks to sign in', async () => {
  const r = await fetch(tw.base + '/dial');
  assert.equal(r.status, 200);
  const csp = r.headers.get('content-security-policy');
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /connect-src 'self' https:\/\/\*\.twilio\.com wss:\/\/\*\.twilio\.com/);
  // Every other answer keeps the strict policy.
  const api = await fetch(tw.base + '/api/v1/auth/me');
  assert.doesNotMatch(api.headers.get('content-security-policy'), /twilio/);
  const page = await openPage(browser, tw);
  await page.goto(tw.base + '/dial');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor(T);
  await shot(page, '01-sign-in');
  clean(page);
  await page.context().close();
});

test('a wrong password says so, in words', async () => {
  const page = await openPage(browser, tw);
  await newOperator(tw, 'wrongpw');
  await login(page, tw, 'wrongpw', 'not-the-password');
  await page.getByRole('alert').filter({ hasText: 'Wrong username or password' }).waitFor(T);
  await shot(page, '02-wrong-password');
  await page.context().close();
});

test('an operator\'s day over Twilio: upload, search, dial, talk, log, Save & next', async () => {
  await fake.reset();
  const password = await newOperator(tw, 'ada');
  const page = await openPage(browser, tw, { fakeSdk: player });
  await login(page, tw, 'ada', password);
  await page.getByText('Signed in as ada').waitFor(T);
  await upload(page, 'November prospects');
  const errors = page.getByRole('table', { name: 'Import errors' });
  await errors.waitFor(T);
  assert.equal(await errors.getByRole('row').count(), 3); // header + two bad rows
  await shot(page, '03-import-report');

  await page.getByRole('searchbox', { name: 'Search contacts' }).fill('Acme');
  const table = page.getByRole('table', { name: 'Contacts' });
  await waitFor('search', async () => (await table.getByRole('row').count()) === 3);
  await page.getByRole('searchbox', { name: 'Search contacts' }).fill('');
  await waitFor('all rows', async () => (await table.getByRole('row').count()) === 4);
  await shot(page, '04-contacts');

  await page.getByRole('button', { name: 'Dial Ada Lovelace' }).click();
  const dialog = page.getByRole('dialog', { name: 'Call with Ada Lovelace' });
  await dialog.waitFor(T);
  // The operator's leg joined (fake SDK -> voice URL -> join): we dialed.
  const dial = await waitFor('the prospect dialed', async () => (await madeTo('/Participants.json'))[0]);
  assert.deepEqual(dial.params.To, ['+12025550143']);
  const id = lastCallId(tw);
  await player.prospect(id, 'ringing');
  await dialog.getByRole('status').filter({ hasText: 'Ringing' }).waitFor(T);
  await shot(page, '05-ringing');
  await player.prospect(id, 'in-progress');
  await dialog.getByRole('status').filter({ hasText: 'Connected' }).waitFor(T);
  await dialog.getByRole('timer').waitFor(T);
  await dialog.getByRole('meter', { name: 'Microphone level' }).waitFor(T);
  await shot(page, '06-connected');

  // The SDK was set up as the design says, and a token about to expire is
  // replaced by a fresh one from POST /api/v1/calls/{id}/token.
  const sdk = await page.evaluate(() => ({
    codecs: window.__fakeTwilioDevice.options.codecPreferences,
    edge: window.__fakeTwilioDevice.options.edge ?? null,
    token: window.__fakeTwilioDevice.token,
  }));
  assert.deepEqual(sdk.codecs, ['opus', 'pcmu']);
  assert.equal(sdk.edge, 'roaming');
  await page.evaluate(() => window.__fakeTwilioDevice.emit('tokenWillExpire', window.__fakeTwilioDevice));
  await waitFor('a fresh token', async () =>
    (await page.evaluate(() => window.__fakeTwilioDevice.tokenUpdates || 0)) === 1);
  assert.match(await page.evaluate(() => window.__fakeTwilioDevice.token), /^eyJ/);
  // Call-quality warnings show, and clear.
  await page.evaluate(() => window.__fakeTwilioDevice.__call.emit('warning', 'high-rtt'));
  await dialog.getByText(/delay|latency|rtt/i).first().waitFor(T);
  await page.evaluate(() => window.__fakeTwilioDevice.__call.emit('warning-cleared', 'high-rtt'));

  const call = (await tw.api('GET', '/api/v1/calls/' + id)).body.call;
  await dialog.getByRole('button', { name: 'Mute' }).click();
  await waitFor('mute at Twilio', async () =>
    (await madeTo(`/Participants/${call.operator_call_sid}.json`)).some((q) => q.params.Muted?.[0] === 'true'));
  await waitFor('Mute pressed', async () =>
    (await dialog.getByRole('button', { name: 'Mute' }).getAttribute('aria-pressed')) === 'true');
  await dialog.getByRole('button', { name: 'Hold' }).click();
  await waitFor('hold at Twilio', async () =>
    (await madeTo(`/Participants/${call.call_sid}.json`)).some((q) => q.params.Hold?.[0] === 'true'));
  await dialog.getByRole('button', { name: 'Hang up' }).click();
  await waitFor('conference ended', async () =>
    (await madeTo(`/Conferences/${call.conference_sid}.json`)).some((q) => q.params.Status?.[0] === 'completed'));
  await player.prospect(id, 'completed', { CallDuration: '42' });

  const log = page.getByRole('dialog', { name: 'Log call with Ada Lovelace' });
  await log.waitFor(T);
  await log.getByRole('button', { name: 'Follow up' }).click();
  await log.getByLabel('Call back at').fill(await localInput(page, daytime() + 86400));
  await log.getByRole('textbox', { name: 'Notes' }).fill('Call back Tuesday, wants pricing');
  await shot(page, '07-log');
  await log.getByRole('button', { name: 'Save & next' }).click();
  await page.getByRole('status').filter({ hasText: /Dialing (Grace Hopper|Alan Turing) in \d+ s/ }).waitFor(T);
  await shot(page, '08-next-countdown');
  const logged = (await tw.api('GET', '/api/v1/calls/' + id)).body.call;
  assert.equal(logged.outcome, 'follow_up');
  assert.equal(logged.notes, 'Call back Tuesday, wants pricing');
  // The countdown runs out and the next contact is dialed.
  await waitFor('the next call', async () => lastCallId(tw) > id, 12000);
  const next = (await tw.api('GET', '/api/v1/calls/' + lastCallId(tw))).body.call;
  assert.notEqual(next.contact_id, logged.contact_id);
  await page.getByRole('dialog', { name: /Call with (Grace Hopper|Alan Turing)/ }).waitFor(T);
  await page.getByRole('button', { name: 'Hang up' }).click();
  clean(page);
  await page.context().close();
});

test('an operator\'s call over Telnyx: dial, talk, mute, hang up, log', async () => {
  await tfake.reset();
  const madeAt = async (suffix, method = 'POST') =>
    (await tfake.requests()).filter((q) => q.method === method && q.path.endsWith(suffix));
  const password = await newOperator(tx, 'telly');
  const page = await openPage(browser, tx, { fakeTelnyxSdk: txPlayer });
  await login(page, tx, 'telly', password);
  await page.getByText('Signed in as telly').waitFor(T);
  await upload(page, 'Telnyx prospects');
  await page.getByRole('button', { name: 'Dial Ada Lovelace' }).click();
  const dialog = page.getByRole('dialog', { name: 'Call with Ada Lovelace' });
  await dialog.waitFor(T);
  // The browser leg came in (fake SDK -> call.initiated -> room -> join): we dialed.
  const dial = await waitFor('the prospect dialed at Telnyx', async () =>
    (await madeAt('/v2/calls')).find((q) => q.path === '/v2/calls'));
  assert.equal(dial.json.to, '+12025550143');
  assert.equal(dial.json.from, '+15005550006');
  const sdk = await page.evaluate(() => ({
    login: window.__fakeTelnyxClient.options.login_token,
    opts: window.__fakeTelnyxClient.__call.options,
  }));
  const id = lastCallId(tx);
  const call = (await tx.api('GET', '/api/v1/calls/' + id)).body.call;
  assert.equal(call.provider, 'telnyx');
  assert.equal(sdk.login.split('.').length, 3);
  assert.equal(sdk.opts.destinationNumber, call.conference_name);
  assert.deepEqual(sdk.opts.customHeaders, [{ name: 'X-Conference', value: call.conference_name }]);
  assert.equal(sdk.opts.audio, true);
  assert.equal(sdk.opts.video, false);

  await txPlayer.prospect(id, 'answered');
  await dialog.getByRole('status').filter({ hasText: 'Connected' }).waitFor(T);
  await dialog.getByRole('timer').waitFor(T);
  await dialog.getByRole('meter', { name: 'Microphone level' }).waitFor(T);
  await dialog.getByRole('combobox', { name: 'Microphone' }).waitFor(T);
  await shot(page, '16-telnyx-connected');

  await dialog.getByRole('button', { name: 'Mute' }).click();
  await waitFor('mute at Telnyx', async () =>
    (await madeAt(`/v2/conferences/${call.conference_sid}/actions/mute`))
      .some((q) => JSON.stringify(q.json.call_control_ids) === JSON.stringify([call.operator_call_sid])));
  await waitFor('Mute pressed', async () =>
    (await dialog.getByRole('button', { name: 'Mute' }).getAttribute('aria-pressed')) === 'true');
  await dialog.getByRole('button', { name: 'Hang up' }).click();
  for (const leg of [call.call_sid, call.operator_call_sid]) {
    await waitFor('leg hung up at Telnyx', async () =>
      (await madeAt(`/v2/calls/${leg}/actions/hangup`)).length > 0);
  }
  await txPlayer.prospect(id, 'hangup', { hangup_cause: 'normal_clearing' });
  const log = page.getByRole('dialog', { name: 'Log call with Ada Lovelace' });
  await log.waitFor(T);
  await log.getByRole('button', { name: 'Connected' }).click();
  await log.getByRole('textbox', { name: 'Notes' }).fill('Talked over Telnyx');
  await log.getByRole('button', { name: 'Save', exact: true }).click();
  await log.waitFor({ state: 'hidden', timeout: 5000 });
  const logged = (await tx.api('GET', '/api/v1/calls/' + id)).body.call;
  assert.equal(logged.outcome, 'connected');
  assert.equal(logged.status, 'completed');
  // The SDK was let go of: the call hung up, the client disconnected.
  assert.equal(await page.evaluate(() => window.__fakeTelnyxClient.__call.state), 'destroy');
  clean(page);
  await page.context().close();
});

test('simulated calls work end to end without the SDK and say so', async () => {
  const password = await newOperator(sim, 'simone');
  const page = await openPage(browser, sim);
  await login(page, sim, 'simone', password);
  await page.getByText('Simulated calls — no real phone rings').waitFor(T);
  await upload(page, 'Sim list');
  await page.getByRole('button', { name: 'Dial Grace Hopper' }).click();
  const dialog = page.getByRole('dialog', { name: 'Call with Grace Hopper' });
  await dialog.getByText('Simulated call').waitFor(T);
  await dialog.getByRole('status').filter({ hasText: 'Connected' }).waitFor({ timeout: 10000 });
  await shot(page, '09-simulated');
  await dialog.getByRole('button', { name: 'Hang up' }).click();
  const log = page.getByRole('dialog', { name: 'Log call with Grace Hopper' });
  await log.waitFor(T);
  await page.keyboard.press('2'); // Voicemail
  assert.equal(await log.getByRole('button', { name: 'Voicemail' }).getAttribute('aria-pressed'), 'true');
  await log.getByRole('button', { name: 'Save', exact: true }).click();
  const row = page.getByRole('table', { name: 'Contacts' }).getByRole('row').filter({ hasText: 'Grace Hopper' });
  await row.filter({ hasText: /voicemail/i }).waitFor(T);
  await page.getByRole('button', { name: 'History for Grace Hopper' }).click();
  const hist = page.getByRole('dialog', { name: 'Call history for Grace Hopper' });
  await hist.getByText(/voicemail/i).first().waitFor(T);
  await hist.getByRole('button', { name: 'Close' }).click();
  await page.keyboard.press('?');
  await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor(T);
  await shot(page, '10-shortcuts');
  clean(page);
  await page.context().close();
});

test('an expired session sends the operator to sign in and back to their place', async () => {
  const password = await newOperator(sim, 'expiry');
  const page = await openPage(browser, sim);
  await login(page, sim, 'expiry', password);
  await upload(page, 'Expiry list');
  await page.getByRole('searchbox', { name: 'Search contacts' }).fill('Turing');
  const table = page.getByRole('table', { name: 'Contacts' });
  await waitFor('search', async () => (await table.getByRole('row').count()) === 2);
  sim.sql("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = 'expiry')");
  await page.getByRole('combobox', { name: 'Status' }).selectOption({ label: 'Not called' });
  await page.getByRole('heading', { name: 'Sign in' }).waitFor(T);
  await page.getByRole('textbox', { name: 'Username' }).fill('expiry');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitFor('the same search', async () =>
    (await page.getByRole('searchbox', { name: 'Search contacts' }).inputValue()) === 'Turing'
    && (await table.getByRole('row').count()) === 2);
  await page.context().close();
});

test('a blocked microphone is explained in words', async () => {
  const password = await newOperator(tw, 'nomic');
  const page = await openPage(browser, tw, { fakeSdk: player });
  await page.addInitScript(() => { window.__fakeTwilioFail = 31208; });
  await login(page, tw, 'nomic', password);
  await upload(page, 'Mic list');
  await page.getByRole('button', { name: 'Dial Alan Turing' }).click();
  const dialog = page.getByRole('dialog', { name: 'Call with Alan Turing' });
  await dialog.getByText(/microphone/i).first().waitFor(T);
  await shot(page, '11-microphone-blocked');
  await page.keyboard.press('Escape');
  await page.context().close();
});

test('a dial the provider refuses ends Failed, with the reason', async () => {
  await fake.reset();
  await fake.ctl('/_fake/faults', { method: 'POST', path: '/Participants\\.json$', count: 1,
    action: 'status', status: 400, code: 21217, message: 'Phone number does not appear to be valid' });
  const password = await newOperator(tw, 'refused');
  const page = await openPage(browser, tw, { fakeSdk: player });
  await login(page, tw, 'refused', password);
  await upload(page, 'Refused list');
  await page.getByRole('button', { name: 'Dial Ada Lovelace' }).click();
  const dialog = page.getByRole('dialog', { name: 'Call with Ada Lovelace' });
  await dialog.getByRole('status').filter({ hasText: 'Failed' }).waitFor(T);
  await dialog.getByText(/number is not valid/i).first().waitFor(T);
  await shot(page, '12-provider-error');
  await page.context().close();
});

test('a file that is not CSV is refused with the server\'s words', async () => {
  const password = await newOperator(sim, 'notcsv');
  const page = await openPage(browser, sim);
  await login(page, sim, 'notcsv', password);
  await page.getByLabel('CSV file').setInputFiles(join(files, 'photo.png'));
  await page.getByRole('textbox', { name: 'List name' }).fill('Not a CSV');
  await page.getByRole('button', { name: 'Upload' }).click();
  const alert = page.getByRole('alert');
  await alert.first().waitFor(T);
  assert.match(await alert.first().innerText(), /CSV|UTF-8|file/);
  await shot(page, '13-not-csv');
  assert.equal(Number(sim.sql("SELECT COUNT(*) FROM contact_lists WHERE name = 'Not a CSV'")), 0);
  await page.context().close();
});

const focusedName = (page) => page.evaluate(() => {
  const a = document.activeElement;
  return a ? (a.getAttribute('aria-label') || a.textContent.trim()) : '';
});

test('keyboard only: search, dial, mute, hold, hang up, outcome, next, cancel, help; focus trapped and returned', async () => {
  const password = await newOperator(sim, 'keys');
  const page = await openPage(browser, sim);
  await login(page, sim, 'keys', password);
  await upload(page, 'Keyboard list');
  const table = page.getByRole('table', { name: 'Contacts' });
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('type')), 'search');
  // Each keystroke may search; "Tur" already shows the one row, so wait for
  // the last answer, or its repaint would take the focus from under Tab.
  const last = page.waitForResponse((r) => r.url().includes('q=Turing'));
  await page.keyboard.type('Turing');
  await last;
  await waitFor('search', async () => (await table.getByRole('row').count()) === 2);
  await page.keyboard.press('Tab'); // the status filter
  await page.keyboard.press('Tab'); // "Callable now"
  await page.keyboard.press('Tab'); // the row's Dial button
  assert.equal(await focusedName(page), 'Dial Alan Turing');
  await page.keyboard.press('d');
  const dialog = page.getByRole('dialog', { name: 'Call with Alan Turing' });
  await dialog.waitFor(T);
  await dialog.getByRole('status').filter({ hasText: 'Connected' }).waitFor({ timeout: 10000 });
  await page.keyboard.press('m');
  await dialog.getByText('You are muted').waitFor(T);
  assert.equal(await dialog.getByRole('button', { name: 'Mute' }).getAttribute('aria-pressed'), 'true');
  await page.keyboard.press('h');
  await dialog.getByText(/On hold/).waitFor(T);
  assert.equal(await dialog.getByRole('button', { name: 'Hold' }).getAttribute('aria-pressed'), 'true');
  // Tab stays inside the dialog.
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Tab');
    assert.ok(await page.evaluate(() => !!document.activeElement.closest('#call-dialog')), 'focus left the dialog');
  }
  const id = lastCallId(sim);
  await page.keyboard.press('x');
  const log = page.getByRole('dialog', { name: 'Log call with Alan Turing' });
  await log.waitFor(T);
  await log.getByText(/Duration \d+:\d\d/).waitFor(T);
  await page.keyboard.press('5');
  assert.equal(await log.getByRole('button', { name: 'Follow up' }).getAttribute('aria-pressed'), 'true');
  // Follow up asks when: the focus is in the callback time, typed as a
  // person types it (month, day, year, then hour, minute, AM/PM).
  assert.equal(await page.evaluate(() => document.activeElement.id), 'log-callback');
  const when = await page.evaluate((ms) => {
    const d = new Date(ms);
    const p = (n) => String(n).padStart(2, '0');
    return { date: `${p(d.getMonth() + 1)}${p(d.getDate())}${d.getFullYear()}`, time: `${p(d.getHours() % 12 || 12)}${p(d.getMinutes())}${d.getHours() < 12 ? 'A' : 'P'}` };
  }, (daytime() + 86400) * 1000);
  await page.keyboard.type(when.date);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.type(when.time);
  // On through the notes to Save & next.
  await waitFor('Save & next focused', async () => {
    await page.keyboard.press('Tab');
    return (await focusedName(page)) === 'Save & next';
  }, 3000);
  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: /Dialing (Ada Lovelace|Grace Hopper) in \d s/ }).waitFor(T);
  await page.keyboard.press('Escape');
  await waitFor('the dialog closed', async () => !(await page.locator('dialog[open]').count()));
  await new Promise((r) => setTimeout(r, 5500)); // past the countdown: nothing dialed
  assert.equal(lastCallId(sim), id);
  assert.equal((await sim.api('GET', '/api/v1/calls/' + id)).body.call.outcome, 'follow_up');
  await table.getByRole('row').filter({ hasText: 'Alan Turing' }).filter({ hasText: 'Follow up' }).waitFor(T);
  await waitFor('focus back on the Dial button', async () => (await focusedName(page)) === 'Dial Alan Turing');
  // The help overlay: opened with ?, focus kept inside, Escape returns it.
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await help.waitFor(T);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focusedName(page), 'Close');
  await page.keyboard.press('Escape');
  await help.waitFor({ state: 'hidden', timeout: 5000 });
  assert.equal(await focusedName(page), 'Dial Alan Turing');
  clean(page);
  await page.context().close();
});

test('a narrow window (400×800): no sideways scrolling, every contact readable, the dialog fits', async () => {
  const password = await newOperator(sim, 'narrow');
  const page = await openPage(browser, sim);
  await page.setViewportSize({ width: 400, height: 800 });
  await login(page, sim, 'narrow', password);
  await upload(page, 'Narrow list');
  const table = page.getByRole('table', { name: 'Contacts' });
  assert.equal(await table.getByRole('columnheader').count(), 8); // still a table to assistive tech
  const noSideScroll = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  assert.ok(await noSideScroll(), 'the page scrolls sideways');
  for (const name of ['Dial Ada Lovelace', 'History for Ada Lovelace']) {
    const b = await page.getByRole('button', { name }).boundingBox();
    assert.ok(b && b.x >= 0 && b.x + b.width <= 400, name + ' is off screen');
  }
  const phone = await table.getByRole('cell', { name: /555-0143/ }).boundingBox();
  assert.ok(phone && phone.x + phone.width <= 400, 'the phone number is off screen');
  await shot(page, '14-narrow');
  await page.getByRole('button', { name: 'Dial Ada Lovelace' }).click();
  const dialog = page.getByRole('dialog', { name: 'Call with Ada Lovelace' });
  await dialog.getByRole('status').filter({ hasText: 'Connected' }).waitFor({ timeout: 10000 });
  const d = await dialog.boundingBox();
  assert.ok(d.x >= 0 && d.x + d.width <= 400, 'the call dialog is wider than the window');
  assert.ok(await noSideScroll(), 'the page scrolls sideways with the dialog open');
  await shot(page, '15-narrow-call');
  await dialog.getByRole('button', { name: 'Hang up' }).click();
  await page.getByRole('dialog', { name: 'Log call with Ada Lovelace' }).waitFor(T);
  clean(page);
  await page.context().close();
});

test('quality warnings and audio devices over Twilio: devices listed once the call is in, the choice used and kept', async () => {
  await fake.reset();
  const password = await newOperator(tw, 'devices');
  const page = await openPage(browser, tw, { fakeSdk: player });
  await login(page, tw, 'devices', password);
  await upload(page, 'Devices list');
  await page.getByRole('button', { name: 'Dial Ada Lovelace' }).click();
  const dialog = page.getByRole('dialog', { name: 'Call with Ada Lovelace' });
  const mic = dialog.getByRole('combobox', { name: 'Microphone' });
  await mic.waitFor(T);
  assert.deepEqual(await mic.locator('option').allTextContents(), ['Fake microphone', 'Second fake microphone']);
  await dialog.getByRole('combobox', { name: 'Speaker' }).waitFor(T);
  await mic.selectOption({ label: 'Second fake microphone' });
  await waitFor('the SDK switched', async () =>
    (await page.evaluate(() => window.__fakeTwilioDevice.audio.inputDevice?.deviceId)) === 'fake-mic-2');
  // Quality warnings: in words, several at once, gone when cleared.
  const emit = (ev, name) => page.evaluate(([e, n]) => window.__fakeTwilioDevice.__call.emit(e, n), [ev, name]);
  await emit('warning', 'high-jitter');
  await emit('warning', 'low-mos');
  await dialog.getByText('Call quality: choppy audio, poor call quality').waitFor(T);
  await emit('warning-cleared', 'high-jitter');
  await dialog.getByText('Call quality: poor call quality').waitFor(T);
  await emit('warning-cleared', 'low-mos');
  await dialog.getByText(/Call quality/).waitFor({ state: 'hidden', timeout: 5000 });
  await page.keyboard.press('x');
  await dialog.getByRole('status').filter({ hasText: 'Hanging up' }).waitFor(T);
  await player.prospect(lastCallId(tw), 'canceled');
  const log = page.getByRole('dialog', { name: 'Log call with Ada Lovelace' });
  await log.waitFor(T);
  await log.getByRole('button', { name: 'Close without saving' }).click();
  // The next call starts on the microphone chosen before.
  await page.getByRole('button', { name: 'Dial Grace Hopper' }).click();
  const again = page.getByRole('dialog', { name: 'Call with Grace Hopper' });
  await again.getByRole('combobox', { name: 'Microphone' }).waitFor(T);
  await waitFor('the kept microphone', async () =>
    (await page.evaluate(() => window.__fakeTwilioDevice.audio.inputDevice?.deviceId)) === 'fake-mic-2');
  assert.equal(await again.getByRole('combobox', { name: 'Microphone' }).inputValue(), 'fake-mic-2');
  await page.keyboard.press('x');
  await again.getByRole('status').filter({ hasText: 'Hanging up' }).waitFor(T);
  await player.prospect(lastCallId(tw), 'canceled');
  await page.getByRole('dialog', { name: 'Log call with Grace Hopper' }).waitFor(T);
  clean(page);
  await page.context().close();
});

test('the operator\'s audio failing to connect: Failed with the reason in words, nothing to log, focus back', async () => {
  const password = await newOperator(tw, 'nomic2');
  const page = await openPage(browser, tw, { fakeSdk: player });
  await page.addInitScript(() => { window.__fakeTwilioFail = 31401; });
  await login(page, tw, 'nomic2', password);
  await upload(page, 'No mic list');
  await page.getByRole('button', { name: 'Dial Grace Hopper' }).click();
  const dialog = page.getByRole('dialog', { name: 'Call with Grace Hopper' });
  await dialog.getByRole('status').filter({ hasText: 'Failed: microphone blocked' }).waitFor(T);
  await dialog.getByRole('alert').filter({ hasText: /Allow microphone access/ }).waitFor(T);
  assert.equal(await dialog.getByRole('combobox', { name: 'Microphone' }).count(), 0);
  assert.equal(await page.getByRole('dialog', { name: /Log call/ }).count(), 0);
  assert.equal(await focusedName(page), 'Close');
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'hidden', timeout: 5000 });
  assert.equal(await focusedName(page), 'Dial Grace Hopper');
  // Nobody was rung: the call is canceled at once, so the next Dial works.
  await waitFor('the call canceled', async () =>
    tw.sql("SELECT status FROM calls WHERE id = (SELECT MAX(id) FROM calls)") === 'canceled');
  // Other SDK errors: words first, the code only beside them.
  const words = await page.evaluate(async () => {
    const w = await import('/js/words.js');
    return [31005, 20104, 53405, 31001, 31999].map((code) => w.sdkErrorWords({ code, message: 'x' }));
  });
  assert.match(words[0], /^The connection to the voice service was lost\..*\(voice error 31005\)$/);
  assert.match(words[1], /^Your voice access token is invalid or has expired/);
  assert.match(words[2], /^Your browser could not set up the audio connection/);
  assert.match(words[3], /not set up/);
  assert.match(words[4], /^The voice connection had a problem: x \(voice error 31999\)\.$/);
  clean(page);
  await page.context().close();
});

test('a session that ends mid-call brings the operator back to that call\'s log, with what they typed', async () => {
  const password = await newOperator(sim, 'midcall');
  const page = await openPage(browser, sim);
  await login(page, sim, 'midcall', password);
  await upload(page, 'Mid-call list');
  await page.getByRole('button', { name: 'Dial Ada Lovelace' }).click();
  const dialog = page.getByRole('dialog', { name: 'Call with Ada Lovelace' });
  await dialog.getByRole('status').filter({ hasText: 'Connected' }).waitFor({ timeout: 10000 });
  const id = lastCallId(sim);
  sim.sql("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = 'midcall')");
  await page.getByRole('heading', { name: 'Sign in' }).waitFor(T);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const log = page.getByRole('dialog', { name: 'Log call with Ada Lovelace' });
  await log.waitFor(T);
  await page.keyboard.press('4');
  await log.getByRole('textbox', { name: 'Notes' }).fill('Half a thought');
  // Expires again before Save: nothing typed is lost.
  sim.sql("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = 'midcall')");
  await log.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor(T);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await log.waitFor(T);
  assert.equal(await log.getByRole('textbox', { name: 'Notes' }).inputValue(), 'Half a thought');
  assert.equal(await log.getByRole('button', { name: 'Not interested' }).getAttribute('aria-pressed'), 'true');
  await log.getByRole('button', { name: 'Save', exact: true }).click();
  await log.waitFor({ state: 'hidden', timeout: 5000 });
  const call = (await sim.api('GET', '/api/v1/calls/' + id)).body.call;
  assert.equal(call.outcome, 'not_interested');
  assert.equal(call.notes, 'Half a thought');
  await page.context().close();
});
