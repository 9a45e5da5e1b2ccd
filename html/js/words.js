// What the operator reads: call statuses, failure reasons, outcomes, times.

export const FINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

export const OUTCOMES = [
  ['connected', 'Connected'],
  ['voicemail', 'Voicemail'],
  ['no_answer', 'No answer'],
  ['not_interested', 'Not interested'],
  ['follow_up', 'Follow up'],
  ['wrong_number', 'Wrong number'],
  ['busy', 'Busy'],
  ['do_not_call', 'Do not call'],
];

const OUTCOME_WORDS = Object.fromEntries(OUTCOMES);

export function outcomeWords(o) {
  return o ? (OUTCOME_WORDS[o] || o.replace(/_/g, ' ')) : '';
}

const REASONS = {
  operator_not_connected: 'your microphone never connected',
  provider_error: 'the phone company refused the call',
  unreachable_number: 'the number cannot be reached',
  destination_not_allowed: 'calls to this destination are not allowed on this account',
  dial_unconfirmed: 'the call could not be confirmed',
  provider_unreachable: 'the call could not be confirmed',
  invalid_number: 'the number is not valid',
  number_invalid: 'the number is not valid',
};

export function reasonWords(r) {
  if (!r) return 'the call could not be completed';
  return REASONS[r] || r.replace(/_/g, ' ');
}

export function statusWords(call) {
  switch (call.status) {
    case 'queued':
    case 'initiated': return 'Connecting…';
    case 'ringing': return 'Ringing…';
    case 'in-progress': return 'Connected';
    case 'completed': return 'Ended';
    case 'busy': return 'Busy';
    case 'no-answer': return 'No answer';
    case 'canceled': return 'Canceled';
    case 'failed': return `Failed: ${reasonWords(call.failure_reason)}`;
    default: return call.status || '';
  }
}

export function contactStatusWords(s) {
  return s === 'called' ? 'Called' : s === 'not_called' ? 'Not called' : (s || '');
}

// 75 -> "01:15" (the running timer)
export function mmss(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

// 75 -> "1:15" (durations)
export function mss(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

// The server's duration, else answered -> ended; null when unknown.
export function callDuration(c) {
  if (c.duration_s !== null && c.duration_s !== undefined) return c.duration_s;
  if (c.answered_at && c.ended_at) {
    const d = (Date.parse(c.ended_at) - Date.parse(c.answered_at)) / 1000;
    if (Number.isFinite(d) && d >= 0) return d;
  }
  return null;
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateFmt.format(d);
}

const hmFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short' });

// A time in the operator's own zone: "15:00" when it falls on the day of
// `nowMs`, else "Wed 25 Nov 15:00".
export function clockTime(iso, nowMs = Date.now()) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const hm = hmFmt.format(d);
  return dayFmt.format(d) === dayFmt.format(new Date(nowMs)) ? hm : `${dayFmt.format(d)} ${hm}`;
}

// "14:05" in an IANA zone at `nowMs`; '' for a zone this browser does not know.
export function timeInZone(zone, nowMs = Date.now()) {
  if (!zone) return '';
  try {
    return new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone })
      .format(new Date(nowMs));
  } catch {
    return '';
  }
}

// E.164 for people: "+13125550100" -> "+1 312-555-0100" (North America);
// other countries keep the E.164 form, which is unambiguous.
export function phoneWords(e164) {
  if (!e164) return '';
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return m ? `+1 ${m[1]}-${m[2]}-${m[3]}` : e164;
}

const MATCH_WORDS = {
  area_code: 'local match',
  region: 'same region',
  default: 'default number',
};

// The caller ID a call goes out from, in words; '' when the server has not
// said (the provider then uses its own number).
export function callerIdWords(phone, match) {
  if (!phone) return match === 'none' || match === 'default' ? 'Calling from the provider\'s own number' : '';
  const why = MATCH_WORDS[match];
  return `Calling from ${phoneWords(phone)}${why ? ` (${why})` : ''}`;
}

// 14400 -> "4 h", 300 -> "5 min", 90 -> "1 min 30 s".
export function secondsWords(total) {
  const n = Math.max(0, Math.round(Number(total) || 0));
  const h = Math.floor(n / 3600);
  const m = Math.floor((n % 3600) / 60);
  const s = n % 60;
  const parts = [];
  if (h) parts.push(`${h} h`);
  if (m) parts.push(`${m} min`);
  if (s || !parts.length) parts.push(`${s} s`);
  return parts.join(' ');
}

// A dial the server refused, for the operator: the server's own sentence,
// and for calling hours when the window opens in the operator's time.
export function refusalWords(err, nowMs = Date.now()) {
  if (!err) return '';
  let text = err.message || 'The call was not placed.';
  if (err.code === 'outside_calling_hours') {
    const opens = err.details && err.details.opens_at;
    if (opens) text += ` Calls to this contact open again at ${clockTime(opens, nowMs)} your time.`;
  } else if (err.status === 429 && err.retryAfter) {
    text += ` (try again in ${err.retryAfter} s)`;
  }
  return text;
}

// Voice SDK error codes -> words. Never the bare code alone. Codes are
// @twilio/voice-sdk 2.x's (31208 is the 1.x name of 31401).
const MIC = [31208, 31401, 31402];
const SDK_ERRORS = [
  [MIC, 'Your microphone is blocked or unavailable. Allow microphone access for this site (the icon in the address bar), check it is plugged in, and try again.'],
  [[31003, 31005, 31009, 53000, 53001, 31000], 'The connection to the voice service was lost. Check your network and try again.'],
  [[20101, 20104, 20151, 31201, 31202, 31203, 31204, 31205, 31207, 31209, 20103, 20105, 20106, 20157], 'Your voice access token is invalid or has expired. Start the call again.'],
  [[31206], 'The voice service is limiting new connections. Wait a moment and try again.'],
  [[31001], 'The voice service is not set up for this dialer (its application was not found). Tell your administrator.'],
  [[31002, 31486, 31603], 'The call was declined.'],
  [[31008], 'The call was cancelled before it connected.'],
  [[31480, 31404], 'The call could not be put through.'],
  [[31100, 31101, 31102, 31103, 31104, 31105, 31107], 'The voice service could not understand the call request.'],
  [[31400, 31403], 'The voice service refused to connect you.'],
  [[53400, 53401, 53402, 53403, 53404, 53405, 53406, 53407], 'Your browser could not set up the audio connection (a firewall or network may block it).'],
];

function sdkCode(err) {
  return Number(err && (err.code ?? (err.twilioError && err.twilioError.code)));
}

export function sdkErrorWords(err) {
  const code = sdkCode(err);
  for (const [codes, words] of SDK_ERRORS) {
    if (codes.includes(code)) return `${words} (voice error ${code})`;
  }
  let base = 'The voice connection reported a problem';
  if (code >= 53000 && code < 54000) base = 'The audio connection had a problem';
  else if (code >= 20000 && code < 21000) base = 'The voice service rejected your credentials';
  else if (code >= 31000 && code < 32000) base = 'The voice connection had a problem';
  const msg = err && (err.description || err.explanation || err.message);
  return `${base}${msg ? `: ${msg}` : ''}${code ? ` (voice error ${code})` : ''}.`;
}

// The few words after "Failed: " when the operator's own leg never got in.
export function sdkFailWords(err) {
  const code = sdkCode(err);
  if (MIC.includes(code)) return 'microphone blocked';
  if ((code >= 53000 && code < 54000) || [31003, 31005, 31009].includes(code)) return 'no connection to the voice service';
  if ((code >= 20000 && code < 21000) || (code >= 31201 && code <= 31209)) return 'voice access refused';
  return 'your audio could not connect';
}

export const WARNING_WORDS = {
  'high-rtt': 'high delay',
  'high-jitter': 'choppy audio',
  'low-mos': 'poor call quality',
  'high-packet-loss': 'lost audio packets',
  'high-packets-lost-fraction': 'lost audio packets',
  'low-bytes-received': 'no audio arriving',
  'low-bytes-sent': 'no audio leaving',
  'ice-connectivity-lost': 'connection interrupted',
  'constant-audio-input-level': 'your microphone seems silent',
  'constant-audio-level': 'no sound from the call',
};

// @telnyx/webrtc's telnyx.error ({error, type?}) and userMediaError -> the
// same words as above (Telnyx has no numeric codes worth showing).
export function telnyxErrorWords(ev) {
  const err = (ev && ev.error) || ev || {};
  const name = String(err.name || '');
  const text = `${name} ${err.message || ''} ${(ev && ev.type) || ''} ${typeof err === 'string' ? err : ''}`;
  if (/NotAllowed|NotFound|NotReadable|Permission|microphone|getUserMedia|userMedia/i.test(text)) {
    return { message: SDK_ERRORS[0][1], reason: 'microphone blocked' };
  }
  if (/login|auth|token|credential|unauthori[sz]ed|-3200[01]/i.test(`${text} ${err.code || ''}`)) {
    return { message: 'Your voice login token is invalid or has expired. Start the call again.', reason: 'voice access refused' };
  }
  return { message: 'The connection to the voice service was lost. Check your network and try again.', reason: 'no connection to the voice service' };
}
