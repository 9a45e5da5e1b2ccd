// The do-not-call list, for admins: search and page through it, add a
// number (with a reason), remove one, import a CSV (the report names bad
// rows by number), export it as CSV. Numbers show in international form
// ("+1 202-555-0143"): the list spans countries. Every change reloads the contacts,
// whose "Do not call" badges follow the list.

import { get, post, request, query, upload } from './api.js';
import { phoneWords, when } from './words.js';

const $ = (id) => document.getElementById(id);
const PER_PAGE = 25;
const DEBOUNCE_MS = 250;

const SOURCE_WORDS = { manual: 'Added by hand', import: 'CSV import', outcome: 'Logged call' };

export function createDnc({ onChanged }) {
  const els = {
    panel: $('dnc'),
    addForm: $('dnc-add-form'),
    phone: $('dnc-phone'),
    reason: $('dnc-reason'),
    add: $('dnc-add'),
    status: $('dnc-status'),
    error: $('dnc-error'),
    importForm: $('dnc-import-form'),
    file: $('dnc-file'),
    importButton: $('dnc-import'),
    importStatus: $('dnc-import-status'),
    importReport: $('dnc-import-report'),
    importErrors: $('dnc-import-errors').tBodies[0],
    search: $('dnc-search'),
    table: $('dnc-table'),
    tbody: $('dnc-table').tBodies[0],
    empty: $('dnc-empty'),
    summary: $('dnc-summary'),
    prev: $('dnc-prev'),
    next: $('dnc-next'),
    info: $('dnc-page-info'),
  };
  const st = { q: '', page: 1, pages: 1, total: 0 };
  let seq = 0;
  let timer = 0;
  let busy = false;

  function text(tr, v, cls) {
    const td = document.createElement('td');
    td.textContent = v === null || v === undefined ? '' : String(v);
    if (cls) td.className = cls;
    tr.appendChild(td);
  }

  function render(items) {
    const frag = document.createDocumentFragment();
    for (const e of items) {
      const tr = document.createElement('tr');
      const shown = phoneWords(e.phone) || e.phone_display;
      text(tr, shown, 'phone');
      text(tr, e.reason || '—');
      text(tr, SOURCE_WORDS[e.source] || e.source || '');
      text(tr, e.added_by_name || (e.added_by ? `user ${e.added_by}` : '(api key)'));
      text(tr, when(e.added_at));
      const td = document.createElement('td');
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = 'Remove';
      b.dataset.phone = e.phone;
      b.dataset.shown = shown;
      b.setAttribute('aria-label', `Remove ${shown} from the do-not-call list`);
      td.appendChild(b);
      tr.appendChild(td);
      frag.appendChild(tr);
    }
    els.tbody.replaceChildren(frag);
    els.table.hidden = items.length === 0;
    els.empty.hidden = items.length > 0;
    st.pages = Math.max(1, Math.ceil(st.total / PER_PAGE));
    els.info.textContent = `Page ${st.page} of ${st.pages}`;
    els.prev.disabled = st.page <= 1;
    els.next.disabled = st.page >= st.pages;
    els.summary.textContent = st.total === 0 ? 'No numbers' : `${st.total.toLocaleString()} number${st.total === 1 ? '' : 's'}`;
  }

  async function load() {
    const my = ++seq;
    try {
      const data = await get(`/api/v1/dnc${query({ q: st.q.trim(), page: st.page, per_page: PER_PAGE })}`);
      if (my !== seq) return;
      st.total = Number(data.total) || 0;
      const pages = Math.max(1, Math.ceil(st.total / PER_PAGE));
      if (st.page > pages) { st.page = pages; load(); return; }
      render(data.items || []);
    } catch (err) {
      if (my !== seq || err.status === 401) return;
      els.error.textContent = `Could not load the do-not-call list: ${err.message}`;
    }
  }

  function say(msg) {
    els.error.textContent = '';
    els.status.textContent = msg;
  }

  async function add() {
    if (busy) return;
    const phone = els.phone.value.trim();
    const reason = els.reason.value.trim();
    els.status.textContent = '';
    els.error.textContent = '';
    if (!phone) {
      els.error.textContent = 'Enter the phone number to add.';
      els.phone.focus();
      return;
    }
    busy = true;
    els.add.disabled = true;
    try {
      const r = await post('/api/v1/dnc', reason ? { phone, reason } : { phone });
      const e = (r && r.entry) || {};
      const shown = phoneWords(e.phone) || e.phone_display || phone;
      if (r && r.already_listed) {
        say(`${shown} was already on the do-not-call list (since ${when(e.added_at)}${e.reason ? `, reason: ${e.reason}` : ''}).`);
      } else {
        say(`Added ${shown} to the do-not-call list.`);
        els.phone.value = '';
        els.reason.value = '';
      }
      st.page = 1;
      await load();
      onChanged();
    } catch (err) {
      if (err.status === 401) return;
      els.error.textContent = `Could not add the number: ${err.message}`;
      els.phone.focus();
    } finally {
      busy = false;
      els.add.disabled = false;
    }
  }

  async function remove(button) {
    const { phone, shown } = button.dataset;
    els.status.textContent = '';
    els.error.textContent = '';
    try {
      await request('DELETE', `/api/v1/dnc/${encodeURIComponent(phone)}`);
      say(`Removed ${shown} from the do-not-call list.`);
    } catch (err) {
      if (err.status === 401) return;
      if (err.status !== 404) {
        els.error.textContent = `Could not remove ${shown}: ${err.message}`;
        return;
      }
      say(`${shown} was no longer on the do-not-call list.`);
    }
    await load();
    onChanged();
    els.search.focus();
  }

  function showImport(r) {
    const added = Number(r.added) || 0;
    const already = Number(r.already_listed) || 0;
    const errors = Array.isArray(r.errors) ? r.errors : [];
    const count = Number(r.error_count) || errors.length;
    els.importStatus.textContent = `Added ${added.toLocaleString()} number${added === 1 ? '' : 's'}, `
      + `${already.toLocaleString()} already listed, ${count.toLocaleString()} row${count === 1 ? '' : 's'} with problems`
      + (count > errors.length ? ` (the first ${errors.length.toLocaleString()} are listed)` : '');
    const frag = document.createDocumentFragment();
    for (const e of errors) {
      const tr = document.createElement('tr');
      text(tr, e.row);
      text(tr, e.column || '');
      text(tr, e.message || e.code || '');
      frag.appendChild(tr);
    }
    els.importErrors.replaceChildren(frag);
    els.importReport.hidden = errors.length === 0;
  }

  async function importFile() {
    if (busy) return;
    const f = els.file.files && els.file.files[0];
    els.status.textContent = '';
    els.error.textContent = '';
    els.importStatus.textContent = '';
    els.importReport.hidden = true;
    if (!f) {
      els.error.textContent = 'Choose a CSV file of numbers first.';
      els.file.focus();
      return;
    }
    busy = true;
    els.importButton.disabled = true;
    const fd = new FormData();
    fd.append('file', f, f.name);
    try {
      showImport((await upload('/api/v1/dnc/import', fd)) || {});
      st.page = 1;
      await load();
      onChanged();
    } catch (err) {
      if (err.status !== 401) els.error.textContent = `Could not import ${f.name}: ${err.message}`;
    } finally {
      busy = false;
      els.importButton.disabled = false;
    }
  }

  els.addForm.addEventListener('submit', (e) => { e.preventDefault(); add(); });
  els.importForm.addEventListener('submit', (e) => { e.preventDefault(); importFile(); });
  els.tbody.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-phone]');
    if (b) remove(b);
  });
  els.search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => { st.q = els.search.value; st.page = 1; load(); }, DEBOUNCE_MS);
  });
  els.prev.addEventListener('click', () => { if (st.page > 1) { st.page--; load(); } });
  els.next.addEventListener('click', () => { if (st.page < st.pages) { st.page++; load(); } });

  return {
    show() {
      els.panel.hidden = false;
      return load();
    },
    hide() {
      els.panel.hidden = true;
      seq += 1;
      els.tbody.replaceChildren();
      els.status.textContent = '';
      els.error.textContent = '';
      els.importStatus.textContent = '';
      els.importReport.hidden = true;
    },
  };
}
