-- Provider webhooks: find a call by the provider's conference or leg id,
-- and make sure the prospect is dialed at most once however often (or
-- however concurrently) the operator-join event is delivered. And the
-- call controls' state, so a reloaded page shows it.
ALTER TABLE calls ADD COLUMN dial_claimed_at TEXT; -- when one request took the call's only right to dial the prospect
ALTER TABLE calls ADD COLUMN status_asked_at TEXT; -- when we last asked the provider about an overdue call (asked at most every few seconds)
CREATE INDEX calls_conference_sid ON calls(conference_sid);
CREATE INDEX calls_call_sid ON calls(call_sid);
ALTER TABLE calls ADD COLUMN operator_muted INTEGER NOT NULL DEFAULT 0 CHECK (operator_muted IN (0, 1)); -- the operator's leg is muted
ALTER TABLE calls ADD COLUMN contact_muted INTEGER NOT NULL DEFAULT 0 CHECK (contact_muted IN (0, 1)); -- the prospect's leg is muted
ALTER TABLE calls ADD COLUMN on_hold INTEGER NOT NULL DEFAULT 0 CHECK (on_hold IN (0, 1)); -- the prospect is on hold
