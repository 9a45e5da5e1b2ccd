-- The calls in flight, for the limits every dial checks inside its write
-- transaction (DIALER_MAX_ACTIVE_CALLS_PER_USER, DIALER_MAX_ACTIVE_CALLS)
-- and for settling an operator's calls before a new one. Without it the
-- team-wide count read the whole calls table on every dial, and the
-- operator's read every call they ever made. The WHERE is calls.c's ACTIVE,
-- word for word: SQLite uses a partial index only for that same condition.
CREATE INDEX calls_active ON calls(operator_id)
    WHERE status IN ('queued', 'initiated', 'ringing', 'in-progress');
