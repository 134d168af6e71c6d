-- Staffing: employment records and assigned quotas (contract 2.4 and 4.3).
--
-- The lake's rows, one per record received, are the views
-- lake_staff_records and lake_staff_quota; the contract views staff_records
-- and staff_quota are their upserted state, and the KPIs read only those.

-- staff_records: one row per SoHieu (record_no), the version with the
-- greatest (Kafka timestamp, partition, offset, index in its array): a
-- later version replaces the whole record (its agency, dates, reason).
-- version_count is the number of versions received.
CREATE VIEW staff_records AS
SELECT * EXCLUDE (rn, year) FROM (
  SELECT r.*,
         count(*) OVER (PARTITION BY record_no) AS version_count,
         row_number() OVER (
           PARTITION BY record_no
           ORDER BY kafka_timestamp DESC, kafka_partition DESC, kafka_offset DESC, item_index DESC) AS rn
  FROM lake_staff_records r
) WHERE rn = 1;

-- staff_quota: one row per (agency_code, year, staff_class), upserted the
-- same way. year is Nam (the Hive partition, read as text, made an
-- integer here).
CREATE VIEW staff_quota AS
SELECT * EXCLUDE (rn) FROM (
  SELECT CAST(q.year AS INTEGER) AS year, q.agency_code, q.staff_class, q.quota,
         count(*) OVER w AS version_count,
         row_number() OVER (w ORDER BY q.kafka_timestamp DESC, q.kafka_partition DESC, q.kafka_offset DESC, q.item_index DESC) AS rn,
         q.kafka_partition, q.kafka_offset, q.kafka_timestamp, q.item_index
  FROM lake_staff_quota q
  WINDOW w AS (PARTITION BY q.agency_code, CAST(q.year AS INTEGER), q.staff_class)
) WHERE rn = 1;

-- The configured reduction base and targets (warehouse.StaffingOptions):
-- staffing_settings has one row, the quota base year of quota_base in
-- kpi_staffing_monthly; staffing_targets one row per target and staff
-- class: at least target_reduction of base_year's assigned quota to be cut
-- over period_from_year..period_to_year.
CREATE VIEW staffing_settings AS SELECT base_year FROM src_staffing_settings;

CREATE VIEW staffing_targets AS
SELECT target_name, staff_class, period_from_year, period_to_year, base_year, target_reduction
FROM src_staffing_targets;

-- staff_kpi_parts: the additive parts of kpi_staffing_monthly per (month
-- as its first day, agency_code, staff_class). Months run from the first to
-- the last month with a start, an end or a quota year (the last never
-- beyond the month of the latest record received: a planned end date in
-- the future is not a fact yet). headcount_end counts records with
-- start_date <= the month's last day and end_date absent or after it, as a
-- running sum of +1 at the start month and -1 at the end month (an end
-- before the start cancels the record's +1 and counts nowhere). quota is
-- the month's year's quota while the agency exists (dim_agency valid_from
-- .. valid_to overlaps the month; an agency missing from dim_agency always
-- does). A row exists when headcount_end, hires or departures is non-zero
-- or a quota applies. It is a table the warehouse builds from
-- staff_kpi_parts_src when the staffing files change (materialize.go), and
-- keeps in <lake>/_cache between processes.
CREATE VIEW staff_kpi_parts_src AS
WITH bounds AS (
  SELECT min(m) AS first_month,
         least(max(m), (SELECT max(kafka_timestamp)::DATE FROM (
           SELECT kafka_timestamp FROM lake_staff_records
           UNION ALL SELECT kafka_timestamp FROM lake_staff_quota))) AS last_day
  FROM (
    SELECT start_date AS m FROM staff_records
    UNION ALL SELECT end_date FROM staff_records WHERE end_date IS NOT NULL
    UNION ALL SELECT make_date(year, 1, 1) FROM staff_quota
  )
),
months AS (
  SELECT unnest(generate_series(date_trunc('month', first_month), date_trunc('month', last_day), INTERVAL 1 MONTH))::DATE AS month
  FROM bounds
  WHERE first_month IS NOT NULL
),
pairs AS (
  SELECT agency_code, staff_class FROM staff_records
  UNION
  SELECT agency_code, staff_class FROM staff_quota
),
event AS (
  SELECT agency_code, staff_class, date_trunc('month', start_date)::DATE AS month,
         1 AS delta, 1 AS hires, 0 AS departures, 0 AS tinh_gian, 0 AS nghi_huu, 0 AS thoi_viec
  FROM staff_records
  UNION ALL
  SELECT agency_code, staff_class, date_trunc('month', end_date)::DATE,
         0, 0, 1,
         CASE WHEN end_reason = 'TINH_GIAN' THEN 1 ELSE 0 END,
         CASE WHEN end_reason = 'NGHI_HUU' THEN 1 ELSE 0 END,
         CASE WHEN end_reason = 'THOI_VIEC' THEN 1 ELSE 0 END
  FROM staff_records WHERE end_date IS NOT NULL
  UNION ALL
  SELECT agency_code, staff_class, date_trunc('month', greatest(start_date, end_date))::DATE,
         -1, 0, 0, 0, 0, 0
  FROM staff_records WHERE end_date IS NOT NULL
),
moves AS (
  SELECT agency_code, staff_class, month,
         sum(delta) AS delta, sum(hires) AS hires, sum(departures) AS departures,
         sum(tinh_gian) AS tinh_gian, sum(nghi_huu) AS nghi_huu, sum(thoi_viec) AS thoi_viec
  FROM event
  GROUP BY ALL
),
grid AS (
  SELECT p.agency_code, p.staff_class, m.month, year(m.month) AS year,
         sum(coalesce(e.delta, 0)) OVER (PARTITION BY p.agency_code, p.staff_class ORDER BY m.month) AS headcount_end,
         coalesce(e.hires, 0) AS hires, coalesce(e.departures, 0) AS departures,
         coalesce(e.tinh_gian, 0) AS departures_tinh_gian,
         coalesce(e.nghi_huu, 0) AS departures_nghi_huu,
         coalesce(e.thoi_viec, 0) AS departures_thoi_viec
  FROM pairs p CROSS JOIN months m
  LEFT JOIN moves e ON e.agency_code = p.agency_code AND e.staff_class = p.staff_class AND e.month = m.month
),
validity AS (
  SELECT agency_code, min(valid_from) AS valid_from,
         CASE WHEN count(*) = count(valid_to) THEN max(valid_to) END AS valid_to
  FROM dim_agency GROUP BY agency_code
),
with_quota AS (
  SELECT g.*,
         CASE WHEN (v.valid_from IS NULL OR v.valid_from <= last_day(g.month))
               AND (v.valid_to IS NULL OR v.valid_to >= g.month) THEN q.quota END AS quota
  FROM grid g
  LEFT JOIN validity v ON v.agency_code = g.agency_code
  LEFT JOIN staff_quota q
    ON q.agency_code = g.agency_code AND q.staff_class = g.staff_class AND q.year = g.year
)
SELECT month, agency_code, staff_class,
       headcount_end::BIGINT AS headcount_end, hires::BIGINT AS hires,
       departures::BIGINT AS departures,
       departures_tinh_gian::BIGINT AS departures_tinh_gian,
       departures_nghi_huu::BIGINT AS departures_nghi_huu,
       departures_thoi_viec::BIGINT AS departures_thoi_viec,
       quota::BIGINT AS quota
FROM with_quota
WHERE headcount_end <> 0 OR hires <> 0 OR departures <> 0 OR quota IS NOT NULL;

CREATE TABLE staff_kpi_parts AS SELECT * FROM staff_kpi_parts_src WHERE false;

-- kpi_staffing_monthly (contract 4.3), per (month 'YYYY-MM', agency_code,
-- staff_class) as reported. quota_base is the agency's quota of the
-- configured base year (staffing_settings, default 2015); both reductions
-- are NULL when it is 0 or absent.
CREATE VIEW kpi_staffing_monthly AS
SELECT strftime(p.month, '%Y-%m') AS month, p.agency_code, p.staff_class,
       p.headcount_end, p.hires, p.departures,
       p.departures_tinh_gian, p.departures_nghi_huu, p.departures_thoi_viec,
       p.quota, b.quota::BIGINT AS quota_base,
       1 - p.quota / nullif(b.quota, 0) AS quota_reduction_vs_base,
       1 - p.headcount_end / nullif(b.quota, 0) AS headcount_reduction_vs_base
FROM staff_kpi_parts p
LEFT JOIN staff_quota b
  ON b.agency_code = p.agency_code AND b.staff_class = p.staff_class
 AND b.year = (SELECT base_year FROM staffing_settings);

-- kpi_staffing_monthly_current: the same, restated on today's agencies:
-- agency_code is dim_agency.current_agency_code (an agency missing from
-- dim_agency stands for itself) and every count and quota is summed over
-- the agencies it took over. quota_base is the sum of the base-year quotas
-- of all those agencies, whether or not they still have a row in the
-- month, so that a merged agency is measured against everything it
-- absorbed; the reductions are recomputed from the sums.
CREATE VIEW kpi_staffing_monthly_current AS
WITH cur AS (
  SELECT agency_code, max(current_agency_code) AS current_agency_code FROM dim_agency GROUP BY agency_code
),
restated AS (
  SELECT p.month, coalesce(cur.current_agency_code, p.agency_code) AS agency_code, p.staff_class,
         sum(p.headcount_end)::BIGINT AS headcount_end, sum(p.hires)::BIGINT AS hires,
         sum(p.departures)::BIGINT AS departures,
         sum(p.departures_tinh_gian)::BIGINT AS departures_tinh_gian,
         sum(p.departures_nghi_huu)::BIGINT AS departures_nghi_huu,
         sum(p.departures_thoi_viec)::BIGINT AS departures_thoi_viec,
         sum(p.quota)::BIGINT AS quota
  FROM staff_kpi_parts p LEFT JOIN cur ON cur.agency_code = p.agency_code
  GROUP BY ALL
),
base AS (
  SELECT coalesce(cur.current_agency_code, q.agency_code) AS agency_code, q.staff_class,
         sum(q.quota)::BIGINT AS quota_base
  FROM staff_quota q LEFT JOIN cur ON cur.agency_code = q.agency_code
  WHERE q.year = (SELECT base_year FROM staffing_settings)
  GROUP BY ALL
)
SELECT strftime(r.month, '%Y-%m') AS month, r.agency_code, r.staff_class,
       r.headcount_end, r.hires, r.departures,
       r.departures_tinh_gian, r.departures_nghi_huu, r.departures_thoi_viec,
       r.quota, b.quota_base,
       1 - r.quota / nullif(b.quota_base, 0) AS quota_reduction_vs_base,
       1 - r.headcount_end / nullif(b.quota_base, 0) AS headcount_reduction_vs_base
FROM restated r
LEFT JOIN base b ON b.agency_code = r.agency_code AND b.staff_class = r.staff_class;

-- kpi_staffing_targets: progress toward each configured target
-- (staffing_targets), per target, current agency (restated as above) and
-- year of the target's period with a quota: the year's assigned quota
-- against the target's base year, and whether the cut reached the target.
-- A year's quota is that of the agencies existing at the end of the year
-- (dim_agency valid_to absent or on/after 31 Dec), so the year of a merger
-- counts the new agency's quota and not its predecessors' as well.
CREATE VIEW kpi_staffing_targets AS
WITH cur AS (
  SELECT agency_code, max(current_agency_code) AS current_agency_code FROM dim_agency GROUP BY agency_code
),
validity AS (
  SELECT agency_code, CASE WHEN count(*) = count(valid_to) THEN max(valid_to) END AS valid_to
  FROM dim_agency GROUP BY agency_code
),
yearly AS (
  SELECT coalesce(cur.current_agency_code, q.agency_code) AS agency_code, q.staff_class, q.year,
         sum(q.quota)::BIGINT AS quota
  FROM staff_quota q
  LEFT JOIN cur ON cur.agency_code = q.agency_code
  LEFT JOIN validity v ON v.agency_code = q.agency_code
  WHERE v.valid_to IS NULL OR v.valid_to >= make_date(q.year, 12, 31)
  GROUP BY ALL
)
SELECT t.target_name, t.staff_class, t.period_from_year, t.period_to_year, t.base_year, t.target_reduction,
       y.agency_code, y.year, y.quota, b.quota AS quota_base,
       1 - y.quota / nullif(b.quota, 0) AS quota_reduction_vs_base,
       1 - y.quota / nullif(b.quota, 0) >= t.target_reduction AS target_met
FROM staffing_targets t
JOIN yearly y ON y.staff_class = t.staff_class
LEFT JOIN yearly b ON b.agency_code = y.agency_code AND b.staff_class = y.staff_class AND b.year = t.base_year
WHERE y.year BETWEEN t.period_from_year AND t.period_to_year;
