SELECT month, agency_code, grouping(agency_code) = 1 AS total,
  coalesce(sum(headcount_end), 0) AS "staff.headcount",
  coalesce(sum(headcount_end) FILTER (WHERE staff_class = 'CC'), 0) AS "staff.headcount_cc",
  coalesce(sum(headcount_end) FILTER (WHERE staff_class = 'VC'), 0) AS "staff.headcount_vc",
  coalesce(sum(headcount_end) FILTER (WHERE staff_class = 'HD'), 0) AS "staff.headcount_hd",
  coalesce(sum(hires), 0) AS "staff.hires",
  coalesce(sum(departures), 0) AS "staff.departures",
  coalesce(sum(departures_tinh_gian), 0) AS "staff.departures_tinh_gian",
  sum(quota) AS "staff.quota",
  sum(quota_base) AS "staff.quota_base",
  1 - CAST(sum(quota) FILTER (WHERE quota IS NOT NULL AND quota_base IS NOT NULL) AS DOUBLE) / nullif(CAST(sum(quota_base) FILTER (WHERE quota IS NOT NULL AND quota_base IS NOT NULL) AS DOUBLE), 0) AS "staff.quota_reduction_vs_base",
  1 - CAST(sum(quota) FILTER (WHERE staff_class = 'CC' AND quota IS NOT NULL AND quota_base IS NOT NULL) AS DOUBLE) / nullif(CAST(sum(quota_base) FILTER (WHERE staff_class = 'CC' AND quota IS NOT NULL AND quota_base IS NOT NULL) AS DOUBLE), 0) AS "staff.quota_reduction_cc",
  1 - CAST(sum(quota) FILTER (WHERE staff_class = 'VC' AND quota IS NOT NULL AND quota_base IS NOT NULL) AS DOUBLE) / nullif(CAST(sum(quota_base) FILTER (WHERE staff_class = 'VC' AND quota IS NOT NULL AND quota_base IS NOT NULL) AS DOUBLE), 0) AS "staff.quota_reduction_vc",
  1 - CAST(sum(headcount_end) FILTER (WHERE headcount_end IS NOT NULL AND quota_base IS NOT NULL) AS DOUBLE) / nullif(CAST(sum(quota_base) FILTER (WHERE headcount_end IS NOT NULL AND quota_base IS NOT NULL) AS DOUBLE), 0) AS "staff.headcount_reduction_vs_base"
FROM kpi_staffing_monthly
WHERE month IN ('2019-09')
GROUP BY GROUPING SETS ((month, agency_code), (month))
ORDER BY month, total DESC, agency_code;
