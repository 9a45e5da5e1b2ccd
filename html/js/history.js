// A contact's call history, newest first, in a dialog.

import { get } from './api.js';
import { openModal, closeModal } from './modal.js';
import { statusWords, outcomeWords, mss, when, callDuration } from './words.js';

const $ = (id) => document.getElementById(id);

export function createHistory() {
  const els = {
    dialog: $('history-dialog'),
    title: $('history-title'),
    status: $('history-status'),
    error: $('history-error'),
    table: $('history-table'),
    tbody: $('history-table').tBodies[0],
    close: $('history-close'),
  };
  let seq = 0;

  els.close.addEventListener('click', () => closeModal(els.dialog));

  async function show(contact, button) {
    const my = ++seq;
    els.title.textContent = `Call history for ${contact.name}`;
    els.status.textContent = 'Loading…';
    els.error.textContent = '';
    els.table.hidden = true;
    els.tbody.replaceChildren();
    openModal(els.dialog, { returnTo: button || document.activeElement, focus: els.close });
    try {
      const data = await get(`/api/v1/calls?contact_id=${encodeURIComponent(contact.id)}&per_page=100`);
      if (my !== seq) return;
      const items = data.items || [];
      if (!items.length) {
        els.status.textContent = 'No calls yet.';
        return;
      }
      const frag = document.createDocumentFragment();
      for (const c of items) {
        const tr = document.createElement('tr');
        const d = callDuration(c);
        const dur = d === null ? '—' : mss(d);
        const cells = [when(c.dialed_at || c.created_at), statusWords(c), dur, outcomeWords(c.outcome) || '—', c.notes || ''];
        cells.forEach((v, i) => {
          const td = document.createElement('td');
          td.textContent = v;
          if (i === 4) td.className = 'notes';
          tr.appendChild(td);
        });
        frag.appendChild(tr);
      }
      els.tbody.replaceChildren(frag);
      els.table.hidden = false;
      els.status.textContent = `${items.length} call${items.length === 1 ? '' : 's'}, newest first`;
    } catch (err) {
      if (my !== seq || err.status === 401) return;
      els.status.textContent = '';
      els.error.textContent = `Could not load the history: ${err.message}`;
    }
  }

  return { show, isOpen: () => els.dialog.open, close: () => closeModal(els.dialog) };
}
