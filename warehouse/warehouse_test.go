package warehouse_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/transform"
	"github.com/tayninh/ktxh/warehouse"
	"github.com/tayninh/ktxh/warehouse/lake"
)

var ict = transform.Local

func at(s string) int64 {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, ict)
	if err != nil {
		panic(err)
	}
	return t.UnixMicro()
}

// snap is a snapshot as it arrives: its Kafka coordinates and content.
type snap struct {
	partition int32
	offset    int64
	kafkaTS   string
	row       transform.DossierSnapshot
}

// writeSnapshots commits snapshots to a lake through the same batches the
// ingester uses, one batch per partition.
func writeSnapshots(t *testing.T, dir string, snaps []snap) {
	t.Helper()
	l, err := lake.Open(dir, pipelines.Datasets(), lake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	byPart := map[int32][]snap{}
	for _, s := range snaps {
		byPart[s.partition] = append(byPart[s.partition], s)
	}
	for p, ss := range byPart {
		from, _, _ := l.Next("onestop.dossiers", int(p))
		b := l.NewBatch("onestop.dossiers", int(p), from)
		for _, s := range ss {
			ts := time.UnixMicro(at(s.kafkaTS))
			b.Record(&transform.Record{Topic: "onestop.dossiers", Partition: p, Offset: s.offset, Timestamp: ts, Value: []byte("x")})
			r := s.row
			r.KafkaPartition, r.KafkaOffset, r.KafkaTimestamp = p, s.offset, ts.UnixMicro()
			r.LastEventAt = max(r.SubmittedAt, r.ReceivedAt, r.FinishedAt, r.ReturnedAt, r.RefusedAt)
			r.Month = transform.MonthOf(max(r.LastEventAt, r.KafkaTimestamp))
			b.Row(transform.DatasetOnestopSnapshots, &r)
		}
		if _, err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

func open(t *testing.T, dir string) *warehouse.Warehouse {
	t.Helper()
	w, err := warehouse.Open(dir, pipelines.Datasets(), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func query(t *testing.T, w *warehouse.Warehouse, q string) string {
	t.Helper()
	rows, err := w.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	enc, _ := warehouse.NewEncoder("csv")
	var b bytes.Buffer
	if err := enc.Encode(&b, rows); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestCurrentStateNeverMovesBackwards(t *testing.T) {
	dir := t.TempDir()
	d := func(code string, status int32, received, finished, returned string) transform.DossierSnapshot {
		r := transform.DossierSnapshot{DossierCode: code, Status: status, SectorCode: "G13-TN02", AgencyCode: "000.00.20.H53"}
		if received != "" {
			r.ReceivedAt = at(received)
		}
		if finished != "" {
			r.FinishedAt = at(finished)
		}
		if returned != "" {
			r.ReturnedAt = at(returned)
		}
		return r
	}
	writeSnapshots(t, dir, []snap{
		// D1: progresses, then an old snapshot is replayed.
		{0, 0, "2019-09-13 08:00", d("D1", 2, "2019-09-13 08:00", "", "")},
		{0, 1, "2019-09-20 10:00", d("D1", 10, "2019-09-13 08:00", "2019-09-19 10:00", "2019-09-20 10:00")},
		{0, 2, "2019-10-01 09:00", d("D1", 2, "2019-09-13 08:00", "", "")},
		// D2: the finished snapshot arrives before an older one.
		{1, 0, "2019-09-25 10:00", d("D2", 9, "2019-09-13 08:00", "2019-09-25 10:00", "")},
		{1, 1, "2019-09-26 10:00", d("D2", 4, "2019-09-13 08:00", "", "")},
		// D3: same last event; returned (rank 2) beats finished (rank 1).
		{0, 3, "2019-09-20 10:00", d("D3", 10, "2019-09-13 08:00", "2019-09-20 10:00", "")},
		{0, 4, "2019-09-21 10:00", d("D3", 9, "2019-09-13 08:00", "2019-09-20 10:00", "")},
		// D4: same last event and rank: the later Kafka timestamp wins.
		{1, 2, "2019-09-14 10:00", d("D4", 5, "2019-09-13 08:00", "", "")},
		{1, 3, "2019-09-14 11:00", d("D4", 4, "2019-09-13 08:00", "", "")},
	})
	w := open(t, dir)
	got := query(t, w, "SELECT dossier_code, status, accepted, end_at FROM dossiers ORDER BY 1")
	want := "dossier_code,status,accepted,end_at\n" +
		"D1,10,true,2019-09-19 10:00:00+07\n" +
		"D2,9,true,2019-09-25 10:00:00+07\n" +
		"D3,10,true,2019-09-20 10:00:00+07\n" +
		"D4,4,true,\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := query(t, w, "SELECT count(*) AS n FROM onestop_snapshots"); got != "n\n9\n" {
		t.Errorf("snapshots: %s", got)
	}
}

func TestSandboxRefusesEverythingButReads(t *testing.T) {
	dir := t.TempDir()
	writeSnapshots(t, dir, []snap{{0, 0, "2019-09-13 08:00", transform.DossierSnapshot{DossierCode: "X", Status: 2}}})
	outside := filepath.Join(t.TempDir(), "secret.csv")
	os.WriteFile(outside, []byte("a\nsecret\n"), 0o644)
	w := open(t, dir)
	ctx := context.Background()
	gens, _ := filepath.Glob(filepath.Join(dir, "_cache", "onestop", "g-*"))
	if len(gens) != 1 {
		t.Fatalf("cache generations: %v", gens)
	}
	generation := gens[0]
	cacheBefore := treeDigest(t, filepath.Join(dir, "_cache"))
	kpisBefore := query(t, w, "SELECT * FROM kpi_onestop_monthly ORDER BY ALL")
	refused := []string{
		"CREATE TABLE t AS SELECT 1",
		"CREATE OR REPLACE VIEW dossiers AS SELECT 1",
		"DROP VIEW dossiers",
		"INSERT INTO src_calendar VALUES (DATE '2020-01-01', 'holiday', 'x')",
		"DELETE FROM src_calendar",
		"UPDATE src_calendar SET name = 'x'",
		"COPY (SELECT 1) TO '" + filepath.Join(dir, "out.csv") + "'",
		"EXPORT DATABASE '" + filepath.Join(dir, "exp") + "'",
		"ATTACH '" + filepath.Join(dir, "x.duckdb") + "' AS x",
		"SET enable_external_access = true",
		"SET lock_configuration = false",
		"RESET allowed_directories",
		"PRAGMA threads = 1",
		"INSTALL httpfs",
		"LOAD httpfs",
		"CALL pragma_version()",
		"SELECT 1; DROP VIEW dossiers",
		"SELECT 1; SELECT 2",
		"SELECT * FROM read_csv('" + outside + "')",
		"SELECT * FROM read_text('/etc/passwd')",
		"SELECT * FROM glob('/etc/*')",
		"SELECT * FROM read_parquet('/etc/*.parquet')",
		"EXPLAIN ANALYZE SELECT 1",
		"DESCRIBE dossiers; DROP VIEW dossiers",
		"BEGIN TRANSACTION",
		"CHECKPOINT",
		"VACUUM",
		"DETACH memory",
		"USE system",
		"CREATE MACRO m() AS 1",
		"PREPARE p AS SELECT 1",
		// The materialized tables, and the cache other processes load.
		"INSERT INTO onestop_kpi_periods SELECT * FROM onestop_kpi_periods",
		"DELETE FROM onestop_dossier_facts",
		"UPDATE onestop_kpi_span SET k1 = 0",
		"DROP TABLE onestop_kpi_periods",
		"CREATE OR REPLACE TABLE egov_kpi_parts AS SELECT 1 AS x",
		"ALTER TABLE staff_kpi_parts ADD COLUMN x INTEGER",
		"COPY onestop_kpi_periods TO '" + filepath.Join(dir, "_cache", "onestop", "x.parquet") + "' (FORMAT parquet)",
		"COPY (SELECT 1) TO '" + filepath.Join(generation, "onestop_kpi_periods.parquet") + "' (FORMAT parquet)",
		"COPY (SELECT 1) TO '" + filepath.Join(generation, "stamp.json") + "' (FORMAT csv)",
		"ATTACH '" + filepath.Join(dir, "_cache", "x.duckdb") + "' AS x",
		"EXPORT DATABASE '" + filepath.Join(dir, "_cache", "exp") + "'",
	}
	for _, q := range refused {
		rows, err := w.Query(ctx, q)
		if err == nil {
			for rows.Next() {
			}
			err = rows.Err()
			rows.Close()
		}
		if err == nil {
			t.Errorf("accepted: %s", q)
		}
	}
	if _, err := w.Query(ctx, "CREATE TABLE t AS SELECT 1"); !errors.Is(err, warehouse.ErrNotReadOnly) {
		t.Errorf("CREATE TABLE: %v, want ErrNotReadOnly", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "out.csv")); err == nil {
		t.Error("COPY wrote a file")
	}
	if got := treeDigest(t, filepath.Join(dir, "_cache")); got != cacheBefore {
		t.Errorf("the cache changed:\n%s\nwas\n%s", got, cacheBefore)
	}
	if got := query(t, w, "SELECT * FROM kpi_onestop_monthly ORDER BY ALL"); got != kpisBefore {
		t.Errorf("the KPIs changed:\n%s\nwere\n%s", got, kpisBefore)
	}
	// The views still answer after the attempts.
	allowed := []string{
		"SELECT count(*) FROM dossiers",
		"  -- a comment\nWITH x AS (SELECT 1 AS a) SELECT * FROM x;",
		"FROM dossiers LIMIT 1",
		"VALUES (1)",
		"DESCRIBE dossiers",
		"SHOW TABLES",
		"SUMMARIZE onestop_snapshots",
		"EXPLAIN SELECT * FROM dossiers",
		"SELECT * FROM read_parquet('" + filepath.Join(dir, "onestop_snapshots", "*", "*.parquet") + "')",
		"SELECT current_setting('TimeZone')",
	}
	for _, q := range allowed {
		rows, err := w.Query(ctx, q)
		if err != nil {
			t.Errorf("refused %q: %v", q, err)
			continue
		}
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			t.Errorf("%q: %v", q, err)
		}
		rows.Close()
	}
	if got := query(t, w, "SELECT current_setting('TimeZone') AS tz"); got != "tz\nAsia/Ho_Chi_Minh\n" {
		t.Errorf("time zone: %s", got)
	}
}

func TestViewsExistOnEmptyLakeAndRefresh(t *testing.T) {
	dir := t.TempDir()
	w := open(t, dir)
	if got := query(t, w, "SELECT count(*) AS n FROM dossiers"); got != "n\n0\n" {
		t.Errorf("empty lake: %s", got)
	}
	writeSnapshots(t, dir, []snap{{0, 0, "2019-09-13 08:00", transform.DossierSnapshot{DossierCode: "X", Status: 2}}})
	if got := query(t, w, "SELECT count(*) AS n FROM dossiers"); got != "n\n1\n" {
		t.Errorf("after files appeared: %s", got)
	}
}

func TestSplitStatements(t *testing.T) {
	got := warehouse.SplitStatements("SELECT ';' AS a; -- x;\nSELECT \"a;b\" FROM t;\n/* ; */ SELECT 3\n-- trailing comment")
	want := []string{"SELECT ';' AS a", "-- x;\nSELECT \"a;b\" FROM t", "/* ; */ SELECT 3\n-- trailing comment"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q", got)
	}
}

func TestEncodersPrintNumbersPlainly(t *testing.T) {
	w := open(t, t.TempDir())
	q := "SELECT sum(x) AS huge, 12.50::DECIMAL(5,2) AS dec, 0.25::DOUBLE AS dbl, NULL AS n FROM (VALUES (7), (10)) t(x)"
	got := query(t, w, q)
	if want := "huge,dec,dbl,n\n17,12.5,0.25,\n"; got != want {
		t.Errorf("csv got %q, want %q", got, want)
	}
	rows, err := w.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	enc, _ := warehouse.NewEncoder("json")
	var b bytes.Buffer
	if err := enc.Encode(&b, rows); err != nil {
		t.Fatal(err)
	}
	if want := "[{\"huge\":17,\"dec\":12.5,\"dbl\":0.25,\"n\":null}\n]\n"; b.String() != want {
		t.Errorf("json got %q, want %q", b.String(), want)
	}
}

// treeDigest lists every file under dir with its size and a hash of its
// content.
func treeDigest(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		fmt.Fprintf(&b, "%s %d %x\n", rel, len(content), sha256.Sum256(content))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestConcurrentQueries: queries at once get connections the pool opens
// after the configuration is locked, which must not need a setting.
func TestConcurrentQueries(t *testing.T) {
	w, err := warehouse.Open(t.TempDir(), pipelines.Datasets(), warehouse.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			rows, err := w.Query(context.Background(), "SELECT count(*), current_setting('TimeZone') FROM range(20000000) t(x) WHERE x % 7 = 1")
			if err != nil {
				t.Error(err)
				return
			}
			defer rows.Close()
			for rows.Next() {
				var n int64
				var tz string
				if err := rows.Scan(&n, &tz); err != nil || tz != "Asia/Ho_Chi_Minh" {
					t.Errorf("%d %q %v", n, tz, err)
				}
			}
			if err := rows.Err(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}
