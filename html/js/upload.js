// CSV upload: drag-and-drop or picker, progress bar, the import report and
// its errors as a downloadable CSV.

import { upload } from './api.js';

const $ = (id) => document.getElementById(id);

// RFC 4180: fields with a comma, quote, CR or LF are quoted, quotes doubled;
// records end with CRLF.
export function csvField(v) {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows) {
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

function baseName(name) {
  return (name || 'contacts').replace(/\.[^.]*$/, '');
}

export function createUpload({ onImported }) {
  const els = {
    form: $('upload-form'),
    zone: $('dropzone'),
    file: $('upload-file'),
    fileName: $('upload-file-name'),
    listName: $('upload-list-name'),
    submit: $('upload-submit'),
    progressWrap: $('upload-progress-wrap'),
    progress: $('upload-progress'),
    progressText: $('upload-progress-text'),
    status: $('upload-status'),
    error: $('upload-error'),
    report: $('upload-report'),
    note: $('upload-report-note'),
    download: $('upload-download'),
    tbody: $('upload-errors').tBodies[0],
  };
  let file = null;
  let lastErrors = [];
  let lastName = '';
  let busy = false;

  function choose(f) {
    file = f || null;
    els.fileName.textContent = file ? `Selected: ${file.name} (${Math.max(1, Math.round(file.size / 1024)).toLocaleString()} KB)` : '';
    if (file && !els.listName.value.trim()) els.listName.value = baseName(file.name);
  }

  function setProgress(frac) {
    const pct = Math.round(frac * 100);
    els.progress.value = pct;
    els.progress.setAttribute('aria-valuetext', pct >= 100 ? 'Uploaded, importing…' : `${pct}%`);
    els.progressText.textContent = pct >= 100 ? 'Importing…' : `${pct}%`;
  }

  function showReport(r) {
    const imported = Number(r.imported) || 0;
    const skipped = Number(r.skipped) || 0;
    const dnc = Number(r.do_not_call) || 0;
    // Kept and marked, never dropped: the operator should know they are there.
    const listed = dnc ? `; ${dnc} ${dnc === 1 ? 'is' : 'are'} on the do-not-call list (kept, marked, never dialed)` : '';
    els.status.textContent = `Imported ${imported} contacts, skipped ${skipped}${listed}`;
    lastErrors = Array.isArray(r.errors) ? r.errors : [];
    const count = Number(r.error_count) || lastErrors.length;
    if (!lastErrors.length) {
      els.report.hidden = true;
      els.tbody.replaceChildren();
      return;
    }
    const frag = document.createDocumentFragment();
    for (const e of lastErrors) {
      const tr = document.createElement('tr');
      for (const v of [e.row, e.column || '', e.message || e.code || '']) {
        const td = document.createElement('td');
        td.textContent = v === null || v === undefined ? '' : String(v);
        tr.appendChild(td);
      }
      frag.appendChild(tr);
    }
    els.tbody.replaceChildren(frag);
    els.note.textContent = count > lastErrors.length
      ? `${count.toLocaleString()} rows had problems; the first ${lastErrors.length.toLocaleString()} are listed.`
      : `${count.toLocaleString()} row${count === 1 ? '' : 's'} had problems.`;
    els.report.hidden = false;
  }

  async function send() {
    if (busy) return;
    els.error.textContent = '';
    if (!file) {
      els.error.textContent = 'Choose a CSV file first.';
      els.file.focus();
      return;
    }
    busy = true;
    els.submit.disabled = true;
    els.status.textContent = '';
    els.report.hidden = true;
    els.progressWrap.hidden = false;
    setProgress(0);
    const fd = new FormData();
    fd.append('file', file, file.name);
    const name = els.listName.value.trim();
    if (name) fd.append('list_name', name);
    lastName = name || baseName(file.name);
    try {
      const r = await upload('/api/v1/contacts/import', fd, setProgress);
      setProgress(1);
      els.progressText.textContent = 'Done';
      els.progress.setAttribute('aria-valuetext', 'Done');
      showReport(r || {});
      if (r && r.list_id) onImported(r.list_id);
    } catch (err) {
      els.progressText.textContent = 'Failed';
      els.progress.setAttribute('aria-valuetext', 'Failed');
      if (err.status !== 401) els.error.textContent = err.message;
      else els.error.textContent = 'Your session has ended. Sign in again and upload the file once more.';
    } finally {
      busy = false;
      els.submit.disabled = false;
    }
  }

  els.file.addEventListener('change', () => choose(els.file.files && els.file.files[0]));
  els.form.addEventListener('submit', (e) => { e.preventDefault(); send(); });

  for (const ev of ['dragenter', 'dragover']) {
    els.zone.addEventListener(ev, (e) => {
      if (!e.dataTransfer || !Array.from(e.dataTransfer.types || []).includes('Files')) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      els.zone.classList.add('dragging');
    });
  }
  for (const ev of ['dragleave', 'dragend']) {
    els.zone.addEventListener(ev, (e) => {
      if (ev === 'dragleave' && els.zone.contains(e.relatedTarget)) return;
      els.zone.classList.remove('dragging');
    });
  }
  els.zone.addEventListener('drop', (e) => {
    e.preventDefault();
    els.zone.classList.remove('dragging');
    const f = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
    if (!f) return;
    try {
      const dt = new DataTransfer();
      dt.items.add(f);
      els.file.files = dt.files;
    } catch { /* older browsers: keep our own reference */ }
    choose(f);
  });
  // A file dropped beside the zone must not make the browser leave the page.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());

  els.download.addEventListener('click', () => {
    const rows = [['Row', 'Column', 'Code', 'Reason']];
    for (const e of lastErrors) rows.push([e.row, e.column || '', e.code || '', e.message || '']);
    const blob = new Blob([toCsv(rows)], { type: 'text/csv;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `${(lastName || 'import').replace(/[^\w.-]+/g, '_')}-errors.csv`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });
}
