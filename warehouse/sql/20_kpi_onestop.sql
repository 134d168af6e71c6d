-- One-stop KPIs (contract 4.1).
--
-- Three tables hold what the KPIs read, so that a month's KPIs are a lookup
-- instead of the current-state rule over every snapshot. The warehouse
-- (materialize.go) builds them from the *_src views below, keeps them in
-- <lake>/_cache between processes, and, when a batch only added files,
-- updates them from the new snapshots alone:
--   onestop_dossier_facts  one row per dossier: its current state's packed
--                          order (state_hi, state_lo) and what the counts
--                          need: the instants, the outcome of a resolved
--                          dossier, and what decides, at any period end t,
--                          whether an open one is paused, overdue or
--                          apologised for;
--   onestop_kpi_span       per period kind, the periods k0..k1 the counts
--                          cover;
--   onestop_kpi_periods    the counts of every calendar month (kind
--                          'month') and every Decree 09/2019 reporting
--                          period (kind 'report', the 15th of the previous
--                          month to the 14th) per agency and sector.

-- onestop_dossier_facts_of(rel): the facts of the current-state rows of rel
-- (with their state_key, as onestop_current_of returns them). Working days
-- from received_at to end_at come from calendar_days.
CREATE MACRO onestop_dossier_facts_of(rel) AS TABLE
SELECT
  d.dossier_code,
  -- (Shifts and masks: HUGEINT division is slow.)
  CAST(d.state_key >> 63 AS BIGINT) AS state_hi,
  CAST(d.state_key & 9223372036854775807 AS BIGINT) AS state_lo,
  d.accepted,
  d.agency_code, d.sector_code,
  coalesce(s.sector_group, sector_group_of(d.sector_code)) AS sector_group,
  CAST(d.channel AS UTINYINT) AS channel,
  d.received_at, d.end_at, d.effective_due_at,
  -- Outcome of a resolved dossier: 2 late, 1 early, 0 on time.
  CAST(CASE WHEN d.end_at IS NULL THEN NULL
            WHEN d.supplement_count >= 2 OR coalesce(d.end_at > d.effective_due_at, false) THEN 2
            WHEN coalesce(local_date(d.end_at) < local_date(d.effective_due_at), false) THEN 1
            ELSE 0 END AS UTINYINT) AS outcome,
  -- The second supplement request: from then on the dossier is overdue.
  CASE WHEN d.supplement_count >= 2 THEN
    list_sort(list_filter(list_transform(d.supplements, x -> x.requested_at), x -> x IS NOT NULL))[2]
  END AS second_supplement_at,
  -- Supplement requests: paused at t while one was requested before t and
  -- not received before t.
  CASE WHEN d.supplement_count > 0 THEN
    list_transform(list_filter(d.supplements, x -> x.requested_at IS NOT NULL),
                   x -> {'requested_at': x.requested_at, 'received_at': x.received_at})
  END AS pauses,
  CASE WHEN d.apology_count > 0 THEN list_min(list_transform(d.apologies, x -> x.apology_at)) END AS first_apology_at,
  ce.workday_seq - cr.workday_seq AS processing_workdays
FROM onestop_state_of(rel) d
LEFT JOIN dim_sector s ON s.sector_code = d.sector_code
LEFT JOIN calendar_days cr ON cr.date = local_date(d.received_at)
LEFT JOIN calendar_days ce ON ce.date = local_date(d.end_at);

CREATE VIEW onestop_dossier_facts_src AS SELECT * FROM onestop_dossier_facts_of('dossier_current_keyed');

CREATE TABLE onestop_dossier_facts AS SELECT * FROM onestop_dossier_facts_src WHERE false;

-- onestop_kpi_facts: the facts of every accepted dossier, what kpi_onestop
-- counts.
CREATE VIEW onestop_kpi_facts AS
SELECT * EXCLUDE (dossier_code, state_hi, state_lo, accepted)
FROM onestop_dossier_facts
WHERE accepted;

-- The state of an open dossier at a period end t.
CREATE MACRO onestop_paused_at(pauses, t) AS
  coalesce(list_bool_or(list_transform(pauses, x -> x.requested_at < t AND (x.received_at IS NULL OR x.received_at >= t))), false);
CREATE MACRO onestop_overdue_at(effective_due_at, second_supplement_at, t) AS
  coalesce(effective_due_at < t, false) OR coalesce(second_supplement_at < t, false);

-- Periods are numbered k = 12 * year + month - 1 of the month they end in;
-- a calendar month starts on the 1st, a reporting period on the 15th of the
-- month before, at 00:00 Asia/Ho_Chi_Minh (the session time zone).
CREATE MACRO onestop_period_of(kind, d) AS
  CAST(year(d) * 12 + month(d) - 1 + CASE WHEN kind = 'report' AND day(d) >= 15 THEN 1 ELSE 0 END AS INTEGER);
CREATE MACRO onestop_period_start(kind, k) AS
  CASE WHEN kind = 'report' THEN make_timestamptz(CAST((k - 1) // 12 AS BIGINT), CAST((k - 1) % 12 + 1 AS BIGINT), 15, 0, 0, 0)
       ELSE make_timestamptz(CAST(k // 12 AS BIGINT), CAST(k % 12 + 1 AS BIGINT), 1, 0, 0, 0) END;
CREATE MACRO onestop_period_label(k) AS
  printf('%04d-%02d', k // 12, k % 12 + 1);

-- The periods counted: from the first reception to the last reception or
-- end. k1_before is k1 but while an incremental refresh merges new counts
-- into onestop_kpi_periods: then it is the k1 the table was counted up to.
CREATE VIEW onestop_kpi_span_src AS
SELECT *, k1 AS k1_before FROM (
  SELECT kinds.kind,
         onestop_period_of(kinds.kind, local_date(l.r0)) AS k0,
         greatest(onestop_period_of(kinds.kind, local_date(l.r1)), coalesce(onestop_period_of(kinds.kind, local_date(l.e1)), 0)) AS k1
  FROM (VALUES ('month'), ('report')) kinds(kind),
       (SELECT min(received_at) AS r0, max(received_at) AS r1, max(end_at) AS e1 FROM onestop_kpi_facts) l
  WHERE l.r0 IS NOT NULL
);

CREATE TABLE onestop_kpi_span AS SELECT * FROM onestop_kpi_span_src WHERE false;

-- onestop_kpi_period_counts(rel, part, sign): sign times the counts the
-- accepted dossiers of rel (rows of onestop_dossier_facts) contribute to
-- the periods of onestop_kpi_span: all of them (part 'all'), those up to
-- k1_before ('old') or those after it ('new'). The counts are additive over
-- dossiers: the table is the sum over every dossier, and an incremental
-- refresh adds the changed dossiers' new contributions, subtracts their old
-- ones, and adds the new periods' counts.
CREATE MACRO onestop_kpi_period_counts(rel, part, sign) AS TABLE
WITH d AS (
  -- For the new periods, only the dossiers that may have a row in one: open,
  -- or received or ended since the earliest start of a new period.
  SELECT * FROM query_table(rel)
  WHERE accepted AND (part <> 'new' OR end_at IS NULL
    OR greatest(received_at, end_at) >= (SELECT min(onestop_period_start(kind, k1_before + 1)) FROM onestop_kpi_span))
), f AS (
  SELECT span.kind, span.k0, span.k1, span.k1_before, d.*,
         onestop_period_of(span.kind, local_date(d.received_at)) AS kr,
         onestop_period_of(span.kind, local_date(d.end_at)) AS ke
  FROM d, onestop_kpi_span span
), r AS (
  -- A dossier has a row for every period from its reception (or end, if
  -- earlier) to the period after the last one it is open at the end of:
  -- received in kr, resolved in ke, open at the end of kr..ko, carried
  -- over into kr+1..ko+1.
  SELECT *, coalesce(ke, k1 + 1) - 1 AS ko,
         least(kr, coalesce(ke, kr)) AS k_first,
         greatest(coalesce(ke, k1 + 1), kr) AS k_last
  FROM f
), p AS (
  -- Only the rows of the span and of the part asked for.
  SELECT *,
         greatest(k_first, k0, CASE WHEN part = 'new' THEN k1_before + 1 END) AS k_lo,
         least(k_last, k1, CASE WHEN part = 'old' THEN k1_before END) AS k_hi
  FROM r
), bounds AS (
  -- t1: the end of period k.
  SELECT span.kind, k.k, onestop_period_start(span.kind, k.k + 1) AS t1
  FROM onestop_kpi_span span, range(span.k0, span.k1 + 2) k(k)
), e AS (
  SELECT f.*, b.t1,
         f.k = f.kr AS is_received,
         f.k = f.ke AS is_resolved,
         f.k >= f.kr AND f.k <= f.ko AS is_open,
         f.k > f.kr AND f.k <= f.ko + 1 AS is_carried
  FROM (SELECT p.*, unnest(range(p.k_lo, p.k_hi + 1)) AS k FROM p WHERE p.k_lo <= p.k_hi) f
  JOIN bounds b ON b.kind = f.kind AND b.k = f.k
), g AS (
  SELECT *,
    is_open AND pauses IS NOT NULL AND onestop_paused_at(pauses, t1) AS paused,
    is_open AND onestop_overdue_at(effective_due_at, second_supplement_at, t1) AS overdue,
    coalesce(first_apology_at < t1, false) AS apologized
  FROM e
)
SELECT g.kind, onestop_period_label(g.k) AS period, agency_code, sector_code, sector_group,
  sign * count(*) FILTER (WHERE is_received) AS received,
  sign * count(*) FILTER (WHERE is_received AND channel = 2) AS received_online,
  sign * count(*) FILTER (WHERE is_received AND (channel = 1 OR channel IS NULL)) AS received_direct,
  sign * count(*) FILTER (WHERE is_received AND channel = 3) AS received_postal,
  sign * count(*) FILTER (WHERE is_carried) AS carried_over,
  sign * count(*) FILTER (WHERE is_resolved) AS resolved,
  sign * count(*) FILTER (WHERE is_resolved AND outcome = 1) AS resolved_early,
  sign * count(*) FILTER (WHERE is_resolved AND outcome = 0) AS resolved_on_time,
  sign * count(*) FILTER (WHERE is_resolved AND outcome = 2) AS resolved_late,
  sign * count(*) FILTER (WHERE is_open) AS open_end,
  sign * count(*) FILTER (WHERE paused) AS open_paused,
  sign * count(*) FILTER (WHERE NOT paused AND overdue) AS open_overdue,
  sign * count(*) FILTER (WHERE is_open AND NOT paused AND NOT overdue) AS open_within,
  sign * count(*) FILTER (WHERE (is_resolved AND outcome = 2) OR (NOT paused AND overdue)) AS late_total,
  sign * count(*) FILTER (WHERE ((is_resolved AND outcome = 2) OR (NOT paused AND overdue)) AND apologized) AS late_apologized,
  sign * coalesce(CAST(sum(processing_workdays) FILTER (WHERE is_resolved) AS BIGINT), 0) AS processing_workdays_total,
  sign * count(processing_workdays) FILTER (WHERE is_resolved) AS processing_workdays_n
FROM g
GROUP BY ALL;

-- A row for each (period, agency, sector) with a non-zero count (every
-- other count is a part of one of these four).
CREATE MACRO onestop_kpi_counted(received, carried_over, resolved, open_end) AS
  received <> 0 OR carried_over <> 0 OR resolved <> 0 OR open_end <> 0;

CREATE VIEW onestop_kpi_periods_src AS
SELECT * FROM onestop_kpi_period_counts('onestop_dossier_facts', 'all', 1)
WHERE onestop_kpi_counted(received, carried_over, resolved, open_end)
ORDER BY 1, 2, 3, 4;

CREATE TABLE onestop_kpi_periods AS SELECT * FROM onestop_kpi_periods_src WHERE false;

-- An incremental refresh merges the contributions it counted (some of them
-- negative) into onestop_kpi_periods: onestop_kpi_periods_touched(rel) are
-- the rowids of the table's rows of the periods, agencies and sectors rel
-- has counts for, and onestop_kpi_periods_sum(rel) sums rows per period,
-- agency and sector, keeping those with a count.
CREATE MACRO onestop_kpi_periods_touched(rel) AS TABLE
SELECT p.rowid AS row_id
FROM onestop_kpi_periods p
SEMI JOIN query_table(rel) d
  ON p.kind = d.kind AND p.period = d.period
 AND p.agency_code IS NOT DISTINCT FROM d.agency_code
 AND p.sector_code IS NOT DISTINCT FROM d.sector_code
 AND p.sector_group IS NOT DISTINCT FROM d.sector_group;

CREATE MACRO onestop_kpi_periods_sum(rel) AS TABLE
SELECT kind, period, agency_code, sector_code, sector_group,
  CAST(sum(received) AS BIGINT) AS received,
  CAST(sum(received_online) AS BIGINT) AS received_online,
  CAST(sum(received_direct) AS BIGINT) AS received_direct,
  CAST(sum(received_postal) AS BIGINT) AS received_postal,
  CAST(sum(carried_over) AS BIGINT) AS carried_over,
  CAST(sum(resolved) AS BIGINT) AS resolved,
  CAST(sum(resolved_early) AS BIGINT) AS resolved_early,
  CAST(sum(resolved_on_time) AS BIGINT) AS resolved_on_time,
  CAST(sum(resolved_late) AS BIGINT) AS resolved_late,
  CAST(sum(open_end) AS BIGINT) AS open_end,
  CAST(sum(open_paused) AS BIGINT) AS open_paused,
  CAST(sum(open_overdue) AS BIGINT) AS open_overdue,
  CAST(sum(open_within) AS BIGINT) AS open_within,
  CAST(sum(late_total) AS BIGINT) AS late_total,
  CAST(sum(late_apologized) AS BIGINT) AS late_apologized,
  CAST(sum(processing_workdays_total) AS BIGINT) AS processing_workdays_total,
  CAST(sum(processing_workdays_n) AS BIGINT) AS processing_workdays_n
FROM query_table(rel)
GROUP BY ALL
HAVING onestop_kpi_counted(sum(received), sum(carried_over), sum(resolved), sum(open_end))
ORDER BY 1, 2, 3, 4;

-- The rates and the average come from the counts, NULL when the denominator
-- is 0. processing_workdays_total (the sum behind avg_processing_workdays)
-- lets a reader average over several agencies or sectors.
-- The per-period KPI rows of one kind of period ('month' or 'report').
CREATE MACRO kpi_onestop_periods_of(k) AS TABLE
SELECT period AS month, agency_code, sector_code, sector_group,
       received, received_online, received_direct, received_postal, carried_over,
       resolved, resolved_early, resolved_on_time, resolved_late,
       open_end, open_paused, open_overdue, open_within, late_total, late_apologized,
       (resolved_early + resolved_on_time) / nullif(resolved, 0) AS on_time_rate,
       (resolved_early + resolved_on_time + open_within + open_paused) / nullif(resolved + open_end, 0) AS progress_rate_766,
       received_online / nullif(received, 0) AS online_share,
       late_apologized / nullif(late_total, 0) AS apology_rate,
       processing_workdays_total / nullif(processing_workdays_n, 0) AS avg_processing_workdays,
       processing_workdays_total
FROM onestop_kpi_periods
WHERE kind = k;

CREATE VIEW kpi_onestop_monthly AS SELECT * FROM kpi_onestop_periods_of('month');

CREATE VIEW kpi_onestop_report_monthly AS SELECT * FROM kpi_onestop_periods_of('report');

-- Any period [from_date, to_date): dates (or timestamps) taken in the
-- session time zone, so DATE '2024-05-01' is 00:00 local. (Nested
-- subqueries rather than WITH, so that LATERAL calls may pass columns.)
CREATE MACRO kpi_onestop(from_date, to_date) AS TABLE
SELECT agency_code, sector_code, sector_group,
       received, received_online, received_direct, received_postal, carried_over,
       resolved, resolved_early, resolved_on_time, resolved_late,
       open_end, open_paused, open_overdue, open_end - open_paused - open_overdue AS open_within,
       resolved_late + open_overdue AS late_total,
       late_apologized,
       (resolved_early + resolved_on_time) / nullif(resolved, 0) AS on_time_rate,
       (resolved_early + resolved_on_time + open_end - open_overdue) / nullif(resolved + open_end, 0) AS progress_rate_766,
       received_online / nullif(received, 0) AS online_share,
       late_apologized / nullif(resolved_late + open_overdue, 0) AS apology_rate,
       processing_workdays_total / nullif(processing_workdays_n, 0) AS avg_processing_workdays,
       processing_workdays_total
FROM (
  SELECT agency_code, sector_code, sector_group,
    count(*) FILTER (WHERE is_received) AS received,
    count(*) FILTER (WHERE is_received AND channel = 2) AS received_online,
    count(*) FILTER (WHERE is_received AND (channel = 1 OR channel IS NULL)) AS received_direct,
    count(*) FILTER (WHERE is_received AND channel = 3) AS received_postal,
    count(*) FILTER (WHERE is_carried) AS carried_over,
    count(*) FILTER (WHERE is_resolved) AS resolved,
    count(*) FILTER (WHERE is_resolved AND outcome = 1) AS resolved_early,
    count(*) FILTER (WHERE is_resolved AND outcome = 0) AS resolved_on_time,
    count(*) FILTER (WHERE is_resolved AND outcome = 2) AS resolved_late,
    count(*) FILTER (WHERE is_open) AS open_end,
    count(*) FILTER (WHERE is_open AND paused) AS open_paused,
    count(*) FILTER (WHERE is_open AND NOT paused AND overdue) AS open_overdue,
    count(*) FILTER (WHERE (is_resolved AND outcome = 2 OR is_open AND NOT paused AND overdue) AND apologized) AS late_apologized,
    coalesce(CAST(sum(processing_workdays) FILTER (WHERE is_resolved) AS BIGINT), 0) AS processing_workdays_total,
    count(processing_workdays) FILTER (WHERE is_resolved) AS processing_workdays_n
  FROM (
    SELECT agency_code, sector_code, sector_group, channel, outcome, processing_workdays,
      received_at >= CAST(from_date AS TIMESTAMPTZ) AND received_at < CAST(to_date AS TIMESTAMPTZ) AS is_received,
      received_at < CAST(from_date AS TIMESTAMPTZ) AND (end_at IS NULL OR end_at >= CAST(from_date AS TIMESTAMPTZ)) AS is_carried,
      end_at >= CAST(from_date AS TIMESTAMPTZ) AND end_at < CAST(to_date AS TIMESTAMPTZ) AS is_resolved,
      received_at < CAST(to_date AS TIMESTAMPTZ) AND (end_at IS NULL OR end_at >= CAST(to_date AS TIMESTAMPTZ)) AS is_open,
      pauses IS NOT NULL AND onestop_paused_at(pauses, p.t1) AS paused,
      onestop_overdue_at(effective_due_at, second_supplement_at, CAST(to_date AS TIMESTAMPTZ)) AS overdue,
      coalesce(first_apology_at < CAST(to_date AS TIMESTAMPTZ), false) AS apologized
    -- (A lambda may not capture a LATERAL caller's column: p.t1 is local.)
    FROM onestop_kpi_facts, (SELECT CAST(to_date AS TIMESTAMPTZ) AS t1) p
    WHERE (received_at < CAST(to_date AS TIMESTAMPTZ) AND (end_at IS NULL OR end_at >= CAST(from_date AS TIMESTAMPTZ)))
       OR (end_at >= CAST(from_date AS TIMESTAMPTZ) AND end_at < CAST(to_date AS TIMESTAMPTZ))
  )
  GROUP BY ALL
)
ORDER BY agency_code, sector_code;
