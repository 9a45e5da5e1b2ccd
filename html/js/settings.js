// The dialing rules as the server applies them (GET /api/v1/settings),
// read-only, in a small collapsible panel; and the "test clock" label when
// the server judges by a test clock instead of the real time.

import { get } from './api.js';
import { noteServerNow } from './clock.js';
import { outcomeWords, phoneWords, secondsWords } from './words.js';

const $ = (id) => document.getElementById(id);

const utcFmt = new Intl.DateTimeFormat(undefined, {
  weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC',
});

export function createSettings() {
  const els = {
    panel: $('settings'),
    list: $('settings-list'),
    error: $('settings-error'),
    testClock: $('test-clock'),
  };
  let current = null;

  function row(frag, term, text) {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = text;
    frag.append(dt, dd);
  }

  function render(st) {
    const frag = document.createDocumentFragment();
    const hours = st.calling_hours || {};
    row(frag, 'Calling hours', hours.window ? `${hours.window} in each contact's local time` : 'Any time');
    for (const r of hours.rules || []) {
      const where = Array.isArray(r.match) ? r.match.join(', ') : String(r.match || '');
      row(frag, `Hours for ${where}`, r.window || '');
    }
    if (hours.unknown_zone) row(frag, 'Zone when unknown', hours.unknown_zone);
    const retry = st.retry || {};
    const again = (retry.retry_outcomes || []).map(outcomeWords).join(' and ');
    if (again) row(frag, 'Retries', `${again} come back after ${secondsWords(retry.delay_s)}`);
    if (retry.max_attempts) row(frag, 'Attempts', `At most ${retry.max_attempts} per contact`);
    const final = (retry.final_outcomes || []).map(outcomeWords).join(', ');
    if (final) row(frag, 'Final outcomes', final);
    if (st.lead_reservation_s) row(frag, 'Reservation', `${secondsWords(st.lead_reservation_s)} per contact handed out`);
    if (st.skip_delay_s) row(frag, 'Skipped contacts', `Offered to nobody for ${secondsWords(st.skip_delay_s)}`);
    const ids = (st.caller_ids || []).map(phoneWords);
    row(frag, 'Caller IDs', ids.length ? ids.join(', ') : 'The provider\'s own number');
    const rec = st.recording || {};
    row(frag, 'Recording', rec.enabled
      ? `On (consent: ${rec.consent === 'audio' ? 'a recorded announcement' : 'a spoken announcement'})`
      : 'Off');
    els.list.replaceChildren(frag);
    els.testClock.hidden = !st.test_clock;
    const t = Date.parse(st.now || '');
    els.testClock.textContent = st.test_clock
      ? `Test clock${Number.isFinite(t) ? `: ${utcFmt.format(new Date(t))} UTC` : ''}`
      : '';
  }

  return {
    async load() {
      els.error.textContent = '';
      try {
        const st = await get('/api/v1/settings');
        current = st || {};
        noteServerNow(current.now);
        render(current);
      } catch (err) {
        if (err.status !== 401) els.error.textContent = `Could not load the dialing rules: ${err.message}`;
      }
    },
    maxAttempts: () => (current && current.retry && Number(current.retry.max_attempts)) || 0,
    clear() {
      current = null;
      els.list.replaceChildren();
      els.testClock.hidden = true;
      els.panel.open = false;
    },
  };
}
