// The time the dialing rules judge by is the server's (a test server may
// run on a test clock days away from this browser's). Answers that carry
// "now" (settings, callbacks) set the offset; local times, "due since" and
// "in the future" checks on the page read serverNow().

let offset = 0;

export function noteServerNow(iso) {
  const t = Date.parse(iso || '');
  if (Number.isFinite(t)) offset = t - Date.now();
}

export function serverNow() {
  return Date.now() + offset;
}
