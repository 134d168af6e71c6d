// Package ktxhfeed turns the warehouse's KPI views into the reform
// indicators the provincial socio-economic (KT-XH) information system
// receives: an indicator catalogue kept as data (catalogue.yaml), reports
// of one period for every agency and the province (JSON, CSV, XLSX in the
// layout of form II.06a/VPCP/KSTT), and a feed that pushes each closed
// period once over HTTP, with a ledger in the lake of what was
// acknowledged.
//
// Every value is computed by DuckDB from the contract's views (section 4)
// through one SQL statement per indicator group (Catalogue.SQL), so a
// report, the feed and anyone running that SQL agree to the last digit.
// Rates are recomputed from summed counts at every aggregated level, never
// averaged.
//
// Periods (contract "Reporting periods"): kind month is a calendar month
// [1st, 1st of next month); kind report is the Decree 09/2019 period [15th
// of the previous month, 15th), named by its last month. A period is
// closed once its end plus a grace has passed (Period.ClosedAt; default
// grace 48h, so a calendar month closes on the 3rd at 00:00 and a Decree 09
// period on the 17th, local time).
//
// The feed sends one JSON document per (period, reporting unit) with an
// Idempotency-Key that hashes (indicator set, version, period kind, period,
// scope, agency code). A 2xx or 409 answer acknowledges it and only then is
// an "acked" line appended to <lake>/_feed/ledger.jsonl (fsync per line); a
// restart re-sends exactly the keys without such a line, with the same
// keys, so the receiver sees each document at least once and records it
// once.
//
// This package reads the warehouse through the Querier interface and never
// links DuckDB itself; cmd wires a *warehouse.Warehouse in.
package ktxhfeed
