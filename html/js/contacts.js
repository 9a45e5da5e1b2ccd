// The contact list: list picker, search, status and "callable now" filters,
// table (attempts, do-not-call, local time, callback, retry), pagination,
// and a dial the server refused, in words under the contact's row.
// Searching and paging are the server's; this asks for one page at a time.

import { get, query } from './api.js';
import { serverNow } from './clock.js';
import { clockTime, contactStatusWords, outcomeWords, timeInZone, when } from './words.js';

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

function span(text, cls) {
  const el = document.createElement('span');
  el.textContent = text;
  el.className = cls;
  return el;
}

// Where the contact stands in the queue, in words.
function nextWords(c, now, me) {
  const parts = [];
  if (c.do_not_call) parts.push('Never: on the do-not-call list');
  else if (c.final) parts.push('Final: no more calls');
  else {
    if (c.callback_at) {
      const due = Date.parse(c.callback_at) <= now;
      const whose = c.callback_by && me && String(c.callback_by) !== String(me) ? ' (another operator\'s)' : '';
      parts.push(`${due ? 'Callback due since' : 'Callback at'} ${clockTime(c.callback_at, now)}${whose}`);
    }
    if (c.retry_at) {
      parts.push(Date.parse(c.retry_at) <= now ? 'Retry due' : `Retry from ${clockTime(c.retry_at, now)}`);
    }
  }
  if (c.reserved_by && c.reserved_until && Date.parse(c.reserved_until) > now) {
    const mine = me && String(c.reserved_by) === String(me);
    parts.push(`${mine ? 'Reserved for you' : 'Reserved by another operator'} until ${clockTime(c.reserved_until, now)}`);
  }
  return parts.join(' · ');
}

export function readHashState() {
  const h = new URLSearchParams(location.hash.replace(/^#/, ''));
  const page = Math.max(1, parseInt(h.get('page') || '1', 10) || 1);
  const status = ['not_called', 'called'].includes(h.get('status')) ? h.get('status') : '';
  const list = /^\d+$/.test(h.get('list') || '') ? h.get('list') : '';
  return { list, status, q: h.get('q') || '', page, callable: h.get('callable') === '1' };
}

// settings: maxAttempts(); me(): the signed-in user's id.
export function createContacts({ onDial, onHistory, settings, me }) {
  const els = {
    list: $('contacts-list'),
    search: $('contacts-search'),
    status: $('contacts-status'),
    callable: $('contacts-callable'),
    table: $('contacts-table'),
    tbody: $('contacts-table').tBodies[0],
    summary: $('contacts-summary'),
    error: $('contacts-error'),
    empty: $('contacts-empty'),
    prev: $('page-prev'),
    next: $('page-next'),
    info: $('page-info'),
  };
  const st = { list: '', status: '', q: '', page: 1, callable: false, total: 0, pages: 1 };
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
    if (st.callable) p.set('callable', '1');
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
    const now = serverNow();
    const max = settings.maxAttempts();
    const myId = me();
    for (const c of items) {
      const tr = document.createElement('tr');
      tr.dataset.id = String(c.id);
      if (String(c.id) === String(selectedId)) tr.classList.add('selected');
      const nm = cell(tr, c.name || '', 'name');
      if (c.title) nm.append(span(c.title, 'sub'));
      cell(tr, c.company || '', 'company', 'Company');
      const ph = cell(tr, '', 'phone', 'Phone');
      ph.append(span(c.phone_display || c.phone || '', 'num'));
      if (c.region) ph.append(` · ${c.region}`);
      const local = timeInZone(c.timezone, now);
      if (local) ph.append(span(`${c.timezone} · ${local} there`, 'sub'));
      const s = cell(tr, contactStatusWords(c.status), `status status-${c.status}`, 'Status');
      if (c.last_called_at) s.title = `Last called ${when(c.last_called_at)}`;
      if (c.do_not_call) s.append(' ', span('Do not call', 'badge badge-dnc'));
      const tries = Number(c.attempts) || 0;
      cell(tr, max ? `${tries} of ${max}` : String(tries), 'attempts', 'Attempts');
      cell(tr, outcomeWords(c.last_outcome), 'outcome', 'Last outcome');
      cell(tr, nextWords(c, now, myId), 'next', 'Next call');
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
        list_id: st.list, status: st.status, q: st.q.trim(), callable: st.callable ? 1 : '',
        page: st.page, per_page: PER_PAGE,
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
    els.callable.checked = !!st.callable;
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
  els.callable.addEventListener('change', () => { st.callable = els.callable.checked; st.page = 1; load(); });
  els.list.addEventListener('change', () => { st.list = els.list.value; st.page = 1; load(); });
  els.prev.addEventListener('click', () => { if (st.page > 1) { st.page--; load(); } });
  els.next.addEventListener('click', () => { if (st.page < st.pages) { st.page++; load(); } });

  function select(id) {
    selectedId = id;
    for (const tr of els.tbody.rows) tr.classList.toggle('selected', tr.dataset.id === String(id));
  }

  function clearRefusal() {
    for (const r of els.tbody.querySelectorAll('tr.refusal-row')) r.remove();
  }

  // A dial the server refused: its words in a row right under the
  // contact's, where the operator's eyes (and focus) already are.
  function showRefusal(id, text) {
    clearRefusal();
    const tr = els.tbody.querySelector(`tr[data-id="${CSS.escape(String(id))}"]`);
    if (!tr) return false;
    const row = document.createElement('tr');
    row.className = 'refusal-row';
    const td = document.createElement('td');
    td.colSpan = tr.cells.length;
    const p = document.createElement('p');
    p.className = 'refusal';
    p.setAttribute('role', 'alert');
    p.append(span('Not dialed: ', 'refusal-head'), text);
    td.appendChild(p);
    row.appendChild(td);
    tr.after(row);
    return true;
  }

  els.tbody.addEventListener('click', (e) => {
    const tr = e.target.closest('tr');
    if (!tr || !tr.dataset.id) return;
    select(tr.dataset.id);
    const c = items.find((x) => String(x.id) === tr.dataset.id);
    if (!c) return;
    const b = e.target.closest('button');
    if (b && b.dataset.dial) onDial(c, b);
    else if (b && b.dataset.history) onHistory(c, b);
  });
  els.tbody.addEventListener('focusin', (e) => {
    const tr = e.target.closest('tr');
    if (tr && tr.dataset.id) select(tr.dataset.id);
  });
  els.tbody.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const tr = e.target.closest('tr');
    if (!tr) return;
    const step = (r) => (e.key === 'ArrowDown' ? r.nextElementSibling : r.previousElementSibling);
    let to = step(tr);
    while (to && !to.dataset.id) to = step(to);
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
      st.callable = false;
      st.page = 1;
      await loadLists();
      if (!lists.some((l) => String(l.id) === st.list)) st.list = '';
      syncInputs();
      await load({ keepFocus: false });
    },
    state: () => ({ list: st.list, status: st.status, q: st.q, page: st.page, callable: st.callable }),
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
    showRefusal,
    clearRefusal,
  };
}
