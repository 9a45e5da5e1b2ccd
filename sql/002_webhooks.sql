-- Provider webhooks: find a call by the provider's conference or leg id,
-- and make sure the prospect is dialed at most once however often (or
-- however concurrently) the operator-join event is delivered.
ALTER TABLE calls ADD COLUMN dial_claimed_at TEXT; -- when one request took the call's only right to dial the prospect
ALTER TABLE calls ADD COLUMN status_asked_at TEXT; -- when we last asked the provider about an overdue call (asked at most every few seconds)
CREATE INDEX calls_conference_sid ON calls(conference_sid);
CREATE INDEX calls_call_sid ON calls(call_sid);
