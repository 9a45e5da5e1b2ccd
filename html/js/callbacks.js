// The callback reminder: GET /api/v1/callbacks?due=1 every minute and after
// each logged call; the first due one the operator has not dismissed shows
// in a banner with a Call button. Dismissed callbacks stay dismissed until
// their time changes.

import { get } from './api.js';
import { noteServerNow, serverNow } from './clock.js';
import { clockTime } from './words.js';

const $ = (id) => document.getElementById(id);
const POLL_MS = 60000;

// onCall(contact, button, onRefused)
export function createCallbacks({ onCall }) {
  const els = {
    banner: $('callback-banner'),
    text: $('callback-text'),
    call: $('callback-call'),
    dismiss: $('callback-dismiss'),
    error: $('callback-error'),
  };
  const dismissed = new Set();
  let due = [];
  let shown = null;
  let timer = 0;
  let seq = 0;

  const keyOf = (item) => `${item.contact.id}@${item.callback_at}`;

  function render(now) {
    const open = due.filter((i) => !dismissed.has(keyOf(i)));
    const item = open[0] || null;
    const same = shown && item && keyOf(shown) === keyOf(item);
    shown = item;
    if (!item) {
      els.banner.hidden = true;
      els.error.textContent = '';
      return;
    }
    if (!same) els.error.textContent = '';
    const c = item.contact;
    const who = c.company ? `${c.name} (${c.company})` : c.name;
    const more = open.length > 1 ? `, and ${open.length - 1} more` : '';
    els.text.textContent = `Callback due: ${who} since ${clockTime(item.callback_at, now)}${more}`;
    els.call.setAttribute('aria-label', `Call ${c.name}`);
    els.dismiss.setAttribute('aria-label', `Dismiss the callback reminder for ${c.name}`);
    els.banner.hidden = false;
  }

  async function refresh() {
    const my = ++seq;
    try {
      const data = await get('/api/v1/callbacks?due=1');
      if (my !== seq) return;
      noteServerNow(data.now);
      due = (data.items || []).filter((i) => i && i.contact);
      render(serverNow());
    } catch (err) {
      // A missed poll is retried by the next one; the banner keeps what it had.
      if (my !== seq || err.status === 401) return;
    }
  }

  els.call.addEventListener('click', () => {
    if (!shown) return;
    els.error.textContent = '';
    onCall(shown.contact, els.call, (_c, words) => { els.error.textContent = words; });
  });
  els.dismiss.addEventListener('click', () => {
    if (!shown) return;
    dismissed.add(keyOf(shown));
    render(serverNow());
    if (els.banner.hidden) document.getElementById('contacts-heading')?.focus();
    else els.call.focus();
  });

  return {
    start() {
      clearInterval(timer);
      timer = setInterval(refresh, POLL_MS);
      return refresh();
    },
    refresh,
    stop() {
      clearInterval(timer);
      timer = 0;
      seq += 1;
      due = [];
      shown = null;
      dismissed.clear();
      els.banner.hidden = true;
    },
  };
}
