-- 001_init: operators, sessions, contact lists, contacts, and the call log.
-- Times named *_at are UTC ISO-8601 text ('2026-11-24T09:30:00Z') so that the
-- sqlite3 shell and its date functions read them as they are; times the
-- programs only compare (session expiry, throttling) are Unix seconds.

-- People who log in: operators dial, admins also manage users and lists.
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,            -- stable user id
  username      TEXT NOT NULL UNIQUE COLLATE NOCASE, -- login name, unique regardless of case
  password_hash TEXT NOT NULL,                  -- 'scrypt$N$r$p$salt$hash' (base64); never the password
  role          TEXT NOT NULL DEFAULT 'operator'
                CHECK (role IN ('admin', 'operator')), -- what the user may do
  disabled      INTEGER NOT NULL DEFAULT 0
                CHECK (disabled IN (0, 1)),     -- 1: cannot log in; sessions ended
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), -- when added
  updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))  -- last change of role, password or disabled
);

-- Server-side login sessions. The cookie holds a random 256-bit token; only
-- its SHA-256 is stored, so a copy of the database cannot be used to log in.
CREATE TABLE sessions (
  id           INTEGER PRIMARY KEY,             -- session id (internal)
  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, -- who is logged in
  token_hash   BLOB NOT NULL UNIQUE,            -- SHA-256 of the cookie token
  created_unix INTEGER NOT NULL,                -- login time, Unix seconds
  seen_unix    INTEGER NOT NULL,                -- last request (updated at most once a minute)
  expires_unix INTEGER NOT NULL,                -- absolute end: created + DIALER_SESSION_MAX
  remote_addr  TEXT,                            -- client address at login (for the audit trail)
  user_agent   TEXT                             -- browser at login, truncated to 200 characters
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Failed logins, for throttling by username and by client address.
CREATE TABLE login_failures (
  id        INTEGER PRIMARY KEY,                -- row id
  kind      TEXT NOT NULL CHECK (kind IN ('user', 'addr')), -- what `key` is
  key       TEXT NOT NULL,                      -- lower-cased username, or client address
  at_unix   INTEGER NOT NULL                    -- when it failed, Unix seconds
);
CREATE INDEX login_failures_key ON login_failures(kind, key, at_unix);

-- One uploaded CSV file becomes one list.
CREATE TABLE contact_lists (
  id            INTEGER PRIMARY KEY,            -- list id
  name          TEXT NOT NULL,                  -- shown to operators; the file name unless given
  created_by    INTEGER REFERENCES users(id) ON DELETE SET NULL, -- uploader; NULL for the API key or dialerctl
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), -- upload time
  archived_at   TEXT,                           -- set by DELETE /api/v1/lists/{id}; archived lists are hidden
  contact_count INTEGER NOT NULL DEFAULT 0      -- contacts in the list (kept by the importer; contacts are never deleted one by one)
);

-- The people to call. Phone numbers are validated by libphonenumber on import.
CREATE TABLE contacts (
  id             INTEGER PRIMARY KEY,           -- contact id
  list_id        INTEGER NOT NULL REFERENCES contact_lists(id) ON DELETE CASCADE, -- the list it came in
  source_row     INTEGER NOT NULL,              -- its row in the uploaded file (header = row 1)
  name           TEXT NOT NULL,                 -- person's name (never empty)
  company        TEXT NOT NULL,                 -- company (never empty)
  title          TEXT,                          -- job title, NULL when the file had none
  phone_e164     TEXT NOT NULL,                 -- '+12025550143': what we dial
  phone_raw      TEXT NOT NULL,                 -- the number as the file wrote it
  phone_national TEXT NOT NULL,                 -- '(202) 555-0143': what the page shows
  region         TEXT NOT NULL,                 -- ISO 3166-1 alpha-2 region of the number ('US'; '001' non-geographic)
  phone_type     TEXT NOT NULL,                 -- libphonenumber's type: mobile, fixed_line, toll_free, ...
  status         TEXT NOT NULL DEFAULT 'not_called', -- not_called, then what calling did (set by call logging)
  last_outcome   TEXT,                          -- the operator's last logged outcome (connected, voicemail, ...)
  last_called_at TEXT,                          -- when it was last dialed
  created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), -- import time
  UNIQUE (list_id, phone_e164)                  -- one contact per number per list
);
-- (list_id) alone keeps a list's rows in id order for paging without a sort.
CREATE INDEX contacts_list ON contacts(list_id);
CREATE INDEX contacts_list_status ON contacts(list_id, status);
CREATE INDEX contacts_phone ON contacts(phone_e164);

-- One row per dial attempt (see shared design: call-lifecycle.md). Filled by
-- the calls endpoints and the provider webhooks.
CREATE TABLE calls (
  id                INTEGER PRIMARY KEY,        -- call id
  contact_id        INTEGER REFERENCES contacts(id) ON DELETE SET NULL, -- who was called; NULL for a bare number
  operator_id       INTEGER REFERENCES users(id) ON DELETE SET NULL,    -- who called; NULL for the API key
  provider          TEXT NOT NULL,              -- twilio, telnyx or sim
  conference_name   TEXT NOT NULL UNIQUE,       -- ours: 'cd-' + random, never guessable
  conference_sid    TEXT,                       -- the provider's conference id, once known
  call_sid          TEXT,                       -- the prospect's leg at the provider
  operator_call_sid TEXT,                       -- the operator's (browser) leg at the provider
  to_phone          TEXT NOT NULL,              -- E.164 number dialed
  from_phone        TEXT,                       -- E.164 caller id used
  status            TEXT NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'initiated', 'ringing', 'in-progress',
                                      'completed', 'busy', 'no-answer', 'failed', 'canceled')), -- network's view; only moves forward
  failure_reason    TEXT,                       -- why it failed: operator_not_connected, provider_error, ...
  outcome           TEXT CHECK (outcome IN ('connected', 'voicemail', 'no_answer', 'not_interested',
                                            'follow_up', 'wrong_number', 'busy')), -- the operator's conclusion
  notes             TEXT,                       -- the operator's notes (at most 4,000 characters)
  idempotency_key   TEXT,                       -- client's Idempotency-Key, if any
  created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), -- Dial clicked
  dialed_at         TEXT,                       -- provider accepted the prospect's leg
  answered_at       TEXT,                       -- prospect answered
  ended_at          TEXT,                       -- reached a final status
  duration_s        INTEGER,                    -- talk time in seconds, from the provider
  updated_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))  -- last change
);
CREATE INDEX calls_operator ON calls(operator_id, created_at);
CREATE INDEX calls_contact ON calls(contact_id);
CREATE UNIQUE INDEX calls_idempotency ON calls(operator_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- Every raw provider event, kept: the history that explains each status change.
CREATE TABLE call_events (
  id          INTEGER PRIMARY KEY,              -- event row id
  call_id     INTEGER REFERENCES calls(id) ON DELETE CASCADE, -- the call it belongs to, when known
  provider    TEXT NOT NULL,                    -- who sent it
  event_key   TEXT NOT NULL,                    -- provider's event id, or a hash of the body: makes repeats no-ops
  event_type  TEXT NOT NULL,                    -- e.g. 'call.ringing', 'participant-join'
  received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), -- when it arrived
  body        TEXT NOT NULL,                    -- the raw event as received
  UNIQUE (provider, event_key)
);
CREATE INDEX call_events_call ON call_events(call_id);
