SELECT month, agency_code, grouping(agency_code) = 1 AS total,
  coalesce(sum(sent), 0) AS "egov.sent",
  coalesce(sum(sent_electronic_only), 0) AS "egov.sent_electronic_only",
  coalesce(sum(sent_signed), 0) AS "egov.sent_signed",
  CAST(sum(sent_electronic_only) FILTER (WHERE sent_electronic_only IS NOT NULL AND sent IS NOT NULL) AS DOUBLE) / nullif(CAST(sum(sent) FILTER (WHERE sent_electronic_only IS NOT NULL AND sent IS NOT NULL) AS DOUBLE), 0) AS "egov.electronic_share",
  CAST(sum(sent_signed) FILTER (WHERE sent_signed IS NOT NULL AND sent IS NOT NULL) AS DOUBLE) / nullif(CAST(sum(sent) FILTER (WHERE sent_signed IS NOT NULL AND sent IS NOT NULL) AS DOUBLE), 0) AS "egov.signed_share",
  coalesce(sum(received), 0) AS "egov.received",
  coalesce(sum(completed), 0) AS "egov.completed",
  coalesce(sum(open_overdue), 0) AS "egov.open_overdue",
  CASE WHEN count(*) FILTER (WHERE avg_completion_workdays IS NOT NULL) = 1 AND count(*) = 1 THEN max(avg_completion_workdays) FILTER (WHERE avg_completion_workdays IS NOT NULL) END AS "egov.avg_completion_workdays"
FROM kpi_egov_monthly
WHERE month IN ('2019-09')
GROUP BY GROUPING SETS ((month, agency_code), (month))
ORDER BY month, total DESC, agency_code;
