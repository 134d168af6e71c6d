SELECT month, agency_code, grouping(agency_code) = 1 AS total,
  coalesce(sum(received), 0) AS "onestop.received",
  coalesce(sum(received_online), 0) AS "onestop.received_online",
  coalesce(sum(received_direct), 0) AS "onestop.received_direct",
  coalesce(sum(received_postal), 0) AS "onestop.received_postal",
  coalesce(sum(carried_over), 0) AS "onestop.carried_over",
  coalesce(sum(resolved), 0) AS "onestop.resolved",
  coalesce(sum(resolved_early), 0) AS "onestop.resolved_early",
  coalesce(sum(resolved_on_time), 0) AS "onestop.resolved_on_time",
  coalesce(sum(resolved_late), 0) AS "onestop.resolved_late",
  coalesce(sum(open_end), 0) AS "onestop.open_end",
  coalesce(sum(open_within), 0) AS "onestop.open_within",
  coalesce(sum(open_paused), 0) AS "onestop.open_paused",
  coalesce(sum(open_overdue), 0) AS "onestop.open_overdue"
FROM kpi_onestop_monthly
WHERE month IN ('2019-09')
GROUP BY GROUPING SETS ((month, agency_code), (month))
ORDER BY month, total DESC, agency_code;
