// Modal dialogs on <dialog>.showModal(): the page behind is inert, Tab wraps
// inside the dialog, Escape goes to the dialog's own handler, and focus goes
// back where it came from when the dialog closes.

const state = new WeakMap();
const open = [];

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), ' +
  'select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function visible(el) {
  return !el.closest('[hidden]') && el.getClientRects().length > 0;
}

export function focusables(dlg) {
  return Array.from(dlg.querySelectorAll(FOCUSABLE)).filter(visible);
}

function setup(dlg) {
  if (state.has(dlg)) return state.get(dlg);
  const s = { onEscape: null, returnTo: null };
  state.set(dlg, s);
  dlg.addEventListener('cancel', (e) => {
    e.preventDefault();
    if (s.onEscape) s.onEscape(); else closeModal(dlg);
  });
  dlg.addEventListener('keydown', (e) => {
    if (e.key !== 'Tab') return;
    const f = focusables(dlg);
    if (!f.length) { e.preventDefault(); dlg.focus(); return; }
    const first = f[0];
    const last = f[f.length - 1];
    const active = document.activeElement;
    if (e.shiftKey && (active === first || !dlg.contains(active))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (active === last || !dlg.contains(active))) {
      e.preventDefault();
      first.focus();
    }
  });
  return s;
}

// openModal(dlg, {returnTo: element | () => element, onEscape, focus: element})
export function openModal(dlg, opts = {}) {
  const s = setup(dlg);
  s.onEscape = opts.onEscape || null;
  if (!dlg.open) {
    s.returnTo = opts.returnTo || document.activeElement;
    dlg.showModal();
    open.push(dlg);
  } else if (opts.returnTo) {
    s.returnTo = opts.returnTo;
  }
  const target = opts.focus && visible(opts.focus) ? opts.focus : focusables(dlg)[0];
  if (target) target.focus();
}

export function setEscape(dlg, fn) {
  setup(dlg).onEscape = fn;
}

export function setReturnTo(dlg, returnTo) {
  setup(dlg).returnTo = returnTo;
}

export function closeModal(dlg, restoreFocus = true) {
  const s = setup(dlg);
  if (!dlg.open) return;
  dlg.close();
  const i = open.indexOf(dlg);
  if (i >= 0) open.splice(i, 1);
  if (!restoreFocus) return;
  let el = typeof s.returnTo === 'function' ? s.returnTo() : s.returnTo;
  if (!el || !el.isConnected || !visible(el)) el = document.getElementById('contacts-heading');
  if (el) el.focus();
}

export function topModal() {
  return open.length ? open[open.length - 1] : null;
}

export function closeAll() {
  while (open.length) closeModal(open[open.length - 1], false);
}
