// Package dashboards serves the monthly dashboards leaders read (overview,
// sectors, agencies, electronic documents, staffing) and a small HTTP API
// (read-only SQL as JSON, CSV or Arrow IPC; the pages' KPIs as JSON; health;
// Prometheus metrics) over the warehouse's KPI views.
//
// Pages are rendered on the server: go-echarts builds each chart's option,
// html/template the page, and the browser only runs the echarts library,
// which like every other asset (theme, fonts, script, style) is embedded in
// the binary and served by the Server itself: no page asks another host
// for anything. The KPI views are read through Querier (the warehouse's
// sandboxed Query) and kept in memory per lake version, so a page costs an
// aggregation in Go, not a scan of the lake.
package dashboards
