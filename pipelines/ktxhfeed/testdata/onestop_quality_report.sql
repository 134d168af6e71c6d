SELECT month, agency_code, grouping(agency_code) = 1 AS total,
  CAST(sum(resolved_early + resolved_on_time) FILTER (WHERE resolved_early IS NOT NULL AND resolved_on_time IS NOT NULL AND resolved IS NOT NULL) AS DOUBLE) / nullif(CAST(sum(resolved) FILTER (WHERE resolved_early IS NOT NULL AND resolved_on_time IS NOT NULL AND resolved IS NOT NULL) AS DOUBLE), 0) AS "onestop.on_time_rate",
  CAST(sum(resolved_early + resolved_on_time + open_within + open_paused) FILTER (WHERE resolved_early IS NOT NULL AND resolved_on_time IS NOT NULL AND open_within IS NOT NULL AND open_paused IS NOT NULL AND resolved IS NOT NULL AND open_end IS NOT NULL) AS DOUBLE) / nullif(CAST(sum(resolved + open_end) FILTER (WHERE resolved_early IS NOT NULL AND resolved_on_time IS NOT NULL AND open_within IS NOT NULL AND open_paused IS NOT NULL AND resolved IS NOT NULL AND open_end IS NOT NULL) AS DOUBLE), 0) AS "onestop.progress_rate_766",
  CAST(sum(received_online) FILTER (WHERE received_online IS NOT NULL AND received IS NOT NULL) AS DOUBLE) / nullif(CAST(sum(received) FILTER (WHERE received_online IS NOT NULL AND received IS NOT NULL) AS DOUBLE), 0) AS "onestop.online_share",
  CAST(sum(received_postal) FILTER (WHERE received_postal IS NOT NULL AND received IS NOT NULL) AS DOUBLE) / nullif(CAST(sum(received) FILTER (WHERE received_postal IS NOT NULL AND received IS NOT NULL) AS DOUBLE), 0) AS "onestop.postal_share",
  coalesce(sum(late_total), 0) AS "onestop.late_total",
  coalesce(sum(late_apologized), 0) AS "onestop.late_apologized",
  CAST(sum(late_apologized) FILTER (WHERE late_apologized IS NOT NULL AND late_total IS NOT NULL) AS DOUBLE) / nullif(CAST(sum(late_total) FILTER (WHERE late_apologized IS NOT NULL AND late_total IS NOT NULL) AS DOUBLE), 0) AS "onestop.apology_rate",
  coalesce(sum(open_end) FILTER (WHERE sector_group = 'G13'), 0) AS "onestop.tnmt_open_end",
  coalesce(sum(open_overdue) FILTER (WHERE sector_group = 'G13'), 0) AS "onestop.tnmt_open_overdue",
  CAST(sum(round(avg_processing_workdays * resolved)) FILTER (WHERE avg_processing_workdays IS NOT NULL AND resolved IS NOT NULL) AS DOUBLE) / nullif(CAST(sum(resolved) FILTER (WHERE avg_processing_workdays IS NOT NULL AND resolved IS NOT NULL) AS DOUBLE), 0) AS "onestop.avg_processing_workdays"
FROM kpi_onestop_report_monthly
WHERE month IN ('2019-09')
GROUP BY GROUPING SETS ((month, agency_code), (month))
ORDER BY month, total DESC, agency_code;
