// The call dialog: create the call, join it through the voice adapter, poll
// its status every second until it is final, controls, timer, level meter,
// audio devices, the caller ID it goes out from; then hand over to the call
// log. A dial from the page is asked for first and the dialog opens only for
// a call the server placed: a refusal (do-not-call, calling hours, another
// operator's contact) is said where the operator clicked.

import { get, post, randomKey } from './api.js';
import { createVoice } from './voice.js';
import { createCallLog } from './calllog.js';
import { openModal, closeModal, setEscape, setReturnTo } from './modal.js';
import { serverNow } from './clock.js';
import { FINAL, statusWords, mmss, WARNING_WORDS, callerIdWords, refusalWords } from './words.js';

const $ = (id) => document.getElementById(id);
const POLL_MS = 1000;

export function createDialer({ contacts, onSaved }) {
  const els = {
    dialog: $('call-dialog'),
    title: $('call-title'),
    sub: $('call-sub'),
    from: $('call-from'),
    sim: $('call-sim'),
    panel: $('call-panel'),
    status: $('call-status'),
    timer: $('call-timer'),
    quality: $('call-quality'),
    flags: $('call-flags'),
    error: $('call-error'),
    note: $('call-note'),
    controls: $('call-controls'),
    meter: $('mic-meter'),
    meterBar: $('mic-meter-bar'),
    micField: $('mic-select-field'),
    mic: $('mic-select'),
    spkField: $('speaker-select-field'),
    spk: $('speaker-select'),
    mute: $('call-mute'),
    hold: $('call-hold'),
    hangup: $('call-hangup'),
    closebar: $('call-closebar'),
    close: $('call-close'),
  };

  // One call at a time.
  let s = null; // {contact, call, voice, phase, muted, held, pollTimer, ...}
  let gen = 0;
  let asking = false; // a dial from the page waiting for the server's answer

  const log = createCallLog({
    onSaved,
    onClose: () => close(),
    onDialNext: (next) => dial(next, null),
    listFor: (c) => (c && c.list_id) || contacts.currentListId() || '',
  });

  // --- rendering ------------------------------------------------------
  function setStatus(text) {
    if (els.status.textContent !== text) els.status.textContent = text;
  }

  // The bar follows every sample; the meter's value (what assistive tech and
  // tests read) is the peak over each quarter second.
  let lastAria = 0;
  let peak = 0;
  function setLevel(v, force = false) {
    const pct = Math.round(Math.max(0, Math.min(1, v)) * 100);
    els.meterBar.style.width = `${pct}%`;
    peak = Math.max(peak, pct);
    const now = performance.now();
    if (force || now - lastAria >= 250) {
      const shown = force ? pct : peak;
      lastAria = now;
      peak = 0;
      els.meter.setAttribute('aria-valuenow', String(shown));
      els.meter.setAttribute('aria-valuetext', `${shown}%`);
    }
  }

  function renderQuality() {
    if (!s || !s.warnings.size) {
      els.quality.hidden = true;
      els.quality.textContent = '';
      return;
    }
    const words = Array.from(new Set(Array.from(s.warnings, (w) => WARNING_WORDS[w] || w.replace(/-/g, ' '))));
    const icon = document.createElement('span');
    icon.setAttribute('aria-hidden', 'true');
    icon.textContent = '⚠ ';
    els.quality.replaceChildren(icon, `Call quality: ${words.join(', ')}`);
    els.quality.hidden = false;
  }

  // Muted / on hold in words beside the status: the pressed buttons are not
  // the only sign.
  function renderFlags() {
    const c = s && s.phase === 'live' && s.call;
    const f = [];
    if (c && s.muted) f.push('You are muted');
    if (c && s.held) f.push('On hold');
    if (c && c.contact_muted) f.push('Contact muted');
    const t = f.join(' · ');
    if (els.flags.textContent !== t) els.flags.textContent = t;
  }

  function fillSelect(field, select, list, current) {
    if (!list || !list.length) { field.hidden = true; return; }
    const frag = document.createDocumentFragment();
    for (const d of list) {
      const o = document.createElement('option');
      o.value = d.id;
      o.textContent = d.label;
      frag.appendChild(o);
    }
    select.replaceChildren(frag);
    if (current && list.some((d) => d.id === current)) select.value = current;
    field.hidden = false;
  }

  function setToggles() {
    const live = s && s.phase === 'live' && s.call && s.call.status === 'in-progress';
    els.mute.disabled = !live || s.busy;
    els.hold.disabled = !live || s.busy;
    els.mute.setAttribute('aria-pressed', String(!!(s && s.muted)));
    els.hold.setAttribute('aria-pressed', String(!!(s && s.held)));
    renderFlags();
  }

  function startTimer() {
    if (s.timerStart) return;
    s.timerStart = performance.now();
    els.timer.textContent = '00:00';
    els.timer.hidden = false;
    s.timerIv = setInterval(() => {
      const t = mmss((performance.now() - s.timerStart) / 1000);
      if (els.timer.textContent !== t) els.timer.textContent = t;
    }, 250);
  }

  function stopTimer(x) {
    if (x.timerIv) clearInterval(x.timerIv);
    x.timerIv = 0;
  }

  // --- the call -------------------------------------------------------
  // Only the answer to POST /api/v1/calls says why that caller ID was
  // chosen (the call row keeps the number, not the reason): kept from it.
  function showFrom(call) {
    if (call.caller_id_match) s.match = call.caller_id_match;
    const t = callerIdWords(call.from_phone, s.match);
    els.from.hidden = !t;
    if (els.from.textContent !== t) els.from.textContent = t;
  }

  function update(call) {
    if (!s || !call || (s.call && call.id !== s.call.id)) return;
    s.call = call;
    showFrom(call);
    if (s.phase !== 'live') { log.update(call); return; }
    // The server keeps the controls' state: a second tab or a reload agrees.
    if (!s.busy && typeof call.operator_muted === 'boolean') {
      s.muted = call.operator_muted;
      s.held = call.on_hold;
    }
    setStatus(s.ending && !FINAL.has(call.status) ? 'Hanging up…' : statusWords(call));
    if (call.status === 'in-progress') { s.answered = true; startTimer(); }
    setToggles();
    if (FINAL.has(call.status)) finish();
  }

  function schedulePoll(delay = POLL_MS) {
    if (!s || s.phase !== 'live') return;
    clearTimeout(s.pollTimer);
    const my = s;
    my.pollTimer = setTimeout(async () => {
      if (s !== my || my.phase !== 'live') return;
      try {
        const r = await get(`/api/v1/calls/${my.call.id}`);
        if (s === my) update(r.call);
      } catch (err) {
        if (err.status === 401) return;
        if (err.status === 404) { els.error.textContent = 'This call no longer exists.'; return; }
        // Transient: keep polling.
      }
      if (s === my && my.phase === 'live') schedulePoll();
    }, delay);
  }

  function finish() {
    const x = s;
    x.phase = 'log';
    clearTimeout(x.pollTimer);
    stopTimer(x);
    els.timer.hidden = true;
    if (x.voice) { x.voice.destroy(); x.voice = null; }
    setLevel(0, true);
    els.controls.hidden = true;
    els.quality.hidden = true;
    els.flags.textContent = '';
    if (x.voiceFail && !x.answered) {
      // The operator's own audio never got in, so nobody was talked to:
      // there is nothing to log. Say why, in words, and let them close.
      x.phase = 'failed';
      setStatus(`Failed: ${x.voiceFail}`);
      els.closebar.hidden = false;
      els.close.focus();
      return;
    }
    els.title.textContent = `Log call with ${x.contact.name}`;
    log.show(x.call, x.contact);
    log.focusFirst();
    // The duration may settle a moment after the status: one more look.
    if ((x.call.duration_s === null || x.call.duration_s === undefined) && !x.call.ended_at) {
      setTimeout(async () => {
        if (s !== x) return;
        try { const r = await get(`/api/v1/calls/${x.call.id}`); if (s === x) update(r.call); } catch { /* fine */ }
      }, 1000);
    }
  }

  function notPlaced(message) {
    s.phase = 'failed';
    setStatus('Call not placed');
    els.error.textContent = message;
    els.controls.hidden = true;
    els.closebar.hidden = false;
    els.close.focus();
  }

  function voiceFailed(x) {
    x.phase = 'failed';
    clearTimeout(x.pollTimer);
    stopTimer(x);
    if (x.voice) { x.voice.destroy(); x.voice = null; }
    setLevel(0, true);
    setStatus(`Failed: ${x.voiceFail}`);
    els.timer.hidden = true;
    els.quality.hidden = true;
    els.flags.textContent = '';
    els.controls.hidden = true;
    els.closebar.hidden = false;
    els.close.focus();
    // The operator never got in, so nobody was rung: the server cancels
    // such a call at once, and the next Dial is not held up by it.
    if (x.call) post(`/api/v1/calls/${x.call.id}/end`).catch(() => null);
  }

  async function endCall() {
    const x = s;
    if (!x || x.phase !== 'live') return;
    if (!x.call) { x.endRequested = true; setStatus('Canceling…'); return; }
    if (x.ending) return;
    x.ending = true;
    els.hangup.disabled = true;
    setStatus('Hanging up…');
    if (x.voice) x.voice.disconnect();
    try {
      const r = await post(`/api/v1/calls/${x.call.id}/end`);
      if (s === x && r && r.call) update(r.call);
    } catch (err) {
      if (err.status === 401) return;
      if (s === x && err.code !== 'call_ended') {
        els.error.textContent = `Could not hang up: ${err.message}`;
        els.hangup.disabled = false;
        x.ending = false;
      }
    }
    if (s === x && x.phase === 'live') schedulePoll(0);
  }

  async function toggle(kind) {
    const x = s;
    if (!x || x.phase !== 'live' || !x.call || x.busy || x.call.status !== 'in-progress') return;
    const want = kind === 'mute' ? !x.muted : !x.held;
    x.busy = true;
    setToggles();
    try {
      const r = kind === 'mute'
        ? await post(`/api/v1/calls/${x.call.id}/mute`, { participant: 'operator', muted: want })
        : await post(`/api/v1/calls/${x.call.id}/hold`, { hold: want });
      if (s !== x) return;
      if (r && r.call) { x.muted = r.call.operator_muted; x.held = r.call.on_hold; } else if (kind === 'mute') x.muted = want; else x.held = want;
      els.error.textContent = '';
    } catch (err) {
      if (s === x && err.status !== 401) {
        els.error.textContent = `Could not ${kind === 'mute' ? (want ? 'mute' : 'unmute') : (want ? 'hold' : 'resume')}: ${err.message}`;
        if (err.code === 'call_ended') schedulePoll(0);
      }
    } finally {
      x.busy = false;
      if (s === x) setToggles();
    }
  }

  function voiceHooks(x) {
    return {
      onInfo(text) { if (s === x && text === 'Simulated call') els.sim.hidden = false; },
      onNote(text) { if (s === x) { els.note.textContent = text; els.note.hidden = false; } },
      onAccept() {},
      onDisconnect() {
        if (s === x && x.phase === 'live' && !x.ending) schedulePoll(0);
      },
      onError({ message, reason, fatal }) {
        if (s !== x) return;
        els.error.textContent = message;
        // The operator never got in: end the call so nobody is rung to silence.
        if (fatal && x.phase === 'live') {
          if (!x.voiceFail) x.voiceFail = reason || 'your audio could not connect';
          // Still before the prospect was dialed (the server dials only once
          // the operator is in): nobody to wait for, say so at once.
          if (x.call && !x.answered && (x.call.status === 'queued' || x.call.status === 'initiated')) voiceFailed(x);
          else endCall();
        }
      },
      onWarning(name, active) {
        if (s !== x) return;
        if (active) x.warnings.add(name); else x.warnings.delete(name);
        renderQuality();
      },
      onLevel(v) { if (s === x && x.phase === 'live') setLevel(v); },
      onDevices({ inputs, outputs }) {
        if (s !== x) return;
        const mic = x.mic || localStorage.getItem('dialer.mic');
        const spk = x.spk || localStorage.getItem('dialer.speaker');
        fillSelect(els.micField, els.mic, inputs, mic);
        fillSelect(els.spkField, els.spk, outputs, spk);
        // The operator's earlier choice is used, not just shown.
        if (!x.devicesApplied && x.voice) {
          x.devicesApplied = true;
          if (mic && mic !== 'default' && els.mic.value === mic) {
            x.mic = mic;
            x.voice.setInputDevice(mic).catch(() => { /* the default stays */ });
          }
          if (spk && spk !== 'default' && els.spk.value === spk) {
            x.spk = spk;
            x.voice.setOutputDevice(spk).catch(() => { /* the default stays */ });
          }
        }
      },
      fetchToken: () => post(`/api/v1/calls/${x.call.id}/token`),
    };
  }

  function resetView(contact) {
    els.title.textContent = `Call with ${contact.name}`;
    els.sub.textContent = [contact.phone_display || contact.phone, contact.region, contact.company].filter(Boolean).join(' · ');
    els.sim.hidden = true;
    els.from.hidden = true;
    els.from.textContent = '';
    setStatus('Connecting…');
    els.timer.hidden = true;
    els.timer.textContent = '00:00';
    els.quality.hidden = true;
    els.flags.textContent = '';
    els.error.textContent = '';
    els.note.hidden = true;
    els.note.textContent = '';
    els.controls.hidden = false;
    els.closebar.hidden = true;
    els.micField.hidden = true;
    els.spkField.hidden = true;
    els.hangup.disabled = false;
    setLevel(0, true);
    log.hide();
  }

  const placeCall = (contact) =>
    post('/api/v1/calls', { contact_id: contact.id }, { headers: { 'Idempotency-Key': randomKey() } });

  // dial(contact, button, onRefused): onRefused(contact, words) says a
  // refusal where the dial came from (default: under the contact's row).
  // From the open dialog (Save & next) the dialog itself says it.
  async function dial(contact, button, onRefused = null) {
    if (asking || (s && s.phase === 'live')) return;
    let resp = null;
    if (!els.dialog.open) {
      asking = true;
      if (button) button.setAttribute('aria-busy', 'true');
      try {
        resp = await placeCall(contact);
      } catch (err) {
        if (err.status !== 401) {
          const words = refusalWords(err, serverNow());
          if (onRefused) onRefused(contact, words);
          else contacts.showRefusal(contact.id, words);
        }
        return;
      } finally {
        asking = false;
        if (button) button.removeAttribute('aria-busy');
      }
      contacts.clearRefusal();
    }
    if (s) teardown();
    const my = ++gen;
    const x = {
      contact, call: null, voice: null, phase: 'live', muted: false, held: false, busy: false,
      warnings: new Set(), pollTimer: 0, timerStart: 0, timerIv: 0, ending: false, endRequested: false,
      answered: false, voiceFail: null, devicesApplied: false, mic: null, spk: null, match: null,
    };
    s = x;
    contacts.select(contact.id);
    resetView(contact);
    setToggles();
    const returnTo = () => contacts.dialButton(contact.id) || (button && button.isConnected ? button : null);
    if (els.dialog.open) setReturnTo(els.dialog, returnTo);
    openModal(els.dialog, { returnTo, onEscape, focus: els.hangup });

    if (!resp) {
      try {
        resp = await placeCall(contact);
      } catch (err) {
        if (s !== x || gen !== my) return;
        if (err.status === 401) return;
        notPlaced(refusalWords(err, serverNow()));
        return;
      }
      if (s !== x) return;
    }
    x.call = resp.call;
    if (resp.token && resp.token.simulated) els.sim.hidden = false;
    x.voice = createVoice(resp, voiceHooks(x));
    update(resp.call);
    if (x.phase !== 'live') return;
    if (x.endRequested) { endCall(); return; }
    x.voice.connect();
    schedulePoll();
  }

  function teardown() {
    const x = s;
    if (!x) return;
    clearTimeout(x.pollTimer);
    stopTimer(x);
    if (x.voice) { x.voice.destroy(); x.voice = null; }
    x.phase = 'gone';
    s = null;
    log.hide();
  }

  function close() {
    if (s && s.phase === 'live') return;
    teardown();
    closeModal(els.dialog);
  }

  function onEscape() {
    if (!s) { closeModal(els.dialog); return; }
    if (s.phase === 'live') {
      els.note.textContent = 'The call is still on. Hang up first (x).';
      els.note.hidden = false;
      return;
    }
    if (log.counting()) log.cancelCountdown();
    close();
  }

  // --- controls -------------------------------------------------------
  els.mute.addEventListener('click', () => toggle('mute'));
  els.hold.addEventListener('click', () => toggle('hold'));
  els.hangup.addEventListener('click', () => endCall());
  els.close.addEventListener('click', () => close());
  async function switchDevice(kind) {
    const x = s;
    if (!x || !x.voice) return;
    const mic = kind === 'mic';
    const id = mic ? els.mic.value : els.spk.value;
    try {
      if (mic) await x.voice.setInputDevice(id); else await x.voice.setOutputDevice(id);
      x[kind] = id;
      localStorage.setItem(mic ? 'dialer.mic' : 'dialer.speaker', id);
    } catch (err) {
      if (s === x) els.error.textContent = `Could not switch ${mic ? 'microphone' : 'speaker'}: ${err.message}`;
    }
  }
  els.mic.addEventListener('change', () => switchDevice('mic'));
  els.spk.addEventListener('change', () => switchDevice('spk'));
  setEscape(els.dialog, onEscape);
  window.addEventListener('beforeunload', (e) => {
    if (s && s.phase === 'live') { e.preventDefault(); e.returnValue = ''; }
  });

  return {
    dial,
    isOpen: () => els.dialog.open,
    isLive: () => !!(s && s.phase === 'live'),
    // Shortcut keys while the dialog is open; true when handled.
    key(k) {
      if (!s || !els.dialog.open) return false;
      if (s.phase === 'live') {
        if (k === 'm') { toggle('mute'); return true; }
        if (k === 'h') { toggle('hold'); return true; }
        if (k === 'x') { endCall(); return true; }
        return false;
      }
      if (s.phase === 'log') return log.key(k);
      return false;
    },
    // The call in hand when the session ends, to pick up after signing in.
    snapshot() {
      if (!s || !s.call || (s.phase !== 'live' && s.phase !== 'log')) return null;
      return { contact: s.contact, callId: s.call.id, draft: s.phase === 'log' ? log.draft() : null };
    },
    // Back from a session expiry: reopen that call's log with what was typed.
    async resume(snap) {
      if (!snap || s) return;
      let call;
      try {
        call = (await get(`/api/v1/calls/${snap.callId}`)).call;
        // The browser's leg went with the session: make sure the call is over.
        if (!FINAL.has(call.status)) {
          const r = await post(`/api/v1/calls/${snap.callId}/end`).catch(() => null);
          if (r && r.call) call = r.call;
        }
      } catch { return; }
      if (s || !call || call.outcome) return;
      const x = {
        contact: snap.contact, call, voice: null, phase: 'live', muted: false, held: false, busy: false,
        warnings: new Set(), pollTimer: 0, timerStart: 0, timerIv: 0, ending: false, endRequested: false,
        answered: !!call.answered_at, voiceFail: null, devicesApplied: true, mic: null, spk: null, match: null,
      };
      s = x;
      ++gen;
      resetView(snap.contact);
      setStatus(statusWords(call));
      openModal(els.dialog, { returnTo: () => contacts.dialButton(snap.contact.id), onEscape });
      finish();
      log.restore(snap.draft);
      els.note.textContent = 'Your session ended during this call. Log it now, then carry on.';
      els.note.hidden = false;
    },
    // The session ended: stop everything (the server settles the call).
    abort() {
      teardown();
      closeModal(els.dialog, false);
    },
  };
}
