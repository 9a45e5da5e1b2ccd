// The contact list: list picker, search, status filter, table, pagination.
// Searching and paging are the server's; this asks for one page at a time.

import { get, query } from './api.js';
import { contactStatusWords, outcomeWords, when } from './words.js';

const PER_PAGE = 50;
const DEBOUNCE_MS = 30;

const $ = (id) => document.getElementById(id);

// label: the column's name, shown beside the value when a narrow window
// stacks each row (CSS, attr(data-label)).
function cell(tr, text, cls, label) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  if (label) td.dataset.label = label;
  tr.appendChild(td);
  return td;
}

export function readHashState() {
  const h = new URLSearchParams(location.hash.replace(/^#/, ''));
  const page = Math.max(1, parseInt(h.get('page') || '1', 10) || 1);
  const status = ['not_called', 'called'].includes(h.get('status')) ? h.get('status') : '';
  const list = /^\d+$/.test(h.get('list') || '') ? h.get('list') : '';
  return { list, status, q: h.get('q') || '', page };
}

export function createContacts({ onDial, onHistory }) {
  const els = {
    list: $('contacts-list'),
    search: $('contacts-search'),
    status: $('contacts-status'),
    table: $('contacts-table'),
    tbody: $('contacts-table').tBodies[0],
    summary: $('contacts-summary'),
    error: $('contacts-error'),
    empty: $('contacts-empty'),
    prev: $('page-prev'),
    next: $('page-next'),
    info: $('page-info'),
  };
  const st = { list: '', status: '', q: '', page: 1, total: 0, pages: 1 };
  let items = [];
  let selectedId = null;
  let seq = 0;
  let ctrl = null;
  let timer = 0;
  let lists = [];

  function saveHash() {
    const p = new URLSearchParams();
    if (st.list) p.set('list', st.list);
    if (st.status) p.set('status', st.status);
    if (st.q) p.set('q', st.q);
    if (st.page > 1) p.set('page', String(st.page));
    const h = p.toString();
    const url = `${location.pathname}${location.search}${h ? `#${h}` : ''}`;
    if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(null, '', url);
  }

  function renderPager() {
    st.pages = Math.max(1, Math.ceil(st.total / PER_PAGE));
    els.info.textContent = `Page ${st.page} of ${st.pages}`;
    els.prev.disabled = st.page <= 1;
    els.next.disabled = st.page >= st.pages;
  }

  function render() {
    const frag = document.createDocumentFragment();
    for (const c of items) {
      const tr = document.createElement('tr');
      tr.dataset.id = String(c.id);
      if (String(c.id) === String(selectedId)) tr.classList.add('selected');
      cell(tr, c.name || '', 'name');
      cell(tr, c.title || '', 'title', 'Title');
      cell(tr, c.company || '', 'company', 'Company');
      const phone = [c.phone_display || c.phone || '', c.region || ''].filter(Boolean).join(' · ');
      cell(tr, phone, 'phone', 'Phone');
      const s = cell(tr, contactStatusWords(c.status), `status status-${c.status}`, 'Status');
      if (c.last_called_at) s.title = `Last called ${when(c.last_called_at)}`;
      cell(tr, outcomeWords(c.last_outcome), 'outcome', 'Last outcome');
      const act = document.createElement('td');
      act.className = 'actions';
      const dial = document.createElement('button');
      dial.type = 'button';
      dial.className = 'dial';
      dial.dataset.dial = String(c.id);
      dial.textContent = 'Dial';
      dial.setAttribute('aria-label', `Dial ${c.name}`);
      dial.setAttribute('aria-keyshortcuts', 'd');
      const hist = document.createElement('button');
      hist.type = 'button';
      hist.className = 'history';
      hist.dataset.history = String(c.id);
      hist.textContent = 'History';
      hist.setAttribute('aria-label', `History for ${c.name}`);
      act.append(dial, ' ', hist);
      tr.appendChild(act);
      frag.appendChild(tr);
    }
    els.tbody.replaceChildren(frag);
    els.empty.hidden = items.length > 0;
    renderPager();
    const shown = st.total === 0 ? 'No contacts' : `${st.total.toLocaleString()} contact${st.total === 1 ? '' : 's'}`;
    els.summary.textContent = shown;
  }

  async function load({ keepFocus = true } = {}) {
    const my = ++seq;
    if (ctrl) ctrl.abort();
    ctrl = new AbortController();
    saveHash();
    els.table.setAttribute('aria-busy', 'true');
    try {
      const data = await get(`/api/v1/contacts${query({
        list_id: st.list, status: st.status, q: st.q.trim(), page: st.page, per_page: PER_PAGE,
      })}`, { signal: ctrl.signal });
      if (my !== seq) return;
      items = data.items || [];
      st.total = Number(data.total) || 0;
      const pages = Math.max(1, Math.ceil(st.total / PER_PAGE));
      if (st.page > pages && st.total > 0) {
        st.page = pages;
        load({ keepFocus });
        return;
      }
      els.error.textContent = '';
      // Looked at only now: focus may have come back into the table (a dialog
      // closing) while this answer was on its way.
      const hadFocusIn = els.tbody.contains(document.activeElement) ? document.activeElement : null;
      render();
      if (keepFocus && hadFocusIn && !hadFocusIn.isConnected) {
        const sel = hadFocusIn.dataset.dial ? `[data-dial="${CSS.escape(hadFocusIn.dataset.dial)}"]`
          : hadFocusIn.dataset.history ? `[data-history="${CSS.escape(hadFocusIn.dataset.history)}"]` : null;
        const again = sel && els.tbody.querySelector(sel);
        (again || els.table).focus?.();
      }
    } catch (err) {
      if (err.name === 'AbortError' || my !== seq) return;
      if (err.status === 401) return; // the app shows the login
      els.error.textContent = `Could not load contacts: ${err.message}`;
    } finally {
      if (my === seq) els.table.removeAttribute('aria-busy');
    }
  }

  function renderLists() {
    const frag = document.createDocumentFragment();
    const all = document.createElement('option');
    all.value = '';
    all.textContent = 'All lists';
    frag.appendChild(all);
    for (const l of lists) {
      const o = document.createElement('option');
      o.value = String(l.id);
      o.textContent = `${l.name} (${Number(l.total || 0).toLocaleString()})`;
      frag.appendChild(o);
    }
    els.list.replaceChildren(frag);
    if (st.list && !lists.some((l) => String(l.id) === st.list)) st.list = '';
    els.list.value = st.list;
  }

  async function loadLists() {
    try {
      const data = await get('/api/v1/lists');
      lists = data.items || [];
      renderLists();
    } catch (err) {
      if (err.status !== 401) els.error.textContent = `Could not load lists: ${err.message}`;
    }
  }

  function syncInputs() {
    els.status.value = st.status;
    els.list.value = st.list;
    if (els.search.value !== st.q) els.search.value = st.q;
  }

  // --- events ---------------------------------------------------------
  els.search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      st.q = els.search.value;
      st.page = 1;
      load();
    }, DEBOUNCE_MS);
  });
  els.search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      clearTimeout(timer);
      st.q = els.search.value;
      st.page = 1;
      load();
    }
  });
  els.status.addEventListener('change', () => { st.status = els.status.value; st.page = 1; load(); });
  els.list.addEventListener('change', () => { st.list = els.list.value; st.page = 1; load(); });
  els.prev.addEventListener('click', () => { if (st.page > 1) { st.page--; load(); } });
  els.next.addEventListener('click', () => { if (st.page < st.pages) { st.page++; load(); } });

  function select(id) {
    selectedId = id;
    for (const tr of els.tbody.rows) tr.classList.toggle('selected', tr.dataset.id === String(id));
  }

  els.tbody.addEventListener('click', (e) => {
    const tr = e.target.closest('tr');
    if (!tr) return;
    select(tr.dataset.id);
    const c = items.find((x) => String(x.id) === tr.dataset.id);
    if (!c) return;
    const b = e.target.closest('button');
    if (b && b.dataset.dial) onDial(c, b);
    else if (b && b.dataset.history) onHistory(c, b);
  });
  els.tbody.addEventListener('focusin', (e) => {
    const tr = e.target.closest('tr');
    if (tr) select(tr.dataset.id);
  });
  els.tbody.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const tr = e.target.closest('tr');
    if (!tr) return;
    const to = e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling;
    if (!to) return;
    e.preventDefault();
    const kind = e.target.dataset.history ? 'history' : 'dial';
    to.querySelector(`button.${kind}`)?.focus();
  });

  return {
    async start(initial) {
      Object.assign(st, initial || {});
      await loadLists();
      syncInputs();
      await load({ keepFocus: false });
    },
    reload: () => load(),
    refreshLists: loadLists,
    async showList(listId) {
      st.list = String(listId);
      st.status = '';
      st.q = '';
      st.page = 1;
      await loadLists();
      if (!lists.some((l) => String(l.id) === st.list)) st.list = '';
      syncInputs();
      await load({ keepFocus: false });
    },
    state: () => ({ list: st.list, status: st.status, q: st.q, page: st.page }),
    currentListId: () => st.list,
    // The row to dial with "d": the focused one, else the selected one, else the first.
    selectedContact() {
      const tr = document.activeElement && document.activeElement.closest && document.activeElement.closest('#contacts-table tbody tr');
      const id = tr ? tr.dataset.id : selectedId;
      return items.find((c) => String(c.id) === String(id)) || items[0] || null;
    },
    dialButton(id) {
      return els.tbody.querySelector(`button[data-dial="${CSS.escape(String(id))}"]`);
    },
    focusSearch() { els.search.focus(); els.search.select(); },
    select,
  };
}
