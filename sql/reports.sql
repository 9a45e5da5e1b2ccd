-- reports.sql: every report, for the sqlite3 shell.
--
--   sqlite3 -readonly var/dialer.db < sql/reports.sql
--
-- This file only reads. The views it reads (v_calls, v_outcomes_daily,
-- v_operator_daily, v_list_progress, v_followups) live in the migration
-- sql/003_reports.sql, so every database the programs have opened has
-- them and `sqlite3 -readonly var/dialer.db 'SELECT * FROM v_followups'`
-- works on its own. "Recent" means up to the latest day with calls, not
-- today, so a database from last month still shows its last weeks.
-- Days are UTC.

.headers on
.mode box
.nullvalue ''

.print
.print 'Outcomes by day, the last 10 days with calls (v_outcomes_daily)'
SELECT
  day,
  sum(calls)                                                         AS dials,
  sum(CASE outcome WHEN 'connected'      THEN calls ELSE 0 END)      AS connected,
  sum(CASE outcome WHEN 'follow_up'      THEN calls ELSE 0 END)      AS follow_up,
  sum(CASE outcome WHEN 'not_interested' THEN calls ELSE 0 END)      AS not_interested,
  sum(CASE outcome WHEN 'voicemail'      THEN calls ELSE 0 END)      AS voicemail,
  sum(CASE outcome WHEN 'no_answer'      THEN calls ELSE 0 END)      AS no_answer,
  sum(CASE outcome WHEN 'busy'           THEN calls ELSE 0 END)      AS busy,
  sum(CASE outcome WHEN 'wrong_number'   THEN calls ELSE 0 END)      AS wrong_number,
  sum(CASE outcome WHEN '(not logged)'   THEN calls ELSE 0 END)      AS not_logged
FROM v_outcomes_daily
WHERE day IN (SELECT DISTINCT day FROM v_outcomes_daily ORDER BY day DESC LIMIT 10)
GROUP BY day
ORDER BY day DESC;

.print
.print 'Operators over the last 5 days with calls (v_operator_daily; rates from the sums)'
SELECT
  operator,
  count(*)                                               AS days,
  sum(dials)                                             AS dials,
  sum(connects)                                          AS connects,
  round(100.0 * sum(connects) / sum(dials), 1)           AS connect_rate,
  sum(talk_s)                                            AS talk_s,
  round(sum(talk_s) / 3600.0, 1)                         AS talk_h,
  round(sum(active_h), 2)                                AS active_h,
  round(sum(dials) / sum(active_h), 1)                   AS calls_per_hour
FROM v_operator_daily
WHERE day IN (SELECT DISTINCT day FROM v_operator_daily ORDER BY day DESC LIMIT 5)
GROUP BY operator_id
ORDER BY dials DESC, operator;

.print
.print 'Operators on the latest day with calls (v_operator_daily)'
SELECT day, operator, dials, connects, connect_rate, talk_s, avg_talk_s, active_h,
       calls_per_hour
FROM v_operator_daily
WHERE day = (SELECT max(day) FROM v_operator_daily)
ORDER BY dials DESC, operator;

.print
.print 'Lists: contacts, dialed at least once, never dialed, last outcomes (v_list_progress)'
SELECT list_id, list_name, archived, contacts, called, remaining,
       connected, follow_up, not_interested, voicemail, no_answer, busy, wrong_number
FROM v_list_progress
ORDER BY archived, list_id;

.print
.print 'Call-backs due: last outcome follow_up, waiting longest first (v_followups; first 20)'
SELECT contact_name, company, phone, list_name, operator, called_at, notes
FROM v_followups
LIMIT 20;

.print
.print 'The latest 15 calls (v_calls)'
SELECT call_id, created_at, operator, list_name, contact_name, status, duration_s,
       outcome, notes
FROM v_calls
ORDER BY created_at DESC, call_id DESC
LIMIT 15;
