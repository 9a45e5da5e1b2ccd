// A contact's call history, newest first, in a dialog, with a player for
// each recorded call.

import { get } from './api.js';
import { openModal, closeModal } from './modal.js';
import { statusWords, outcomeWords, mss, when, callDuration } from './words.js';

const $ = (id) => document.getElementById(id);

// The recording, streamed from our server only when played (preload none:
// opening the history fetches no audio).
function recordingCell(c, at) {
  const td = document.createElement('td');
  td.className = 'recording';
  if (!c.has_recording) {
    td.textContent = '—';
    return td;
  }
  const audio = document.createElement('audio');
  audio.controls = true;
  audio.preload = 'none';
  audio.src = `/api/v1/calls/${encodeURIComponent(c.id)}/recording`;
  audio.setAttribute('aria-label', `Recording of the call of ${at}`);
  td.appendChild(audio);
  const secs = Number(c.recording_duration_s);
  if (c.recording_duration_s !== null && c.recording_duration_s !== undefined && Number.isFinite(secs)) {
    const len = document.createElement('span');
    len.className = 'small muted';
    len.textContent = ` ${mss(secs)}`;
    td.appendChild(len);
  }
  return td;
}

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
        const at = when(c.dialed_at || c.created_at);
        const cells = [at, statusWords(c), dur, outcomeWords(c.outcome) || '—', c.notes || ''];
        cells.forEach((v, i) => {
          const td = document.createElement('td');
          td.textContent = v;
          if (i === 4) td.className = 'notes';
          tr.appendChild(td);
        });
        tr.appendChild(recordingCell(c, at));
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
