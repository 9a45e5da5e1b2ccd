// Wiring: session resume, login/logout, session expiry, keyboard shortcuts;
// the dialing rules panel, the callback reminder and (admins) the
// do-not-call list come and go with the session.

import { events, get, post, setCsrf } from './api.js';
import { createContacts, readHashState } from './contacts.js';
import { createUpload } from './upload.js';
import { createDialer } from './dialer.js';
import { createHistory } from './history.js';
import { createSettings } from './settings.js';
import { createCallbacks } from './callbacks.js';
import { createDnc } from './dnc.js';
import { openModal, closeModal, closeAll, topModal } from './modal.js';

const $ = (id) => document.getElementById(id);

const els = {
  booting: $('booting'),
  login: $('login-view'),
  loginForm: $('login-form'),
  loginUser: $('login-username'),
  loginPass: $('login-password'),
  loginError: $('login-error'),
  loginNote: $('login-note'),
  loginSubmit: $('login-submit'),
  app: $('app-view'),
  session: $('session'),
  signedInAs: $('signed-in-as'),
  logout: $('logout'),
  simBanner: $('sim-banner'),
  help: $('help-dialog'),
  helpButton: $('help-button'),
  statsLink: $('stats-link'),
  helpClose: $('help-close'),
};

let user = null;
let resumeState = null; // where the operator was when the session ended
let resumeCall = null;  // and the call they had not logged yet: {who, snap}

const settings = createSettings();
const contacts = createContacts({
  onDial: (c, button) => dialer.dial(c, button),
  onHistory: (c, button) => history.show(c, button),
  settings,
  me: () => (user ? user.id : null),
});
const callbacks = createCallbacks({ onCall: (c, button, onRefused) => dialer.dial(c, button, onRefused) });
const dialer = createDialer({
  contacts,
  onSaved: () => { contacts.reload(); contacts.refreshLists(); callbacks.refresh(); },
});
const history = createHistory();
const dnc = createDnc({ onChanged: () => contacts.reload() });
createUpload({ onImported: (listId) => contacts.showList(listId) });

function showLogin(note) {
  closeAll();
  user = null;
  els.booting.hidden = true;
  els.app.hidden = true;
  els.session.hidden = true;
  els.statsLink.hidden = true;
  els.simBanner.hidden = true;
  callbacks.stop();
  settings.clear();
  dnc.hide();
  els.login.hidden = false;
  els.loginNote.hidden = !note;
  els.loginNote.textContent = note || '';
  els.loginError.textContent = '';
  els.loginPass.value = '';
  els.loginSubmit.disabled = false;
  (els.loginUser.value ? els.loginPass : els.loginUser).focus();
}

async function showApp(me) {
  user = me.user;
  setCsrf(me.csrf_token);
  els.booting.hidden = true;
  els.login.hidden = true;
  els.app.hidden = false;
  els.session.hidden = false;
  // The stats page is for whoever runs the team.
  els.statsLink.hidden = !user || user.role !== 'admin';
  const name = (user && (user.username || user.name)) || '';
  els.signedInAs.textContent = `Signed in as ${name}`;
  const provider = me.provider || {};
  els.simBanner.hidden = !provider.simulated;
  const state = resumeState || readHashState();
  resumeState = null;
  // The rules first: the contact table shows attempts out of their maximum.
  await settings.load();
  if (user && user.role === 'admin') dnc.show(); else dnc.hide();
  callbacks.start();
  await contacts.start(state);
  const again = resumeCall;
  resumeCall = null;
  if (again && again.who === name) await dialer.resume(again.snap);
}

async function boot() {
  try {
    // optional=1: signed out is an answer (user null), not a 401 the
    // browser would log as an error.
    const me = await get('/api/v1/auth/me?optional=1');
    if (!me.user) { showLogin(); return; }
    await showApp(me);
  } catch (err) {
    if (err.status === 401) { showLogin(); } else {
      showLogin();
      els.loginError.textContent = `Could not reach the dialer: ${err.message}`;
    }
  }
}

events.addEventListener('unauthorized', () => {
  if (!user) return;
  resumeState = contacts.state();
  const snap = dialer.snapshot();
  resumeCall = snap ? { who: (user.username || user.name || ''), snap } : null;
  dialer.abort();
  showLogin('Your session has ended. Sign in again to carry on where you were.');
});

els.loginForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const username = els.loginUser.value.trim();
  const password = els.loginPass.value;
  els.loginError.textContent = '';
  if (!username || !password) {
    els.loginError.textContent = 'Enter your username and password.';
    (username ? els.loginPass : els.loginUser).focus();
    return;
  }
  els.loginSubmit.disabled = true;
  try {
    await post('/api/v1/auth/login', { username, password });
    // /auth/me carries the provider too: one shape for both ways in.
    const me = await get('/api/v1/auth/me');
    await showApp(me);
  } catch (err) {
    if (err.status === 401) {
      els.loginError.textContent = 'Wrong username or password.';
    } else if (err.status === 429) {
      const s = Number(err.retryAfter);
      const wait = s > 0 ? (s >= 120 ? `${Math.ceil(s / 60)} minutes` : `${s} seconds`) : 'a while';
      els.loginError.textContent = `Too many failed attempts. Try again in ${wait}.`;
    } else {
      els.loginError.textContent = `Could not sign in: ${err.message}`;
    }
    els.loginPass.select();
    els.loginPass.focus();
  } finally {
    els.loginSubmit.disabled = false;
  }
});

els.logout.addEventListener('click', async () => {
  if (dialer.isLive()) {
    window.alert('Hang up the call before logging out.');
    return;
  }
  try { await post('/api/v1/auth/logout'); } catch { /* the session is gone either way */ }
  setCsrf(null);
  resumeState = null;
  resumeCall = null;
  showLogin('You have logged out.');
});

// --- keyboard -----------------------------------------------------------
function typing(el) {
  if (!el) return false;
  if (el.isContentEditable) return true;
  if (el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return true;
  if (el.tagName !== 'INPUT') return false;
  return !['button', 'submit', 'reset', 'checkbox', 'radio', 'file', 'range', 'color'].includes(el.type);
}

function showHelp() {
  if (els.help.open) return;
  openModal(els.help, { focus: els.helpClose });
}

els.helpButton.addEventListener('click', showHelp);
els.helpClose.addEventListener('click', () => closeModal(els.help));

document.addEventListener('keydown', (e) => {
  if (!user || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
  if (typing(e.target)) return;
  const k = e.key;
  const top = topModal();
  if (k === '?') {
    e.preventDefault();
    showHelp();
    return;
  }
  if (top === els.help) return;
  if (dialer.isOpen() && top && top.id === 'call-dialog') {
    if (dialer.key(k.length === 1 ? k.toLowerCase() : k)) e.preventDefault();
    return;
  }
  if (top) return;
  if (k === 'd' || k === 'D') {
    const c = contacts.selectedContact();
    if (c) {
      e.preventDefault();
      dialer.dial(c, contacts.dialButton(c.id));
    }
  } else if (k === '/') {
    e.preventDefault();
    contacts.focusSearch();
  }
});

boot();
