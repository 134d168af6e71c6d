package warehouse_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/warehouse"
)

// BenchmarkOpen measures Open over the benchmark lake of benchLake
// (KTXH_BENCH_DOSSIERS dossiers, 10 million by default):
//
//	KTXH_BENCH_DOSSIERS=1000000 go test -run '^$' -bench '^BenchmarkOpen$' -benchtime 1x ./warehouse/
//
//	build        without the cache: the materialized tables built from every snapshot
//	build_write  the first Open of a lake: the build, then the cache written
//	cached       an Open of an unchanged lake: the cache loaded
//	new_month    an Open after a month of snapshots landed (1/85 of them): the
//	             cache loaded and the month's files applied
//	empty        an Open of an empty lake: DuckDB and the semantic layer
//
// KTXH_BENCH_LOG=1 prints the warehouse's debug log. Each runs on a lake of
// hard links to the benchmark lake's files, so that the cache written there
// goes with it.
func BenchmarkOpen(b *testing.B) {
	src := benchLake(b, benchDossiers(b))
	opts := warehouse.Options{Threads: runtime.NumCPU()}
	if os.Getenv("KTXH_BENCH_LOG") != "" {
		// What each Open did, and how long each part took.
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	// open times Open, and reports the CPU time it took too: on a shared
	// machine the wall clock says as much about the neighbours.
	var cpu time.Duration
	var opens int
	open := func(b *testing.B, dir string, opts warehouse.Options) {
		b.Helper()
		before := cpuTime(b)
		w, err := warehouse.Open(dir, pipelines.Datasets(), opts)
		if err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime(b) - before
		opens++
		b.StopTimer()
		w.Close()
		b.StartTimer()
	}
	report := func(b *testing.B) {
		if opens > 0 {
			b.ReportMetric(float64(cpu.Milliseconds())/float64(opens), "cpu_ms/open")
		}
		cpu, opens = 0, 0
	}
	b.Run("build", func(b *testing.B) {
		dir := benchLinkCopy(b, src, 0)
		nc := opts
		nc.NoCache = true
		for b.Loop() {
			open(b, dir, nc)
		}
		report(b)
	})
	b.Run("build_write", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			dir := benchLinkCopy(b, src, 0)
			b.StartTimer()
			open(b, dir, opts)
		}
		report(b)
	})
	b.Run("cached", func(b *testing.B) {
		dir := benchLinkCopy(b, src, 0)
		open(b, dir, opts)
		cpu, opens = 0, 0
		for b.Loop() {
			open(b, dir, opts)
		}
		report(b)
	})
	b.Run("new_month", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			dir := benchLinkCopy(b, src, 1)
			open(b, dir, opts)
			months, _ := filepath.Glob(filepath.Join(src, "onestop_snapshots", "month=*"))
			sort.Strings(months)
			last := months[len(months)-1]
			linkTree(b, last, filepath.Join(dir, "onestop_snapshots", filepath.Base(last)))
			cpu, opens = 0, 0
			b.StartTimer()
			open(b, dir, opts)
		}
		report(b)
	})
	b.Run("empty", func(b *testing.B) {
		dir := b.TempDir()
		for b.Loop() {
			open(b, dir, opts)
		}
		report(b)
	})
}

// benchLinkCopy is a lake of hard links to src's files, less the last
// withhold months of snapshots.
func benchLinkCopy(b *testing.B, src string, withhold int) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "lake")
	months, err := filepath.Glob(filepath.Join(src, "onestop_snapshots", "month=*"))
	if err != nil || len(months) <= withhold {
		b.Fatalf("months of %s: %v %v", src, months, err)
	}
	sort.Strings(months)
	for _, m := range months[:len(months)-withhold] {
		linkTree(b, m, filepath.Join(dir, "onestop_snapshots", filepath.Base(m)))
	}
	return dir
}

func linkTree(b *testing.B, src, dst string) {
	b.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return os.Link(path, filepath.Join(dst, rel))
	})
	if err != nil {
		b.Fatal(err)
	}
}

// cpuTime is the CPU time the process has used so far, DuckDB's threads
// included.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRefreshBatch measures the incremental update a long-lived
// warehouse (ktxh serve) runs as batches land: the benchmark lake less its
// last two months is opened, then those months arrive in ten batches, each
// followed by a Refresh. refresh_ms is the mean Refresh, build_ms the build
// from every file it replaces.
//
//	KTXH_BENCH_DOSSIERS=1000000 go test -run '^$' -bench '^BenchmarkRefreshBatch$' -benchtime 1x ./warehouse/
func BenchmarkRefreshBatch(b *testing.B) {
	src := benchLake(b, benchDossiers(b))
	const batches = 10
	dir := benchLinkCopy(b, src, 2)
	months, _ := filepath.Glob(filepath.Join(src, "onestop_snapshots", "month=*"))
	sort.Strings(months)
	parts := filepath.Join(b.TempDir(), "parts")
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range months[len(months)-2:] {
		files, _ := filepath.Glob(filepath.Join(m, "*.parquet"))
		for i := range batches {
			out := filepath.Join(parts, fmt.Sprint(i), filepath.Base(m), fmt.Sprintf("part-%d.parquet", i))
			os.MkdirAll(filepath.Dir(out), 0o755)
			q := fmt.Sprintf("COPY (SELECT * FROM read_parquet(%s) WHERE kafka_offset %% %d = %d) TO '%s' (FORMAT parquet, COMPRESSION zstd)",
				sqlList(files), batches, i, out)
			if _, err := db.Exec(q); err != nil {
				b.Fatal(err)
			}
		}
	}
	db.Close()
	opts := warehouse.Options{Threads: runtime.NumCPU()}
	start := time.Now()
	w, err := warehouse.Open(dir, pipelines.Datasets(), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	build := time.Since(start)
	var total time.Duration
	for b.Loop() {
		total = 0
		for i := range batches {
			b.StopTimer()
			linkTree(b, filepath.Join(parts, fmt.Sprint(i)), filepath.Join(dir, "onestop_snapshots"))
			b.StartTimer()
			start := time.Now()
			if err := w.Refresh(context.Background()); err != nil {
				b.Fatal(err)
			}
			total += time.Since(start)
		}
	}
	if got := w.MaterializeStats()["onestop"]; got.Incremental != batches {
		b.Errorf("%+v, want %d incremental updates", got, batches)
	}
	b.ReportMetric(float64(total.Milliseconds())/batches, "refresh_ms")
	b.ReportMetric(float64(build.Milliseconds()), "build_ms")
}

func sqlList(paths []string) string {
	q := make([]string, len(paths))
	for i, p := range paths {
		q[i] = "'" + strings.ReplaceAll(p, "'", "''") + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}
