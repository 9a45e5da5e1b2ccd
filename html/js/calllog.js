// After the call: outcome, notes, Save, Save & next with a cancellable
// countdown that dials the next contact not yet called in the list.

import { get, post, query } from './api.js';
import { OUTCOMES, mss, callDuration as duration } from './words.js';

const $ = (id) => document.getElementById(id);
const COUNTDOWN_S = 5;

export function createCallLog({ onSaved, onClose, onDialNext, listFor }) {
  const els = {
    form: $('log-form'),
    outcomes: $('log-outcomes'),
    notes: $('log-notes'),
    duration: $('log-duration'),
    error: $('log-error'),
    save: $('log-save'),
    saveNext: $('log-save-next'),
    discard: $('log-discard'),
    nextPanel: $('next-panel'),
    nextStatus: $('next-status'),
    nextCancel: $('next-cancel'),
    nextClose: $('next-close'),
    callPanel: $('call-panel'),
  };
  let call = null;
  let contact = null;
  let outcome = null;
  let saving = false;
  let countdown = null; // {timer, left, next}

  const buttons = OUTCOMES.map(([value, label], i) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'outcome';
    b.textContent = label;
    b.dataset.value = value;
    b.dataset.key = String(i + 1);
    b.setAttribute('aria-pressed', 'false');
    b.setAttribute('aria-keyshortcuts', String(i + 1));
    b.addEventListener('click', () => choose(value));
    els.outcomes.appendChild(b);
    return b;
  });

  function choose(value) {
    outcome = value;
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.value === value));
    els.error.textContent = '';
  }

  function stopCountdown() {
    if (countdown) clearInterval(countdown.timer);
    countdown = null;
  }

  function showNextPanel(text, counting) {
    els.form.hidden = true;
    els.callPanel.hidden = true;
    els.nextPanel.hidden = false;
    els.nextStatus.textContent = text;
    els.nextCancel.hidden = !counting;
    els.nextClose.hidden = counting;
    (counting ? els.nextCancel : els.nextClose).focus();
  }

  async function findNext() {
    const listId = listFor(contact);
    const data = await get(`/api/v1/contacts${query({ list_id: listId, status: 'not_called', page: 1, per_page: 5 })}`);
    return (data.items || []).find((c) => String(c.id) !== String(contact.id)) || null;
  }

  async function save(next) {
    if (saving || !call) return;
    if (!outcome) {
      els.error.textContent = 'Choose an outcome first (keys 1–7).';
      buttons[0].focus();
      return;
    }
    const notes = els.notes.value;
    if (notes.length > 4000) {
      els.error.textContent = 'Notes can be at most 4,000 characters.';
      els.notes.focus();
      return;
    }
    saving = true;
    els.save.disabled = true;
    els.saveNext.disabled = true;
    els.error.textContent = '';
    try {
      await post(`/api/v1/calls/${call.id}/log`, { outcome, notes });
      onSaved();
      if (!next) {
        onClose();
        return;
      }
      let nextContact = null;
      try {
        nextContact = await findNext();
      } catch (err) {
        if (err.status === 401) return;
        showNextPanel(`Saved. Could not find the next contact: ${err.message}`, false);
        return;
      }
      if (!nextContact) {
        showNextPanel('No contacts left to call in this list', false);
        return;
      }
      countdown = { left: COUNTDOWN_S, next: nextContact, timer: 0 };
      showNextPanel(`Dialing ${nextContact.name} in ${COUNTDOWN_S} s`, true);
      countdown.timer = setInterval(() => {
        if (!countdown) return;
        countdown.left -= 1;
        if (countdown.left <= 0) {
          const n = countdown.next;
          stopCountdown();
          onDialNext(n);
          return;
        }
        els.nextStatus.textContent = `Dialing ${countdown.next.name} in ${countdown.left} s`;
      }, 1000);
    } catch (err) {
      if (err.status !== 401) els.error.textContent = `Could not save: ${err.message}`;
    } finally {
      saving = false;
      els.save.disabled = false;
      els.saveNext.disabled = false;
    }
  }

  els.form.addEventListener('submit', (e) => { e.preventDefault(); save(false); });
  els.saveNext.addEventListener('click', () => save(true));
  els.discard.addEventListener('click', () => onClose());
  els.nextCancel.addEventListener('click', () => { stopCountdown(); onClose(); });
  els.nextClose.addEventListener('click', () => onClose());

  return {
    // Show the form for a call that has ended.
    show(c, who) {
      stopCountdown();
      call = c;
      contact = who;
      outcome = null;
      for (const b of buttons) b.setAttribute('aria-pressed', 'false');
      if (c.status === 'busy') choose('busy');
      else if (c.status === 'no-answer') choose('no_answer');
      els.notes.value = '';
      els.error.textContent = '';
      els.nextPanel.hidden = true;
      els.callPanel.hidden = false;
      els.form.hidden = false;
      this.setDuration(duration(c));
    },
    setDuration(s) {
      const known = s !== null && s !== undefined && s !== '' && !Number.isNaN(Number(s));
      els.duration.hidden = !known;
      els.duration.textContent = known ? `Duration ${mss(Number(s))}` : '';
    },
    update(c) {
      if (call && c && c.id === call.id) { call = c; this.setDuration(duration(c)); }
    },
    hide() {
      stopCountdown();
      els.form.hidden = true;
      els.nextPanel.hidden = true;
      els.callPanel.hidden = false;
      call = null;
    },
    focusFirst() { (buttons.find((b) => b.getAttribute('aria-pressed') === 'true') || buttons[0]).focus(); },
    formShown: () => !els.form.hidden,
    // What the operator has entered so far (kept across a session expiry).
    draft: () => ({ outcome, notes: els.notes.value }),
    restore(d) {
      if (!d) return;
      if (d.outcome) choose(d.outcome);
      if (d.notes) els.notes.value = d.notes;
    },
    counting: () => countdown !== null,
    cancelCountdown() { stopCountdown(); },
    // Keys 1-7 and n while the form is shown.
    key(k) {
      if (els.form.hidden) return false;
      if (k >= '1' && k <= '7') { choose(OUTCOMES[Number(k) - 1][0]); return true; }
      if (k === 'n') { save(true); return true; }
      return false;
    },
  };
}
