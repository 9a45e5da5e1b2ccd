// The dialing rules on the dial page, in headless chromium against the real
// Apache on a test clock (sim provider, recording on, two local-presence
// caller IDs): refusals said in words where the operator clicked (the
// do-not-call list, another operator's contact, calling hours with the
// contact's local time), the
// "Callable now" filter, Save & next's preview and Skip, Follow up's
// callback time and its reminder, the recording player, the rules panel,
// and the admin's do-not-call list. Each test has its own numbers, so the
// list of one never refuses another's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  startServer, launch, openPage, shot, clean, waitFor, login, newUser, localInput, daytime,
} from './harness.mjs';

const T = { timeout: 15000 };
const chicago = new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'America/Chicago' });
let srv; let browser; let files;

before(async () => {
  srv = await startServer({ DIALER_RECORD_CALLS: '1', DIALER_CALLER_IDS: '+12025550100,+13125550100' });
  browser = await launch();
  files = mkdtempSync(join(tmpdir(), 'dialer-rules-'));
});

after(async () => {
  await browser?.close();
  await srv?.stop();
  if (files) rmSync(files, { recursive: true, force: true });
});

// rows: [name, company, phone, timezone?]
async function upload(page, listName, rows) {
  const tz = rows.some((r) => r[3]);
  const lines = [tz ? 'name,company,phone,timezone' : 'name,company,phone',
    ...rows.map((r) => (tz ? [r[0], r[1], r[2], r[3] || ''] : r.slice(0, 3)).join(','))];
  const file = join(files, listName.replace(/\W+/g, '-') + '.csv');
  writeFileSync(file, lines.join('\r\n') + '\r\n');
  await page.getByLabel('CSV file').setInputFiles(file);
  await page.getByRole('textbox', { name: 'List name' }).fill(listName);
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.getByRole('status').filter({ hasText: `Imported ${rows.length} contacts` }).waitFor(T);
  const table = page.getByRole('table', { name: 'Contacts' });
  await waitFor('the new list shown', async () => (await table.getByRole('row').count()) === rows.length + 1);
  return table;
}

const focusedName = (page) => page.evaluate(() => {
  const a = document.activeElement;
  return a ? (a.getAttribute('aria-label') || a.textContent.trim()) : '';
});
const callsTo = (e164) => Number(srv.sql(`SELECT COUNT(*) FROM calls WHERE to_phone = '${e164}'`));
const lastCall = (e164) => srv.sql(`SELECT MAX(id) FROM calls WHERE to_phone = '${e164}'`);

// A sim call from the row's Dial button to its log.
async function callAndHangUp(page, name) {
  await page.getByRole('button', { name: `Dial ${name}` }).click();
  const dialog = page.getByRole('dialog', { name: `Call with ${name}` });
  await dialog.getByRole('status').filter({ hasText: 'Connected' }).waitFor(T);
  await dialog.getByRole('button', { name: 'Hang up' }).click();
  const log = page.getByRole('dialog', { name: `Log call with ${name}` });
  await log.waitFor(T);
  return log;
}

test('a number on the do-not-call list, a contact another operator holds: the dial is refused in words, under the row, nothing dialed', async () => {
  const r = await srv.api('POST', '/api/v1/dnc', { phone: '+1 202 555 0161', reason: 'asked not to be called' });
  assert.equal(r.status, 201);
  const password = await newUser(srv, 'dncop');
  const page = await openPage(browser, srv);
  await login(page, srv, 'dncop', password);
  const table = await upload(page, 'DNC refusal', [
    ['Ada Lovelace', 'Analytical Engines', '+1 202 555 0161'],
    ['Grace Hopper', 'Acme Compilers', '+1 202 555 0162'],
  ]);
  await page.getByRole('status').filter({ hasText: 'Imported 2 contacts, skipped 0; 1 is on the do-not-call list' }).waitFor(T);
  const ada = table.getByRole('row').filter({ hasText: 'Ada Lovelace' });
  await ada.getByText('Do not call', { exact: true }).waitFor(T);
  assert.equal(await table.getByRole('row').filter({ hasText: 'Grace Hopper' }).getByText('Do not call', { exact: true }).count(), 0);
  // Operators get no do-not-call panel.
  assert.equal(await page.getByRole('heading', { name: 'Do-not-call list' }).count(), 0);

  await page.getByRole('button', { name: 'Dial Ada Lovelace' }).click();
  const alert = table.getByRole('alert');
  await alert.waitFor(T);
  // The server's sentence, whole: the number, the list, the reason.
  assert.match(await alert.innerText(),
    /^Not dialed: \+1 202-555-0161 is on the do-not-call list\b.*\(reason: asked not to be called\)\.$/);
  // Where they were: no call dialog, the focus still on that Dial button.
  assert.equal(await page.locator('dialog[open]').count(), 0);
  assert.equal(await focusedName(page), 'Dial Ada Lovelace');
  assert.equal(callsTo('+12025550161'), 0);
  await shot(page, 'rules-01-dnc-refused');

  // Grace is another operator's for five minutes: said the same way.
  const other = await srv.createUser('dncother', 'pw-' + Math.random().toString(36).slice(2));
  const until = new Date((daytime() + 300) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  srv.sql(`UPDATE contacts SET reserved_by = ${other.id}, reserved_until = '${until}' WHERE phone_e164 = '+12025550162'`);
  await page.getByRole('checkbox', { name: 'Callable now' }).focus();
  await page.keyboard.press('Space'); // reloads the list: Grace's reservation shows
  await page.keyboard.press('Space');
  const grace = table.getByRole('row').filter({ hasText: 'Grace Hopper' });
  await grace.filter({ hasText: /Reserved by another operator until/ }).waitFor(T);
  await page.getByRole('button', { name: 'Dial Grace Hopper' }).click();
  await table.getByRole('alert').filter({ hasText: `Not dialed: Another operator has this contact until ${until.slice(11, 16)} UTC.` }).waitFor(T);
  assert.equal(await table.getByRole('alert').count(), 1); // the one under Ada's row is gone
  assert.equal(await page.locator('dialog[open]').count(), 0);
  assert.equal(callsTo('+12025550162'), 0);
  clean(page, { allow: [409] });
  await page.context().close();
});

test('outside calling hours: the refusal gives the contact\'s local time and when calls open, in the operator\'s time; Callable now filters', async () => {
  // 04:00 UTC: 22:00 the evening before in Chicago, 13:00 in Tokyo.
  srv.setClock('2026-11-25T04:00:00Z');
  try {
    const password = await newUser(srv, 'hoursop');
    const page = await openPage(browser, srv, { timezoneId: 'Europe/Berlin' });
    await login(page, srv, 'hoursop', password);
    const table = await upload(page, 'Calling hours', [
      ['Ada Lovelace', 'Analytical Engines', '+1 312 555 0171', 'America/Chicago'],
      ['Grace Hopper', 'Acme Compilers', '+1 312 555 0172', 'Asia/Tokyo'],
    ]);
    await page.getByText(/^Test clock: .*04:00 UTC$/).waitFor(T);
    const ada = table.getByRole('row').filter({ hasText: 'Ada Lovelace' });
    await ada.getByText('America/Chicago · 22:00 there').waitFor(T);

    await page.getByRole('button', { name: 'Dial Ada Lovelace' }).click();
    const alert = table.getByRole('alert');
    await alert.waitFor(T);
    // The window opens at 08:00 in Chicago: 14:00 UTC, 15:00 in Berlin.
    assert.equal(await alert.innerText(), 'Not dialed: It is 22:00 in America/Chicago; calls are allowed '
      + '08:00-21:00 there. Calls to this contact open again at 15:00 your time.');
    assert.equal(await page.locator('dialog[open]').count(), 0);
    assert.equal(await focusedName(page), 'Dial Ada Lovelace');
    assert.equal(callsTo('+13125550171'), 0);
    await shot(page, 'rules-02-outside-hours');

    await page.getByRole('checkbox', { name: 'Callable now' }).check();
    await waitFor('only Tokyo callable', async () => (await table.getByRole('row').count()) === 2
      && (await table.getByRole('row').filter({ hasText: 'Grace Hopper' }).count()) === 1);
    assert.match(page.url(), /callable=1/);
    clean(page, { allow: [409] });
    await page.context().close();
  } finally {
    srv.setClock(daytime());
  }
});

test('Save & next previews the next contact (name, company, their time, caller ID); s skips; then nobody is left', async () => {
  const password = await newUser(srv, 'previewop');
  const page = await openPage(browser, srv);
  await login(page, srv, 'previewop', password);
  await upload(page, 'Preview list', [
    ['Ada Lovelace', 'Analytical Engines', '+1 202 555 0181'],
    ['Grace Hopper', 'Acme Compilers', '+1 312 555 0182', 'America/Chicago'],
    ['Alan Turing', 'Acme Machines', '+1 202 555 0183'],
  ]);
  await page.getByRole('button', { name: 'Dial Ada Lovelace' }).click();
  const call = page.getByRole('dialog', { name: 'Call with Ada Lovelace' });
  await call.getByText('Calling from +1 202-555-0100 (local match)').waitFor(T);
  await call.getByRole('status').filter({ hasText: 'Connected' }).waitFor(T);
  await page.keyboard.press('x');
  await page.getByRole('dialog', { name: 'Log call with Ada Lovelace' }).waitFor(T);
  // Still said after the call's status has been polled again.
  await call.getByText('Calling from +1 202-555-0100 (local match)').waitFor(T);
  await page.keyboard.press('1');
  await page.keyboard.press('n');

  const dialog = page.locator('#call-dialog');
  const preview = dialog.getByRole('definition');
  await dialog.getByRole('status').filter({ hasText: /^Dialing Grace Hopper in \d s$/ }).waitFor(T);
  assert.deepEqual(await preview.allInnerTexts(), ['Grace Hopper', 'Acme Compilers',
    `${chicago.format(new Date(daytime() * 1000))} (America/Chicago)`,
    'Calling from +1 312-555-0100 (local match)', 'Not called yet']);
  await shot(page, 'rules-03-preview');
  const grace = srv.sql("SELECT id FROM contacts WHERE phone_e164 = '+13125550182'");
  assert.equal(srv.sql(`SELECT reserved_by IS NOT NULL FROM contacts WHERE id = ${grace}`), '1');

  await page.keyboard.press('s');
  await dialog.getByRole('status').filter({ hasText: /^Dialing Alan Turing in \d s$/ }).waitFor(T);
  await preview.filter({ hasText: 'Calling from +1 202-555-0100 (local match)' }).waitFor(T);
  assert.equal(srv.sql(`SELECT skipped_until IS NOT NULL FROM contacts WHERE id = ${grace}`), '1');
  await dialog.getByRole('button', { name: 'Skip' }).click();
  await dialog.getByRole('status').filter({ hasText: 'No one left to call in this list right now.' }).waitFor(T);
  assert.equal(await focusedName(page), 'Close');
  await page.keyboard.press('Enter');
  await waitFor('the dialog closed', async () => !(await page.locator('dialog[open]').count()));
  // Only Ada was dialed.
  assert.equal(callsTo('+13125550182') + callsTo('+12025550183'), 0);
  clean(page);
  await page.context().close();
});

test('Follow up needs a callback time; when due it comes back as a reminder with a Call button', async () => {
  const now = daytime();
  try {
    const password = await newUser(srv, 'callbackop');
    const page = await openPage(browser, srv, { timezoneId: 'UTC' });
    await login(page, srv, 'callbackop', password);
    const table = await upload(page, 'Callbacks', [['Ada Lovelace', 'Analytical Engines', '+1 202 555 0191']]);
    const log = await callAndHangUp(page, 'Ada Lovelace');
    const id = lastCall('+12025550191');
    await page.keyboard.press('5');
    const when = log.getByLabel('Call back at');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'log-callback');
    await log.getByRole('button', { name: 'Save', exact: true }).click();
    await log.getByRole('alert').filter({ hasText: 'Follow up needs a callback time: choose when to call back.' }).waitFor(T);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'log-callback');
    assert.equal((await srv.api('GET', '/api/v1/calls/' + id)).body.call.outcome, null);
    await when.fill(await localInput(page, now - 3600));
    await log.getByRole('button', { name: 'Save', exact: true }).click();
    await log.getByRole('alert').filter({ hasText: 'The callback time must be in the future.' }).waitFor(T);
    await shot(page, 'rules-04-callback-required');

    await when.fill(await localInput(page, now + 1800));
    await log.getByRole('button', { name: 'Save', exact: true }).click();
    await log.waitFor({ state: 'hidden', timeout: 5000 });
    const due = new Date((now + 1800) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    assert.equal((await srv.api('GET', '/api/v1/calls/' + id)).body.call.callback_at, due);
    const hm = due.slice(11, 16);
    const row = table.getByRole('row').filter({ hasText: 'Ada Lovelace' });
    await row.filter({ hasText: 'Follow up' }).filter({ hasText: `Callback at ${hm}` }).waitFor(T);
    assert.equal(await row.getByRole('cell').nth(4).innerText(), '1 of 3');
    assert.equal(await page.getByRole('region', { name: 'Callback reminder' }).count(), 0);

    // An hour on, the callback is due: the reminder shows on the next look.
    srv.setClock(now + 3600);
    await page.reload();
    const banner = page.getByRole('region', { name: 'Callback reminder' });
    await banner.getByText(`Callback due: Ada Lovelace (Analytical Engines) since ${hm}`).waitFor(T);
    await row.filter({ hasText: `Callback due since ${hm}` }).waitFor(T);
    await shot(page, 'rules-05-callback-due');
    await banner.getByRole('button', { name: 'Dismiss the callback reminder for Ada Lovelace' }).click();
    await banner.waitFor({ state: 'hidden', timeout: 5000 });
    await page.reload();
    await banner.getByRole('button', { name: 'Call Ada Lovelace' }).click();
    const dialog = page.getByRole('dialog', { name: 'Call with Ada Lovelace' });
    await dialog.getByRole('status').filter({ hasText: 'Connected' }).waitFor(T);
    await page.keyboard.press('x');
    await page.getByRole('dialog', { name: 'Log call with Ada Lovelace' }).waitFor(T);
    await page.keyboard.press('1');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    // Logged: the callback is done, the reminder gone.
    await banner.waitFor({ state: 'hidden', timeout: 5000 });
    await row.filter({ hasText: '2 of 3' }).filter({ hasText: 'Connected' }).waitFor(T);
    clean(page);
    await page.context().close();
  } finally {
    srv.setClock(now);
  }
});

test('a recorded call has a player in its history; the dialing rules panel says what applies', async () => {
  const password = await newUser(srv, 'recop');
  const page = await openPage(browser, srv);
  await login(page, srv, 'recop', password);
  await upload(page, 'Recorded', [['Ada Lovelace', 'Analytical Engines', '+1 202 555 0195']]);
  await page.getByText('Dialing rules').click();
  const rules = page.locator('#settings-list');
  await rules.getByText('08:00-21:00 in each contact\'s local time').waitFor(T);
  await rules.getByText('+1 202-555-0100, +1 312-555-0100').waitFor(T);
  await rules.getByText(/^On \(consent: /).waitFor(T);
  await rules.getByText('At most 3 per contact').waitFor(T);

  const log = await callAndHangUp(page, 'Ada Lovelace');
  const id = lastCall('+12025550195');
  await page.keyboard.press('1');
  await log.getByRole('button', { name: 'Save', exact: true }).click();
  await log.waitFor({ state: 'hidden', timeout: 5000 });
  await waitFor('the recording', async () => (await srv.api('GET', '/api/v1/calls/' + id)).body.call.has_recording);
  await page.getByRole('button', { name: 'History for Ada Lovelace' }).click();
  const hist = page.getByRole('dialog', { name: 'Call history for Ada Lovelace' });
  const audio = hist.locator('audio');
  await audio.waitFor(T);
  assert.equal(await audio.getAttribute('src'), `/api/v1/calls/${id}/recording`);
  assert.equal(await audio.getAttribute('preload'), 'none');
  assert.equal(await audio.evaluate((a) => a.controls), true);
  assert.match(await audio.getAttribute('aria-label'), /^Recording of the call of /);
  // The player's source is served to this operator, as audio.
  const got = await page.evaluate(async (src) => {
    const r = await fetch(src);
    return [r.status, r.headers.get('content-type')];
  }, `/api/v1/calls/${id}/recording`);
  assert.equal(got[0], 200);
  assert.match(got[1], /^audio\//);
  await shot(page, 'rules-06-recording');
  await hist.getByRole('button', { name: 'Close' }).click();
  clean(page);
  await page.context().close();
});

test('admin: the do-not-call list — add, already listed, a bad number, import with rows named, search, remove, export; the contacts follow', async () => {
  const page = await openPage(browser, srv);
  await login(page, srv, 'admin', srv.adminPassword);
  const table = await upload(page, 'DNC admin', [
    ['Ada Lovelace', 'Analytical Engines', '+1 202 555 0151'],
    ['Grace Hopper', 'Acme Compilers', '+1 202 555 0152'],
  ]);
  const panel = page.getByRole('region', { name: 'Do-not-call list' });
  const numbers = panel.getByRole('table', { name: 'Do-not-call numbers' });
  await panel.getByRole('textbox', { name: 'Phone number' }).fill('(202) 555-0151');
  await panel.getByRole('textbox', { name: 'Reason' }).fill('Asked on the phone');
  await panel.getByRole('button', { name: 'Add to the list' }).click();
  await panel.getByRole('status').filter({ hasText: 'Added +1 202-555-0151 to the do-not-call list.' }).waitFor(T);
  const entry = numbers.getByRole('row').filter({ hasText: '+1 202-555-0151' });
  await entry.filter({ hasText: 'Asked on the phone' }).filter({ hasText: 'Added by hand' }).filter({ hasText: 'admin' }).waitFor(T);
  const ada = table.getByRole('row').filter({ hasText: 'Ada Lovelace' });
  await ada.getByText('Do not call', { exact: true }).waitFor(T);

  await panel.getByRole('textbox', { name: 'Phone number' }).fill('+12025550151');
  await panel.getByRole('button', { name: 'Add to the list' }).click();
  await panel.getByRole('status').filter({ hasText: /^\+1 202-555-0151 was already on the do-not-call list/ }).waitFor(T);
  await panel.getByRole('textbox', { name: 'Phone number' }).fill('12345');
  await panel.getByRole('button', { name: 'Add to the list' }).click();
  await panel.getByRole('alert').filter({ hasText: /^Could not add the number: ./ }).waitFor(T);

  const csv = join(files, 'dnc.csv');
  writeFileSync(csv, 'phone,reason\r\n+1 202 555 0152,moved away\r\nnot a number,x\r\n+1 202 555 0151,again\r\n');
  await panel.getByLabel('CSV of numbers').setInputFiles(csv);
  await panel.getByRole('button', { name: 'Import' }).click();
  await panel.getByRole('status').filter({ hasText: 'Added 1 number, 1 already listed, 1 row with problems' }).waitFor(T);
  const report = panel.getByRole('table', { name: 'Do-not-call import errors' });
  assert.equal(await report.getByRole('row').count(), 2);
  assert.equal(await report.getByRole('row').nth(1).getByRole('cell').first().innerText(), '3');
  await table.getByRole('row').filter({ hasText: 'Grace Hopper' }).getByText('Do not call', { exact: true }).waitFor(T);
  await shot(page, 'rules-07-dnc-admin');

  await panel.getByRole('searchbox', { name: 'Search the do-not-call list' }).fill('0152');
  await waitFor('the search', async () => (await numbers.getByRole('row').count()) === 2
    && (await numbers.getByRole('row').filter({ hasText: 'moved away' }).count()) === 1);
  await panel.getByRole('searchbox', { name: 'Search the do-not-call list' }).fill('');
  await panel.getByRole('button', { name: 'Remove +1 202-555-0151 from the do-not-call list' }).click();
  await panel.getByRole('status').filter({ hasText: 'Removed +1 202-555-0151 from the do-not-call list.' }).waitFor(T);
  await entry.waitFor({ state: 'detached', timeout: 5000 });
  await waitFor('Ada off the list', async () => (await ada.getByText('Do not call', { exact: true }).count()) === 0);
  assert.equal(srv.sql("SELECT COUNT(*) FROM dnc WHERE phone_e164 = '+12025550151'"), '0');

  assert.equal(await panel.getByRole('link', { name: 'Export the list (CSV)' }).getAttribute('href'), '/api/v1/dnc.csv');
  const exported = await page.evaluate(async () => {
    const r = await fetch('/api/v1/dnc.csv');
    return [r.status, r.headers.get('content-type'), await r.text()];
  });
  assert.equal(exported[0], 200);
  assert.match(exported[1], /^text\/csv/);
  assert.match(exported[2], /\+12025550152,moved away/);
  assert.doesNotMatch(exported[2], /\+12025550151/);
  clean(page, { allow: [422] });
  await page.context().close();
});
