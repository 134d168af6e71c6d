-- eGov electronic document exchange (contract 2.3 and 4.2).
--
-- The lake's rows, one per package received (replays included), are the
-- views lake_egov_documents and lake_egov_status; the contract views
-- egov_documents and egov_status are their cleaned state. The KPIs read
-- egov_documents and, for statuses, egov_doc_agency, which applies the
-- rule of egov_status in one aggregation.

-- egov_documents: one row per DocumentId. A document package may arrive
-- again (a replay, or an update/replacement with BussinessDocType 2 or 3
-- under the same DocumentId): the latest package stands, by (Kafka
-- timestamp, partition, offset). A revoke package (BussinessDocType 1)
-- never replaces the document it revokes: what was sent stays what was
-- sent. package_count is the number of packages received for the id.
CREATE VIEW egov_documents AS
SELECT * EXCLUDE (rn) FROM (
  SELECT d.*,
         count(*) OVER (PARTITION BY document_id) AS package_count,
         row_number() OVER (
           PARTITION BY document_id
           ORDER BY coalesce(business_doc_type, 0) = 1,
                    kafka_timestamp DESC, kafka_partition DESC, kafka_offset DESC) AS rn
  FROM lake_egov_documents d
) WHERE rn = 1;

-- egov_status: one row per (document_id, organ_id, status_code). A status
-- package sent again (a replay, a retry, a second click) states nothing
-- new: the earliest report stands (smallest status_at, then Kafka
-- timestamp, partition, offset), so an arrival or a completion counts once
-- and at the time it first happened. report_count is the number of
-- packages received for the key. (The KPIs apply the same rule in
-- egov_doc_agency, where a revoke acceptance is the earliest 15 answering
-- a revoke request rather than the earliest 15.)
CREATE VIEW egov_status AS
SELECT * EXCLUDE (rn) FROM (
  SELECT s.*,
         count(*) OVER (PARTITION BY document_id, organ_id, status_code) AS report_count,
         row_number() OVER (
           PARTITION BY document_id, organ_id, status_code
           ORDER BY status_at, kafka_timestamp, kafka_partition, kafka_offset) AS rn
  FROM lake_egov_status s
) WHERE rn = 1;

-- egov_handover: agency_code closed (valid_to) and its work passed to
-- handler_code, a successor along successor_code chains. A document that
-- arrived at an agency closed in a restructuring is finished by its
-- successor: a status the successor reports after valid_to counts for the
-- closed agency's arrival too. Without valid_to the successor takes over
-- at any time.
CREATE VIEW egov_handover AS
WITH RECURSIVE chain(agency_code, handler_code, handover_after) AS (
  SELECT agency_code, successor_code, valid_to
  FROM dim_agency
  WHERE successor_code IS NOT NULL AND successor_code <> agency_code
  UNION
  SELECT c.agency_code, a.successor_code, c.handover_after
  FROM chain c JOIN dim_agency a ON a.agency_code = c.handler_code
  WHERE a.successor_code IS NOT NULL AND a.successor_code <> c.agency_code
)
SELECT DISTINCT agency_code, handler_code, handover_after FROM chain;

-- egov_doc_agency: per document and agency reporting on it, the earliest
-- time of each status that matters, read straight from the lake's rows:
-- taking the earliest is the deduplication rule of egov_status (a replay
-- counts once, at the time it first happened), without its sort.
--   arrived_at    01 (arrived);
--   refused_at    02: refused, it never was the agency's work;
--   completed_at  06;
--   revoked_at    15 (revoke accepted) at or after the document's first
--                 revoke request (13, from its sender): a 15 before any 13
--                 accepts an update and closes nothing, so this is the
--                 earliest 15 answering a revoke, not the earliest 15.
CREATE VIEW egov_doc_agency AS
WITH revoke_request AS (
  SELECT document_id, min(status_at) AS requested_at
  FROM lake_egov_status WHERE status_code = '13'
  GROUP BY document_id
)
SELECT s.document_id, s.organ_id AS agency_code,
       min(s.status_at) FILTER (WHERE s.status_code = '01') AS arrived_at,
       min(s.status_at) FILTER (WHERE s.status_code = '02') AS refused_at,
       min(s.status_at) FILTER (WHERE s.status_code = '06') AS completed_at,
       min(s.status_at) FILTER (WHERE s.status_code = '15' AND s.status_at >= r.requested_at) AS revoked_at
FROM lake_egov_status s
LEFT JOIN revoke_request r ON r.document_id = s.document_id
WHERE s.status_code IN ('01', '02', '06', '15')
GROUP BY s.document_id, s.organ_id;

-- egov_arrivals: one row per document arrived at an agency (01), with when
-- it stopped being open work there: completed_at, refused_at, revoked_at
-- as in egov_doc_agency, reported by the agency itself or, after it closed,
-- by its successor (egov_handover); closed_at is the earliest of the
-- three. Revocations and refusals take nothing away from sent, received or
-- completed, which count what happened; they only end the document's life
-- as open (and overdue) work.
-- (Joins here and below are on equalities only, with the time conditions
-- in WHERE or FILTER: an inequality in a join condition makes DuckDB leave
-- the hash join.)
CREATE VIEW egov_arrivals AS
WITH da AS MATERIALIZED (
  SELECT * FROM egov_doc_agency
),
handed AS (
  SELECT h.agency_code, d.document_id,
         min(d.completed_at) FILTER (WHERE h.handover_after IS NULL OR d.completed_at::DATE > h.handover_after) AS completed_at,
         min(d.refused_at) FILTER (WHERE h.handover_after IS NULL OR d.refused_at::DATE > h.handover_after) AS refused_at,
         min(d.revoked_at) FILTER (WHERE h.handover_after IS NULL OR d.revoked_at::DATE > h.handover_after) AS revoked_at
  FROM da d JOIN egov_handover h ON h.handler_code = d.agency_code
  GROUP BY h.agency_code, d.document_id
),
closed AS (
  SELECT a.document_id, a.agency_code, a.arrived_at,
         least(a.completed_at, h.completed_at) AS completed_at,
         least(a.refused_at, h.refused_at) AS refused_at,
         least(a.revoked_at, h.revoked_at) AS revoked_at
  FROM da a
  LEFT JOIN handed h ON h.document_id = a.document_id AND h.agency_code = a.agency_code
  WHERE a.arrived_at IS NOT NULL
)
SELECT *, least(completed_at, refused_at, revoked_at) AS closed_at FROM closed;

-- egov_completions: one row per completion (06) an agency reported, with
-- the working days (contract 4: days d with date(01) < d <= date(06)) from
-- that agency's own 01, or, when it has none, the earliest 01 of a closed
-- agency whose work it took over (egov_handover). A completion with no
-- arrival at or before it has NULL working days and no part in the average.
CREATE VIEW egov_completions AS
WITH wd AS (
  SELECT date, sum(CASE WHEN is_workday THEN 1 ELSE 0 END) OVER (ORDER BY date) AS n
  FROM dim_calendar
),
da AS MATERIALIZED (
  SELECT * FROM egov_doc_agency
),
inherited AS (
  SELECT d.document_id, h.handler_code AS agency_code, d.arrived_at, h.handover_after
  FROM da d JOIN egov_handover h ON h.agency_code = d.agency_code
  WHERE d.arrived_at IS NOT NULL
),
matched AS (
  SELECT c.document_id, c.agency_code, c.completed_at,
         coalesce(
           any_value(c.arrived_at) FILTER (WHERE c.arrived_at <= c.completed_at),
           min(i.arrived_at) FILTER (WHERE i.arrived_at <= c.completed_at
                                     AND (i.handover_after IS NULL OR c.completed_at::DATE > i.handover_after))) AS arrived_at
  FROM da c
  LEFT JOIN inherited i ON i.document_id = c.document_id AND i.agency_code = c.agency_code
  WHERE c.completed_at IS NOT NULL
  GROUP BY c.document_id, c.agency_code, c.completed_at
)
SELECT m.document_id, m.agency_code, m.arrived_at, m.completed_at,
       wb.n - wa.n AS workdays
FROM matched m
LEFT JOIN wd wa ON wa.date = m.arrived_at::DATE
LEFT JOIN wd wb ON wb.date = m.completed_at::DATE;

-- egov_kpi_parts: the additive parts of kpi_egov_monthly per (month as the
-- first day of the month, agency_code), so that restated views sum parts
-- and recompute rates and averages from the sums. Months are cut at 00:00
-- local time; a row exists when one of its counts is non-zero, for months
-- from the first to the last with a document or a status. It is a table
-- the warehouse builds from egov_kpi_parts_src when the eGov files change
-- (materialize.go), and keeps in <lake>/_cache between processes.
CREATE VIEW egov_kpi_parts_src AS
WITH bounds AS (
  SELECT date_trunc('month', max(m)::DATE)::DATE AS last_month FROM (
    SELECT max(promulgation_date) AS m FROM lake_egov_documents
    UNION ALL SELECT max(status_at) FROM lake_egov_status)
),
arrival AS MATERIALIZED (
  SELECT document_id, agency_code, arrived_at, closed_at FROM egov_arrivals
),
doc AS MATERIALIZED (
  SELECT document_id, from_organ_id, promulgation_date, due_date, paper, signed, business_doc_type
  FROM egov_documents
),
-- An arrival is open and overdue at the end of month M when it arrived
-- and fell due before M's end and closed (if ever) at or after it: M runs
-- from the month of greatest(arrived_at, due_date) up to, not including,
-- the month of closed_at. Counted as +1/-1 events summed over months. The
-- due date is the DueDate of the document sent (egov_documents): an
-- arrival of a document whose package is not in the lake, or that has no
-- DueDate, is never overdue.
span AS (
  SELECT a.agency_code,
         date_trunc('month', greatest(a.arrived_at, d.due_date)::DATE)::DATE AS from_month,
         date_trunc('month', a.closed_at::DATE)::DATE AS to_month
  FROM arrival a JOIN doc d USING (document_id)
  WHERE d.due_date IS NOT NULL
),
od_event AS (
  SELECT agency_code, from_month AS month, 1 AS delta FROM span
  WHERE to_month IS NULL OR to_month > from_month
  UNION ALL
  SELECT agency_code, to_month, -1 FROM span WHERE to_month > from_month
),
od_delta AS (
  SELECT agency_code, month, sum(delta) AS delta FROM od_event GROUP BY ALL
),
od_grid AS (
  SELECT agency_code,
         unnest(generate_series(min(month), (SELECT last_month FROM bounds), INTERVAL 1 MONTH))::DATE AS month
  FROM od_delta
  GROUP BY agency_code
),
od AS (
  SELECT g.agency_code, g.month,
         sum(coalesce(e.delta, 0)) OVER (PARTITION BY g.agency_code ORDER BY g.month) AS open_overdue
  FROM od_grid g LEFT JOIN od_delta e USING (agency_code, month)
),
part AS (
  SELECT from_organ_id AS agency_code, date_trunc('month', promulgation_date::DATE)::DATE AS month,
         1 AS sent, CASE WHEN paper THEN 0 ELSE 1 END AS sent_electronic_only,
         CASE WHEN signed THEN 1 ELSE 0 END AS sent_signed,
         0 AS received, 0 AS completed, NULL::BIGINT AS workdays, 0 AS open_overdue
  FROM doc
  WHERE coalesce(business_doc_type, 0) <> 1 -- only a revoke package: not a document sent
  UNION ALL
  SELECT agency_code, date_trunc('month', arrived_at::DATE)::DATE, 0, 0, 0, 1, 0, NULL, 0
  FROM arrival
  UNION ALL
  SELECT agency_code, date_trunc('month', completed_at::DATE)::DATE, 0, 0, 0, 0, 1, workdays, 0
  FROM egov_completions
  UNION ALL
  SELECT agency_code, month, 0, 0, 0, 0, 0, NULL, open_overdue
  FROM od WHERE open_overdue <> 0
)
SELECT month, agency_code,
       sum(sent)::BIGINT AS sent,
       sum(sent_electronic_only)::BIGINT AS sent_electronic_only,
       sum(sent_signed)::BIGINT AS sent_signed,
       sum(received)::BIGINT AS received,
       sum(completed)::BIGINT AS completed,
       coalesce(sum(workdays), 0)::BIGINT AS completion_workdays,
       count(workdays)::BIGINT AS completions_timed,
       sum(open_overdue)::BIGINT AS open_overdue
FROM part
GROUP BY ALL;

CREATE TABLE egov_kpi_parts AS SELECT * FROM egov_kpi_parts_src WHERE false;

-- kpi_egov_monthly (contract 4.2), per (month 'YYYY-MM', agency_code) as
-- reported: agency_code is the agency that sent or that reported the
-- status. avg_completion_workdays averages the month's completions that
-- have an arrival (see egov_completions).
CREATE VIEW kpi_egov_monthly AS
SELECT strftime(month, '%Y-%m') AS month, agency_code,
       sent, sent_electronic_only, sent_signed, received, completed,
       completion_workdays / nullif(completions_timed, 0) AS avg_completion_workdays,
       open_overdue,
       sent_electronic_only / nullif(sent, 0) AS electronic_share,
       sent_signed / nullif(sent, 0) AS signed_share
FROM egov_kpi_parts;

-- kpi_egov_monthly_current: the same, restated on today's agencies:
-- agency_code is dim_agency.current_agency_code (an agency missing from
-- dim_agency stands for itself), counts are summed over the agencies it
-- took over, and the shares and the average are recomputed from the sums.
CREATE VIEW kpi_egov_monthly_current AS
WITH cur AS (
  SELECT agency_code, max(current_agency_code) AS current_agency_code FROM dim_agency GROUP BY agency_code
),
restated AS (
  SELECT p.month, coalesce(cur.current_agency_code, p.agency_code) AS agency_code,
         sum(sent)::BIGINT AS sent, sum(sent_electronic_only)::BIGINT AS sent_electronic_only,
         sum(sent_signed)::BIGINT AS sent_signed, sum(received)::BIGINT AS received,
         sum(completed)::BIGINT AS completed, sum(completion_workdays)::BIGINT AS completion_workdays,
         sum(completions_timed)::BIGINT AS completions_timed, sum(open_overdue)::BIGINT AS open_overdue
  FROM egov_kpi_parts p LEFT JOIN cur ON cur.agency_code = p.agency_code
  GROUP BY ALL
)
SELECT strftime(month, '%Y-%m') AS month, agency_code,
       sent, sent_electronic_only, sent_signed, received, completed,
       completion_workdays / nullif(completions_timed, 0) AS avg_completion_workdays,
       open_overdue,
       sent_electronic_only / nullif(sent, 0) AS electronic_share,
       sent_signed / nullif(sent, 0) AS signed_share
FROM restated;
