-- 004_dialing: what a calling team needs beyond the seed's flow: the
-- do-not-call list, each contact's time zone for calling hours, callbacks
-- and retries, lead reservation on shared lists, and call recordings.
-- Times are UTC ISO-8601 text like every *_at column; the dialing rules
-- compare them as text, which orders them correctly.

-- Numbers never to dial. A dial to a listed number is refused (409
-- do_not_call); contacts imported with a listed number are kept and shown
-- as listed; the outcome do_not_call adds the contact's number here.
CREATE TABLE dnc (
  phone_e164 TEXT PRIMARY KEY,                  -- '+12025550143', as libphonenumber formats it
  reason     TEXT,                              -- why (at most 200 characters); NULL when none was given
  source     TEXT NOT NULL DEFAULT 'manual'
             CHECK (source IN ('manual', 'import', 'outcome')), -- added by hand, from a CSV, or by a logged call
  added_by   INTEGER REFERENCES users(id) ON DELETE SET NULL, -- who; NULL for the API key or dialerctl
  call_id    INTEGER REFERENCES calls(id) ON DELETE SET NULL, -- source 'outcome': the call logged do_not_call
  added_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) -- when
);

-- The contact's place in the queue.
ALTER TABLE contacts ADD COLUMN timezone TEXT;        -- IANA zone from the file's timezone column ('America/Chicago'); NULL: judged from the number
ALTER TABLE contacts ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0; -- calls logged for this contact
ALTER TABLE contacts ADD COLUMN callback_at TEXT;     -- follow_up: call back from then; cleared by the next logged call
ALTER TABLE contacts ADD COLUMN callback_by INTEGER REFERENCES users(id) ON DELETE SET NULL; -- whose callback it is (offered to them first)
ALTER TABLE contacts ADD COLUMN retry_at TEXT;        -- no_answer/busy with attempts left: back in the queue from then; NULL: not retried
ALTER TABLE contacts ADD COLUMN reserved_by INTEGER REFERENCES users(id) ON DELETE SET NULL; -- lead reservation: the operator holding the contact
ALTER TABLE contacts ADD COLUMN reserved_until TEXT;  -- ... until then; released when a call to it is logged
ALTER TABLE contacts ADD COLUMN skipped_until TEXT;   -- skipped in preview: offered to nobody before then
CREATE INDEX contacts_callback ON contacts(list_id, callback_at) WHERE callback_at IS NOT NULL;
CREATE INDEX contacts_retry ON contacts(list_id, retry_at) WHERE retry_at IS NOT NULL;
CREATE INDEX contacts_reserved ON contacts(reserved_by) WHERE reserved_by IS NOT NULL;

-- calls: the outcome do_not_call joins the seven, which needs a new CHECK,
-- so the table is rebuilt (SQLite's documented procedure; the migration
-- runner turns foreign keys off around it and checks them before commit).
-- legacy_alter_table keeps the rename from rewriting the views of 003,
-- which then read the new table under the old name.
CREATE TABLE calls_new (
  id                INTEGER PRIMARY KEY,        -- call id
  contact_id        INTEGER REFERENCES contacts(id) ON DELETE SET NULL, -- who was called; NULL for a bare number
  operator_id       INTEGER REFERENCES users(id) ON DELETE SET NULL,    -- who called; NULL for the API key
  provider          TEXT NOT NULL,              -- twilio, telnyx or sim
  conference_name   TEXT NOT NULL UNIQUE,       -- ours: 'cd-' + random, never guessable
  conference_sid    TEXT,                       -- the provider's conference id, once known
  call_sid          TEXT,                       -- the prospect's leg at the provider
  operator_call_sid TEXT,                       -- the operator's (browser) leg at the provider
  to_phone          TEXT NOT NULL,              -- E.164 number dialed
  from_phone        TEXT,                       -- E.164 caller id used (chosen from the local-presence pool, or the provider's default when NULL)
  status            TEXT NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'initiated', 'ringing', 'in-progress',
                                      'completed', 'busy', 'no-answer', 'failed', 'canceled')), -- network's view; only moves forward
  failure_reason    TEXT,                       -- why it failed: operator_not_connected, provider_error, ...
  outcome           TEXT CHECK (outcome IN ('connected', 'voicemail', 'no_answer', 'not_interested',
                                            'follow_up', 'wrong_number', 'busy', 'do_not_call')), -- the operator's conclusion
  notes             TEXT,                       -- the operator's notes (at most 4,000 characters)
  idempotency_key   TEXT,                       -- client's Idempotency-Key, if any
  created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), -- Dial clicked
  dialed_at         TEXT,                       -- provider accepted the prospect's leg
  answered_at       TEXT,                       -- prospect answered
  ended_at          TEXT,                       -- reached a final status
  duration_s        INTEGER,                    -- talk time in seconds, from the provider
  updated_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), -- last change
  dial_claimed_at   TEXT,                       -- when one request took the call's only right to dial the prospect
  status_asked_at   TEXT,                       -- when we last asked the provider about an overdue call
  operator_muted    INTEGER NOT NULL DEFAULT 0 CHECK (operator_muted IN (0, 1)), -- the operator's leg is muted
  contact_muted     INTEGER NOT NULL DEFAULT 0 CHECK (contact_muted IN (0, 1)),  -- the prospect's leg is muted
  on_hold           INTEGER NOT NULL DEFAULT 0 CHECK (on_hold IN (0, 1)),        -- the prospect is on hold
  callback_at       TEXT,                       -- follow_up: the callback time the operator gave
  recorded          INTEGER NOT NULL DEFAULT 0 CHECK (recorded IN (0, 1)), -- recording was on when dialed (consent announced)
  recording_sid     TEXT,                       -- the provider's recording id, from its recording callback
  recording_url     TEXT,                       -- where the provider keeps it (fetched with our credentials; never shown raw)
  recording_duration_s INTEGER                  -- its length in seconds
);
INSERT INTO calls_new (id, contact_id, operator_id, provider, conference_name, conference_sid,
  call_sid, operator_call_sid, to_phone, from_phone, status, failure_reason, outcome, notes,
  idempotency_key, created_at, dialed_at, answered_at, ended_at, duration_s, updated_at,
  dial_claimed_at, status_asked_at, operator_muted, contact_muted, on_hold)
SELECT id, contact_id, operator_id, provider, conference_name, conference_sid,
  call_sid, operator_call_sid, to_phone, from_phone, status, failure_reason, outcome, notes,
  idempotency_key, created_at, dialed_at, answered_at, ended_at, duration_s, updated_at,
  dial_claimed_at, status_asked_at, operator_muted, contact_muted, on_hold
FROM calls;
DROP TABLE calls;
PRAGMA legacy_alter_table = ON;
ALTER TABLE calls_new RENAME TO calls;
PRAGMA legacy_alter_table = OFF;
CREATE INDEX calls_operator ON calls(operator_id, created_at);
CREATE INDEX calls_contact ON calls(contact_id);
CREATE UNIQUE INDEX calls_idempotency ON calls(operator_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX calls_conference_sid ON calls(conference_sid);
CREATE INDEX calls_call_sid ON calls(call_sid);
CREATE INDEX calls_day ON calls(date(created_at));
CREATE INDEX calls_recording ON calls(recording_sid) WHERE recording_sid IS NOT NULL;

-- Contacts already logged before this migration: their attempts are the
-- calls logged for them.
UPDATE contacts SET attempts = (SELECT count(*) FROM calls k
  WHERE k.contact_id = contacts.id AND k.outcome IS NOT NULL);

-- Who to call back now has a time: due callbacks first, then the oldest.
DROP VIEW v_followups;
CREATE VIEW v_followups AS
SELECT
  ct.id                                 AS contact_id,
  ct.name                               AS contact_name,
  ct.company                            AS company,
  ct.phone_e164                         AS phone,
  l.id                                  AS list_id,
  l.name                                AS list_name,
  c.id                                  AS call_id,
  COALESCE(u.username, '(api key)')     AS operator,
  c.created_at                          AS called_at,
  ct.callback_at                        AS callback_at,
  c.notes                               AS notes
FROM contacts ct
JOIN contact_lists l ON l.id = ct.list_id
LEFT JOIN calls c ON c.id = (
  SELECT id FROM calls
  WHERE contact_id = ct.id AND outcome IS NOT NULL
  ORDER BY created_at DESC, id DESC LIMIT 1)
LEFT JOIN users u ON u.id = c.operator_id
WHERE ct.last_outcome = 'follow_up' AND l.archived_at IS NULL
ORDER BY ct.callback_at IS NULL, ct.callback_at, c.created_at, ct.id;
