package warehouse_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/warehouse"
)

// benchMonth is the month the benchmark asks for.
const benchMonth = "2024-05"

// benchDossiers is the province size: 10 million dossiers by default (about
// 40 million snapshots over 2019-2025), KTXH_BENCH_DOSSIERS to change it.
func benchDossiers(b *testing.B) int {
	if s := os.Getenv("KTXH_BENCH_DOSSIERS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1000 {
			b.Fatalf("KTXH_BENCH_DOSSIERS=%q: want a number >= 1000", s)
		}
		return n
	}
	return 10_000_000
}

// benchLake returns a lake of n dossiers' snapshots, generated once by
// DuckDB straight into Hive-partitioned Parquet and kept in the temporary
// directory for the next runs. Generating 10 million dossiers takes several
// minutes; it is setup, not what is measured.
func benchLake(b *testing.B, n int) string {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("ktxh-bench-onestop-%d-v1", n))
	done := filepath.Join(dir, "complete")
	if _, err := os.Stat(done); err == nil {
		return dir
	}
	os.RemoveAll(dir)
	if err := os.MkdirAll(filepath.Join(dir, "_gen"), 0o755); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	q := strings.NewReplacer("NDOSSIERS", strconv.Itoa(n), "OUTDIR", filepath.Join(dir, "_gen")).Replace(benchLakeSQL)
	for _, s := range []string{"SET TimeZone = 'Asia/Ho_Chi_Minh'", "SET preserve_insertion_order = false", q} {
		if _, err := db.Exec(s); err != nil {
			b.Fatalf("generate bench lake: %v", err)
		}
	}
	// DuckDB writes <month>/data_N.parquet; the lake has
	// onestop_snapshots/month=<month>/<file>.parquet.
	if err := os.Rename(filepath.Join(dir, "_gen", "onestop_snapshots"), filepath.Join(dir, "onestop_snapshots")); err != nil {
		b.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, "_gen"))
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d dossiers into %s in %v", n, dir, time.Since(start).Round(time.Second))
	return dir
}

// benchLakeSQL makes NDOSSIERS dossiers received from 2019 to 2025 in 130
// agencies and 15 sectors: each has 1 to 6 snapshots (received, processing,
// supplement requested and received, finished, returned, an apology), 10%
// one or two supplement requests, 5% still open at the end of 2025, 2%
// withdrawn, 1% refused at reception and 1% never accepted; 60% of the late
// ones apologised for.
const benchLakeSQL = `COPY (
WITH d AS (
  SELECT i,
    (hash(i, 2) % 130)::INT AS ag,
    ['G13-TN02','G13-TN02','G13-TN02','G13-TN09','G13-TN10','G15-TP07','G15-TP03','G15-TP04','G03-GD09','G17-XD15','G04-GT02','G05-KD07','G10-NN13','G18-YT07','LOCAL-01'][1 + (hash(i, 3) % 15)::INT] AS sector_code,
    CASE (hash(i, 4) % 20)::INT WHEN 0 THEN NULL WHEN 1 THEN 3 ELSE 1 + (hash(i, 4) % 2)::INT END AS channel,
    TIMESTAMPTZ '2019-01-01 00:00:00+07' + to_seconds((i * 220898880 // NDOSSIERS) - ((i * 220898880 // NDOSSIERS) % 86400) + 7 * 3600 + (hash(i, 5) % 36000)::BIGINT) AS recv,
    (3 + hash(i, 6) % 20)::INT AS due_days,
    (hash(i, 7) % 1000)::INT AS r_end,
    (hash(i, 8) % 1000)::INT AS r_dur,
    (hash(i, 9) % 100)::INT AS r_sup,
    (hash(i, 10) % 100)::INT AS r_apo,
    (hash(i, 11) % 100)::INT AS r_st
  FROM range(NDOSSIERS) t(i)
), d2 AS (
  SELECT *,
    printf('000.%02d.%02d.H53', ag // 10, ag % 10 + 1) AS agency_code,
    printf('000.%02d.%02d.H53-%s-%08d', ag // 10, ag % 10 + 1, strftime(recv, '%y%m%d'), i) AS dossier_code,
    date_trunc('day', recv) + to_days(due_days) + INTERVAL 17 HOUR AS due,
    CASE WHEN r_end < 950 THEN recv + to_seconds((r_dur * due_days * 108)::BIGINT) END AS end_raw,
    r_end >= 930 AND r_end < 950 AS withdrawn,
    CASE WHEN r_sup < 2 THEN 2 WHEN r_sup < 10 THEN 1 ELSE 0 END AS nsup
  FROM d
), d3 AS (
  SELECT *,
    CASE WHEN end_raw < TIMESTAMPTZ '2026-01-01 00:00:00+07' THEN end_raw END AS fin,
    recv + INTERVAL 1 DAY AS s1req, recv + INTERVAL 3 DAY AS s1rec,
    recv + INTERVAL 4 DAY AS s2req, recv + INTERVAL 5 DAY AS s2rec
  FROM d2
), d4 AS (
  SELECT *,
    (fin IS NULL OR fin > due) AND due < TIMESTAMPTZ '2026-01-01 00:00:00+07' AND r_apo < 60 AND NOT withdrawn AS apologized
  FROM d3
), s AS (
  SELECT d4.*, k.k,
    CASE k.k WHEN 0 THEN recv + INTERVAL 1 MINUTE WHEN 1 THEN recv + INTERVAL 2 HOUR
      WHEN 2 THEN s1req + INTERVAL 1 MINUTE WHEN 3 THEN (CASE WHEN nsup = 2 THEN s2rec ELSE s1rec END) + INTERVAL 1 MINUTE
      WHEN 4 THEN fin + INTERVAL 1 MINUTE WHEN 5 THEN fin + INTERVAL 1 DAY WHEN 6 THEN due - INTERVAL 20 HOUR + INTERVAL 1 MINUTE END AS ts
  FROM d4, (VALUES (0), (1), (2), (3), (4), (5), (6)) k(k)
  WHERE CASE k.k WHEN 0 THEN true
      WHEN 1 THEN r_st >= 2
      WHEN 2 THEN r_st >= 2 AND nsup > 0 AND (fin IS NULL OR s1req < fin)
      WHEN 3 THEN r_st >= 2 AND nsup > 0 AND (fin IS NULL OR s1rec < fin)
      WHEN 4 THEN r_st >= 2 AND fin IS NOT NULL
      WHEN 5 THEN r_st >= 2 AND fin IS NOT NULL AND NOT withdrawn
      WHEN 6 THEN r_st >= 2 AND fin IS NULL AND apologized END
), rows AS (
  SELECT
    (hash(i) % 3)::INT AS kafka_partition,
    i * 8 + k AS kafka_offset,
    ts AS kafka_timestamp,
    0::INT AS item_index,
    dossier_code,
    'P' || (hash(i, 12) % 400)::VARCHAR AS procedure_code,
    NULL::VARCHAR AS procedure_name,
    sector_code, NULL::VARCHAR AS sector_name, agency_code, NULL::VARCHAR AS agency_name, NULL::VARCHAR AS envelope_agency,
    channel::INT AS channel, (1 + hash(i, 13) % 2)::INT AS applicant_type,
    (CASE WHEN r_st < 1 THEN 3 WHEN r_st < 2 THEN 1
         ELSE CASE k WHEN 0 THEN 2 WHEN 1 THEN 4 WHEN 2 THEN 5 WHEN 3 THEN 4 WHEN 4 THEN CASE WHEN withdrawn THEN 7 ELSE 9 END WHEN 5 THEN 10 ELSE 4 END END)::INT AS status,
    NULL::BOOLEAN AS return_by_post,
    recv - INTERVAL 30 MINUTE AS submitted_at,
    CASE WHEN r_st >= 2 THEN recv END AS received_at,
    CASE WHEN r_st >= 2 THEN due END AS due_at,
    CASE WHEN k IN (4, 5) AND NOT withdrawn THEN fin END AS finished_at,
    CASE WHEN k = 5 THEN fin + INTERVAL 1 DAY - INTERVAL 1 MINUTE END AS returned_at,
    CASE WHEN r_st < 1 THEN recv END AS refused_at,
    CASE WHEN k < 2 OR nsup = 0 THEN []
         WHEN k = 2 THEN [{'requested_at': s1req, 'received_at': NULL::TIMESTAMPTZ, 'prev_due_at': NULL::TIMESTAMPTZ, 'new_due_at': NULL::TIMESTAMPTZ}]
         WHEN nsup = 1 THEN [{'requested_at': s1req, 'received_at': s1rec, 'prev_due_at': NULL::TIMESTAMPTZ, 'new_due_at': NULL::TIMESTAMPTZ}]
         ELSE [{'requested_at': s1req, 'received_at': s1rec, 'prev_due_at': NULL::TIMESTAMPTZ, 'new_due_at': NULL::TIMESTAMPTZ},
               {'requested_at': s2req, 'received_at': s2rec, 'prev_due_at': NULL::TIMESTAMPTZ, 'new_due_at': NULL::TIMESTAMPTZ}] END AS supplements,
    CASE WHEN k IN (4, 5, 6) AND apologized
         THEN [{'apology_at': due - INTERVAL 20 HOUR, 'prev_due_at': due, 'new_due_at': due + INTERVAL 5 DAY, 'reason': 'qua tai'::VARCHAR}]
         ELSE [] END AS apologies,
    'h' || (hash(i, 14) % 5000000)::VARCHAR AS applicant_hash,
    s1req, s1rec, s2rec
  FROM s
), le AS (
  SELECT * EXCLUDE (s1req, s1rec, s2rec),
    greatest(submitted_at, received_at, finished_at, returned_at, refused_at,
      CASE WHEN len(supplements) > 0 THEN s1req END,
      CASE WHEN supplements[1].received_at IS NOT NULL THEN s1rec END,
      CASE WHEN len(supplements) = 2 THEN s2rec END,
      CASE WHEN len(apologies) > 0 THEN apologies[1].apology_at END) AS last_event_at
  FROM rows
)
SELECT *, strftime(last_event_at, '%Y-%m') AS month FROM le
) TO 'OUTDIR/onestop_snapshots' (FORMAT parquet, PARTITION_BY (month), COMPRESSION zstd, ROW_GROUP_SIZE 65536)`

// handWritten are the fastest single queries found that compute the month's
// counts of kpi_onestop_monthly (the columns compared) straight from the
// snapshot files, for comparison: what a query has to do without the
// warehouse's materialized current state. (Also tried: row_number() ...
// QUALIFY over every snapshot, minutes at 10 million dossiers; one
// arg_max(column, key) per column, three to four times slower than the
// semi-join.) %[1]s is the files' glob, %[2]s the month's first instant and
// %[3]s the next month's.
var handWritten = map[string]string{
	// One pass for the winning snapshot of each dossier (a packed order
	// key), a semi-join back for its columns, then the counts.
	"semijoin": `
WITH s AS (
  SELECT dossier_code, agency_code, sector_code, channel, status, received_at, due_at, finished_at, returned_at,
         kafka_timestamp, supplements, apologies,
         CAST((((CASE WHEN last_event_at IS NULL THEN 0 ELSE epoch_us(last_event_at) // 1000000 - 946684799 END) << 31)
               | ((CASE WHEN status = 10 THEN 2 WHEN status IN (3, 7, 8, 9) THEN 1 ELSE 0 END) << 29)
               | ((epoch_us(kafka_timestamp) // 1000 - 946684800000) >> 13)) AS HUGEINT) * 9223372036854775808
           + ((((epoch_us(kafka_timestamp) // 1000 - 946684800000) & 8191) << 50) | (CAST(kafka_partition AS BIGINT) << 40)
              | (kafka_offset << 10) | item_index) AS k
  FROM read_parquet('%[1]s')
), cur AS (
  SELECT * FROM s SEMI JOIN (SELECT max(k) AS k FROM s GROUP BY dossier_code) b ON s.k = b.k
  WHERE received_at IS NOT NULL AND status NOT IN (1, 3)
), f AS (
  SELECT agency_code, sector_code, channel, received_at,
         CASE WHEN status IN (7, 8, 9, 10) THEN coalesce(finished_at, returned_at, kafka_timestamp) END AS end_at,
         coalesce(CASE WHEN len(apologies) > 0 THEN list_sort(list_filter(apologies, x -> x.apology_at IS NOT NULL))[1].prev_due_at END, due_at) AS due,
         len(supplements) AS nsup,
         list_sort(list_filter(list_transform(supplements, x -> x.requested_at), x -> x IS NOT NULL))[2] AS second,
         coalesce(list_bool_or(list_transform(supplements, x -> x.requested_at < TIMESTAMPTZ '%[3]s' AND (x.received_at IS NULL OR x.received_at >= TIMESTAMPTZ '%[3]s'))), false) AS paused,
         list_min(list_transform(apologies, x -> x.apology_at)) AS apol
  FROM cur
), c AS (
  SELECT *, end_at >= TIMESTAMPTZ '%[2]s' AND end_at < TIMESTAMPTZ '%[3]s' AS res,
         (end_at IS NULL OR end_at >= TIMESTAMPTZ '%[3]s') AS open,
         nsup >= 2 OR coalesce(end_at > due, false) AS late,
         coalesce(due < TIMESTAMPTZ '%[3]s', false) OR coalesce(second < TIMESTAMPTZ '%[3]s', false) AS overdue
  FROM f
  WHERE received_at < TIMESTAMPTZ '%[3]s' AND (end_at IS NULL OR end_at >= TIMESTAMPTZ '%[2]s')
)
SELECT agency_code, sector_code, coalesce(ds.sector_group, sector_group_of(sector_code)) AS sector_group,
  count(*) FILTER (WHERE received_at >= TIMESTAMPTZ '%[2]s') AS received,
  count(*) FILTER (WHERE received_at < TIMESTAMPTZ '%[2]s') AS carried_over,
  count(*) FILTER (WHERE res) AS resolved,
  count(*) FILTER (WHERE res AND NOT late AND CAST(end_at AS DATE) < CAST(due AS DATE)) AS resolved_early,
  count(*) FILTER (WHERE res AND NOT late AND NOT coalesce(CAST(end_at AS DATE) < CAST(due AS DATE), false)) AS resolved_on_time,
  count(*) FILTER (WHERE res AND late) AS resolved_late,
  count(*) FILTER (WHERE open) AS open_end,
  count(*) FILTER (WHERE open AND paused) AS open_paused,
  count(*) FILTER (WHERE open AND NOT paused AND overdue) AS open_overdue,
  count(*) FILTER (WHERE open AND NOT paused AND NOT overdue) AS open_within,
  count(*) FILTER (WHERE (res AND late) OR (open AND NOT paused AND overdue)) AS late_total,
  count(*) FILTER (WHERE ((res AND late) OR (open AND NOT paused AND overdue)) AND apol < TIMESTAMPTZ '%[3]s') AS late_apologized
FROM c LEFT JOIN dim_sector ds USING (sector_code)
GROUP BY ALL ORDER BY agency_code, sector_code`,
}

const benchCols = "agency_code, sector_code, sector_group, received, carried_over, resolved, resolved_early, resolved_on_time, resolved_late, " +
	"open_end, open_paused, open_overdue, open_within, late_total, late_apologized"

// BenchmarkKPIOnestopMonthly measures the province-wide kpi_onestop_monthly
// of one month over 10 million dossiers, against the hand-written queries
// over the same files:
//
//	go test -run '^$' -bench KPIOnestop -timeout 2h ./warehouse/
//
// The warehouse's Open, which materializes the current state and the period
// counts (without the cache: BenchmarkOpen measures it), is reported as
// open_s; the materialized tables' memory as tables_MiB; the process's peak
// resident memory (the build included) as rss_peak_MiB.
func BenchmarkKPIOnestopMonthly(b *testing.B) {
	n := benchDossiers(b)
	dir := benchLake(b, n)
	start := time.Now()
	w, err := warehouse.Open(dir, pipelines.Datasets(), warehouse.Options{Threads: runtime.NumCPU(), NoCache: true})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	openTime := time.Since(start)
	ctx := context.Background()
	tables := scalar(b, w, "SELECT sum(memory_usage_bytes) FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'")
	duckMem := scalar(b, w, "SELECT sum(memory_usage_bytes) FROM duckdb_memory()")
	snapshots := scalar(b, w, "SELECT count(*) FROM onestop_snapshots")
	facts := scalar(b, w, "SELECT count(*) FROM onestop_kpi_facts")
	periods := scalar(b, w, "SELECT count(*) FROM onestop_kpi_periods")
	b.Logf("%d dossiers, %d snapshots, %d accepted, %d period rows; Open %v; DuckDB tables %d MiB, DuckDB memory %d MiB, peak RSS %d MiB",
		n, snapshots, facts, periods, openTime.Round(time.Millisecond), tables>>20, duckMem>>20, peakRSS()>>20)

	from, _ := time.ParseInLocation("2006-01", benchMonth, ict)
	to := from.AddDate(0, 1, 0)
	viewQuery := fmt.Sprintf("SELECT %s FROM kpi_onestop_monthly WHERE month = '%s' ORDER BY agency_code, sector_code", benchCols, benchMonth)
	want := queryTB(b, w, viewQuery)

	run := func(b *testing.B, q string) {
		b.Helper()
		for b.Loop() {
			rows, err := w.Query(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
			}
			if err := rows.Err(); err != nil {
				b.Fatal(err)
			}
			rows.Close()
		}
	}
	b.Run("view", func(b *testing.B) {
		run(b, viewQuery)
		b.ReportMetric(openTime.Seconds(), "open_s")
		b.ReportMetric(float64(tables>>20), "tables_MiB")
		b.ReportMetric(float64(peakRSS()>>20), "rss_peak_MiB")
	})
	b.Run("macro", func(b *testing.B) {
		run(b, fmt.Sprintf("SELECT %s FROM kpi_onestop(DATE '%s', DATE '%s')", benchCols, from.Format("2006-01-02"), to.Format("2006-01-02")))
	})
	glob := filepath.Join(dir, "onestop_snapshots", "*", "*.parquet")
	for name, tmpl := range handWritten {
		q := fmt.Sprintf(tmpl, glob, from.Format("2006-01-02 15:04:05-07"), to.Format("2006-01-02 15:04:05-07"))
		if got := queryTB(b, w, q); got != want {
			b.Fatalf("hand-written %s gives other numbers:\n%s", name, firstDiff(got, want))
		}
		b.Run("handwritten_"+name, func(b *testing.B) { run(b, q) })
	}
}

// queryTB is query for a benchmark.
func queryTB(tb testing.TB, w *warehouse.Warehouse, q string) string {
	tb.Helper()
	rows, err := w.Query(context.Background(), q)
	if err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	enc, _ := warehouse.NewEncoder("csv")
	var buf bytes.Buffer
	if err := enc.Encode(&buf, rows); err != nil {
		tb.Fatal(err)
	}
	return buf.String()
}

func scalar(b testing.TB, w *warehouse.Warehouse, q string) int64 {
	rows, err := w.Query(context.Background(), q)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var v sql.NullInt64
	if rows.Next() {
		if err := rows.Scan(&v); err != nil {
			b.Fatal(err)
		}
	}
	return v.Int64
}

// peakRSS is the process's peak resident set (VmHWM), 0 where unknown.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
