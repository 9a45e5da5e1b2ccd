// The API client: same-origin fetch, JSON in and out, the CSRF header on
// every state-changing request, error envelopes turned into ApiError.
// A 401 on anything but the login itself fires "unauthorized" on `events`.

let csrfToken = null;

export const events = new EventTarget();

export class ApiError extends Error {
  constructor(status, code, message, details = null, retryAfter = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter;
  }
}

export function setCsrf(token) {
  csrfToken = token || null;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function statusWords(status) {
  if (status === 0) return 'Cannot reach the server. Check your connection and try again.';
  if (status === 413) return 'The file is too large.';
  if (status === 429) return 'Too many requests. Wait a moment and try again.';
  if (status >= 500) return `The server had a problem (${status}). Try again.`;
  return `The request failed (${status}).`;
}

function toError(status, data, retryAfter) {
  const e = data && data.error;
  return new ApiError(status, (e && e.code) || `http_${status}`,
    (e && e.message) || statusWords(status), (e && e.details) || null, retryAfter);
}

function unauthorized(path) {
  if (!path.startsWith('/api/v1/auth/login')) {
    events.dispatchEvent(new CustomEvent('unauthorized'));
  }
}

async function refreshCsrf() {
  try {
    const res = await fetch('/api/v1/auth/me', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (!res.ok) return false;
    const data = await res.json();
    setCsrf(data.csrf_token);
    return true;
  } catch {
    return false;
  }
}

// request('POST', '/api/v1/calls', {body, headers, signal}) -> parsed JSON or null (204)
export async function request(method, path, opts = {}, retried = false) {
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  let body;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  if (MUTATING.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch(path, { method, credentials: 'same-origin', headers, body, signal: opts.signal, cache: 'no-store' });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', statusWords(0));
  }
  if (res.status === 204) return null;
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const err = toError(res.status, data, res.headers.get('Retry-After'));
    if (res.status === 401) unauthorized(path);
    // A stale CSRF token (another tab signed in again): refresh once, retry.
    if (res.status === 403 && err.code === 'csrf' && !retried && await refreshCsrf()) {
      return request(method, path, opts, true);
    }
    throw err;
  }
  return data;
}

export const get = (path, opts) => request('GET', path, opts);
export const post = (path, body, opts = {}) => request('POST', path, { ...opts, body });

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

// Multipart upload with progress (fetch has no upload progress).
// Resolves with the parsed report; rejects with ApiError.
export function upload(path, formData, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener('load', () => {
      let data = null;
      try { data = xhr.responseText ? JSON.parse(xhr.responseText) : null; } catch { data = null; }
      if (xhr.status >= 200 && xhr.status < 300) {
        if (onProgress) onProgress(1);
        resolve(data);
        return;
      }
      if (xhr.status === 401) unauthorized(path);
      reject(toError(xhr.status, data, xhr.getResponseHeader('Retry-After')));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network', statusWords(0))));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'aborted', 'The upload was cancelled.')));
    xhr.send(formData);
  });
}

export function randomKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
