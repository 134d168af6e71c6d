-- One-stop KPIs (contract 4.1).
--
-- onestop_kpi_facts holds, for every accepted dossier, what the counts need:
-- the instants, the outcome of a resolved dossier, and what decides, at any
-- period end t, whether an open one is paused, overdue or apologised for.
-- onestop_kpi_periods holds the counts of every calendar month (kind
-- 'month') and every Decree 09/2019 reporting period (kind 'report', the
-- 15th of the previous month to the 14th) per agency and sector. Both are
-- tables: the warehouse rebuilds them from the *_src views below when the
-- lake's snapshot files change (Warehouse.Refresh), so a month's KPIs are a
-- lookup instead of the current-state rule over every snapshot.

-- Working days from received_at to end_at come from calendar_days.
CREATE VIEW onestop_kpi_facts_src AS
SELECT
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
FROM dossier_state d
LEFT JOIN dim_sector s ON s.sector_code = d.sector_code
LEFT JOIN calendar_days cr ON cr.date = local_date(d.received_at)
LEFT JOIN calendar_days ce ON ce.date = local_date(d.end_at)
WHERE d.accepted;

CREATE TABLE onestop_kpi_facts AS SELECT * FROM onestop_kpi_facts_src LIMIT 0;

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

CREATE VIEW onestop_kpi_periods_src AS
WITH kinds AS (
  SELECT * FROM (VALUES ('month'), ('report')) k(kind)
), span AS MATERIALIZED (
  -- From the first reception to the last reception or end.
  SELECT kinds.kind,
         onestop_period_of(kinds.kind, local_date(l.r0)) AS k0,
         greatest(onestop_period_of(kinds.kind, local_date(l.r1)), coalesce(onestop_period_of(kinds.kind, local_date(l.e1)), 0)) AS k1
  FROM kinds, (SELECT min(received_at) AS r0, max(received_at) AS r1, max(end_at) AS e1 FROM onestop_kpi_facts) l
  WHERE l.r0 IS NOT NULL
), f AS (
  SELECT span.kind, span.k1, f.*,
         onestop_period_of(span.kind, local_date(f.received_at)) AS kr,
         onestop_period_of(span.kind, local_date(f.end_at)) AS ke
  FROM onestop_kpi_facts f, span
), bounds AS (
  -- t1: the end of period k.
  SELECT span.kind, k.k, onestop_period_start(span.kind, k.k + 1) AS t1
  FROM span, range(span.k0, span.k1 + 2) k(k)
), e AS (
  -- One row per dossier and period from its reception (or end, if
  -- earlier) to the period after the last one it is open at the end of:
  -- received in kr, resolved in ke, open at the end of kr..ko, carried
  -- over into kr+1..ko+1.
  SELECT f.*, b.t1,
         f.k = f.kr AS is_received,
         f.k = f.ke AS is_resolved,
         f.k >= f.kr AND f.k <= f.ko AS is_open,
         f.k > f.kr AND f.k <= f.ko + 1 AS is_carried
  FROM (
    SELECT f.*, unnest(range(least(f.kr, coalesce(f.ke, f.kr)), greatest(f.ko + 1, f.kr) + 1)) AS k
    FROM (SELECT f.*, coalesce(f.ke, f.k1 + 1) - 1 AS ko FROM f) f
  ) f
  JOIN bounds b ON b.kind = f.kind AND b.k = f.k
), g AS (
  SELECT *,
    is_open AND pauses IS NOT NULL AND onestop_paused_at(pauses, t1) AS paused,
    is_open AND onestop_overdue_at(effective_due_at, second_supplement_at, t1) AS overdue,
    coalesce(first_apology_at < t1, false) AS apologized
  FROM e
)
SELECT g.kind, onestop_period_label(g.k) AS period, agency_code, sector_code, sector_group,
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
  count(*) FILTER (WHERE paused) AS open_paused,
  count(*) FILTER (WHERE NOT paused AND overdue) AS open_overdue,
  count(*) FILTER (WHERE is_open AND NOT paused AND NOT overdue) AS open_within,
  count(*) FILTER (WHERE (is_resolved AND outcome = 2) OR (NOT paused AND overdue)) AS late_total,
  count(*) FILTER (WHERE ((is_resolved AND outcome = 2) OR (NOT paused AND overdue)) AND apologized) AS late_apologized,
  coalesce(CAST(sum(processing_workdays) FILTER (WHERE is_resolved) AS BIGINT), 0) AS processing_workdays_total,
  count(processing_workdays) FILTER (WHERE is_resolved) AS processing_workdays_n
FROM g JOIN span ON span.kind = g.kind AND g.k BETWEEN span.k0 AND span.k1
GROUP BY ALL
ORDER BY 1, 2, 3, 4;

CREATE TABLE onestop_kpi_periods AS SELECT * FROM onestop_kpi_periods_src LIMIT 0;

-- The rates and the average come from the counts, NULL when the denominator
-- is 0. processing_workdays_total (the sum behind avg_processing_workdays)
-- lets a reader average over several agencies or sectors.
CREATE VIEW kpi_onestop_monthly AS
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
WHERE kind = 'month';

CREATE VIEW kpi_onestop_report_monthly AS
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
WHERE kind = 'report';

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
