// After the call: outcome (Follow up asks when to call back), notes, Save,
// Save & next. Save & next asks the server for the next contact of the list
// (POST /api/v1/lists/{id}/next, reserved for this operator), previews who
// it is, their local time and the caller ID, and dials after a cancellable
// countdown; Skip (s) releases that one and shows the following.

import { post } from './api.js';
import { serverNow } from './clock.js';
import { OUTCOMES, mss, callDuration as duration, callerIdWords, timeInZone } from './words.js';

const $ = (id) => document.getElementById(id);
const COUNTDOWN_S = 5;
const CALLBACK_MAX_DAYS = 366;

const REASON_WORDS = {
  callback: 'A callback that is due',
  new: 'Not called yet',
  retry: 'A retry that is due',
};

// "2026-11-25T09:30" in this browser's zone, the form a datetime-local takes.
function localInput(ms) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function createCallLog({ onSaved, onClose, onDialNext, listFor }) {
  const els = {
    form: $('log-form'),
    outcomes: $('log-outcomes'),
    cbField: $('log-callback-field'),
    callback: $('log-callback'),
    notes: $('log-notes'),
    duration: $('log-duration'),
    error: $('log-error'),
    save: $('log-save'),
    saveNext: $('log-save-next'),
    discard: $('log-discard'),
    nextPanel: $('next-panel'),
    nextStatus: $('next-status'),
    preview: $('next-preview'),
    nextName: $('next-name'),
    nextCompany: $('next-company'),
    nextLocal: $('next-local'),
    nextFrom: $('next-from'),
    nextWhy: $('next-why'),
    nextSkip: $('next-skip'),
    nextCancel: $('next-cancel'),
    nextClose: $('next-close'),
    callPanel: $('call-panel'),
  };
  let call = null;
  let contact = null;
  let outcome = null;
  let saving = false;
  let countdown = null; // {timer, left, next}
  let asking = 0;       // a /next answer awaited; bumped to forget it
  let waiting = false;

  const buttons = OUTCOMES.map(([value, label], i) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'outcome';
    b.textContent = label;
    b.dataset.value = value;
    b.dataset.key = String(i + 1);
    b.setAttribute('aria-pressed', 'false');
    b.setAttribute('aria-keyshortcuts', String(i + 1));
    b.addEventListener('click', () => choose(value, true));
    els.outcomes.appendChild(b);
    return b;
  });

  // by: the operator picked it (click or key), so the callback time, when
  // Follow up needs one, is where the focus goes next.
  function choose(value, by = false) {
    outcome = value;
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.value === value));
    els.error.textContent = '';
    const follow = value === 'follow_up';
    els.cbField.hidden = !follow;
    if (follow) {
      els.callback.min = localInput(serverNow());
      if (by) els.callback.focus();
    }
  }

  function stopCountdown() {
    if (countdown) clearInterval(countdown.timer);
    countdown = null;
  }

  // mode: 'wait' (asking the server), 'count' (a contact previewed, the
  // countdown running) or 'done' (nothing more to do but close).
  function showNextPanel(text, mode) {
    els.form.hidden = true;
    els.callPanel.hidden = true;
    els.nextPanel.hidden = false;
    els.nextStatus.textContent = text;
    els.preview.hidden = mode !== 'count';
    els.nextSkip.hidden = mode !== 'count';
    els.nextCancel.hidden = mode === 'done';
    els.nextClose.hidden = mode !== 'done';
    const to = mode === 'done' ? els.nextClose : els.nextCancel;
    if (document.activeElement !== to) to.focus();
  }

  function renderPreview(r) {
    const c = r.contact;
    els.nextName.textContent = c.name || '';
    els.nextCompany.textContent = c.company || '—';
    const zone = r.zone || c.timezone || '';
    const local = r.local_time || timeInZone(zone, serverNow());
    els.nextLocal.textContent = local ? `${local}${zone ? ` (${zone})` : ''}` : 'Not known';
    els.nextFrom.textContent = callerIdWords(r.caller_id, r.caller_id_match) || 'The provider\'s own number';
    els.nextWhy.textContent = REASON_WORDS[r.reason] || '';
  }

  function tick() {
    if (!countdown) return;
    countdown.left -= 1;
    if (countdown.left <= 0) {
      const n = countdown.next;
      stopCountdown();
      onDialNext(n);
      return;
    }
    els.nextStatus.textContent = `Dialing ${countdown.next.name} in ${countdown.left} s`;
  }

  // Ask for the next contact (skip: the one shown, released for others later).
  async function next(skip) {
    stopCountdown();
    const my = ++asking;
    waiting = true;
    const listId = listFor(contact);
    if (!listId) {
      waiting = false;
      showNextPanel('Saved. This contact is in no list to carry on with.', 'done');
      return;
    }
    showNextPanel(skip ? `Skipped ${skip.name}. Finding the next contact…` : 'Saved. Finding the next contact…', 'wait');
    let r;
    try {
      r = await post(`/api/v1/lists/${encodeURIComponent(listId)}/next`, skip ? { skip: skip.id } : {});
    } catch (err) {
      if (my !== asking) return;
      waiting = false;
      if (err.status !== 401) showNextPanel(`Could not find the next contact: ${err.message}`, 'done');
      return;
    }
    if (my !== asking) return;
    waiting = false;
    if (!r || !r.contact) {
      showNextPanel('No one left to call in this list right now.', 'done');
      return;
    }
    renderPreview(r);
    countdown = { left: COUNTDOWN_S, next: r.contact, timer: setInterval(tick, 1000) };
    showNextPanel(`Dialing ${r.contact.name} in ${COUNTDOWN_S} s`, 'count');
  }

  function skip() {
    if (!countdown) return;
    next(countdown.next);
  }

  // The callback time as the server wants it (ISO, UTC), or an error shown.
  function callbackAt() {
    const v = els.callback.value;
    const fail = (text) => {
      els.error.textContent = text;
      els.callback.focus();
      return null;
    };
    if (!v) return fail('Follow up needs a callback time: choose when to call back.');
    const t = new Date(v).getTime();
    if (!Number.isFinite(t)) return fail('The callback time is not a date and time.');
    const now = serverNow();
    if (t <= now) return fail('The callback time must be in the future.');
    if (t > now + CALLBACK_MAX_DAYS * 86400000) return fail(`The callback time must be within ${CALLBACK_MAX_DAYS} days.`);
    return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  async function save(thenNext) {
    if (saving || !call) return;
    if (!outcome) {
      els.error.textContent = `Choose an outcome first (keys 1–${OUTCOMES.length}).`;
      buttons[0].focus();
      return;
    }
    const notes = els.notes.value;
    if (notes.length > 4000) {
      els.error.textContent = 'Notes can be at most 4,000 characters.';
      els.notes.focus();
      return;
    }
    const body = { outcome, notes };
    if (outcome === 'follow_up') {
      const at = callbackAt();
      if (!at) return;
      body.callback_at = at;
    }
    saving = true;
    els.save.disabled = true;
    els.saveNext.disabled = true;
    els.error.textContent = '';
    try {
      await post(`/api/v1/calls/${call.id}/log`, body);
      onSaved();
      if (thenNext) next(null); else onClose();
    } catch (err) {
      if (err.status !== 401) els.error.textContent = `Could not save: ${err.message}`;
    } finally {
      saving = false;
      els.save.disabled = false;
      els.saveNext.disabled = false;
    }
  }

  function forgetNext() {
    stopCountdown();
    asking += 1;
    waiting = false;
  }

  els.form.addEventListener('submit', (e) => { e.preventDefault(); save(false); });
  els.saveNext.addEventListener('click', () => save(true));
  els.discard.addEventListener('click', () => onClose());
  els.nextSkip.addEventListener('click', () => skip());
  els.nextCancel.addEventListener('click', () => { forgetNext(); onClose(); });
  els.nextClose.addEventListener('click', () => onClose());

  return {
    // Show the form for a call that has ended.
    show(c, who) {
      forgetNext();
      call = c;
      contact = who;
      outcome = null;
      for (const b of buttons) b.setAttribute('aria-pressed', 'false');
      els.callback.value = '';
      els.cbField.hidden = true;
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
      forgetNext();
      els.form.hidden = true;
      els.nextPanel.hidden = true;
      els.callPanel.hidden = false;
      call = null;
    },
    focusFirst() { (buttons.find((b) => b.getAttribute('aria-pressed') === 'true') || buttons[0]).focus(); },
    formShown: () => !els.form.hidden,
    // What the operator has entered so far (kept across a session expiry).
    draft: () => ({ outcome, notes: els.notes.value, callback: els.callback.value }),
    restore(d) {
      if (!d) return;
      if (d.outcome) choose(d.outcome);
      if (d.notes) els.notes.value = d.notes;
      if (d.callback) els.callback.value = d.callback;
    },
    // The countdown, or the question before it, is under way.
    counting: () => countdown !== null || waiting,
    cancelCountdown() { forgetNext(); },
    // Keys 1-8 and n while the form is shown; s while a contact is previewed.
    key(k) {
      if (!els.nextPanel.hidden) {
        if (k === 's' && countdown) { skip(); return true; }
        return false;
      }
      if (els.form.hidden) return false;
      const i = Number(k);
      if (k.length === 1 && i >= 1 && i <= OUTCOMES.length) { choose(OUTCOMES[i - 1][0], true); return true; }
      if (k === 'n') { save(true); return true; }
      return false;
    },
  };
}
