package warehouse_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/warehouse"
	"github.com/tayninh/ktxh/warehouse/lake"
)

// BenchmarkCompaction times, on a lake of the small synthetic province
// committed in KTXH_BENCH_BATCHES (default 500) batches per topic — a few
// thousand tiny files, as a trickle leaves — the warehouse's Open (a build
// from every file), the dataset views' queries, the compaction, and the
// same again after it, each time with a Refresh after a small batch lands.
// Run with -benchtime 1x.
func BenchmarkCompaction(b *testing.B) {
	batches := 500
	if s := os.Getenv("KTXH_BENCH_BATCHES"); s != "" {
		batches, _ = strconv.Atoi(s)
	}
	msgs := synthMessages()
	dir := b.TempDir()
	for i := 0; i < batches; i++ {
		commitSynth(b, dir, msgs[len(msgs)*i/batches:len(msgs)*(i+1)/batches])
	}
	queries := []string{
		"SELECT count(*) FROM onestop_snapshots",
		"SELECT count(*) FROM dossiers",
		"SELECT count(*) FROM lake_egov_status",
		"SELECT sum(received) FROM kpi_onestop(DATE '2024-11-01', DATE '2024-12-01')",
	}
	measure := func(phase string) {
		start := time.Now()
		w := openWith(b, dir, warehouse.Options{NoCache: true})
		open := time.Since(start)
		b.ReportMetric(open.Seconds(), "open-"+phase+"-s")
		for i, q := range queries {
			best := time.Duration(1 << 62)
			for range 3 {
				start := time.Now()
				queryTB(b, w, q)
				best = min(best, time.Since(start))
			}
			b.ReportMetric(best.Seconds()*1000, "q"+strconv.Itoa(i)+"-"+phase+"-ms")
		}
		// A batch lands: the refresh lists the lake, redefines the views
		// of the datasets it changed and updates the tables from it.
		commitSynth(b, dir, msgs[:len(msgs)/100])
		start = time.Now()
		if err := w.Refresh(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds()*1000, "refresh-"+phase+"-ms")
		w.Close()
	}
	for range b.N {
		b.ReportMetric(float64(lakeFilesTB(b, dir)), "files-before")
		measure("before")
		start := time.Now()
		st, err := lake.Compact(context.Background(), dir, pipelines.Datasets(), lake.Options{}, lake.CompactOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "compact-s")
		var rows int64
		for _, m := range st.Merges {
			rows += m.Rows
		}
		b.ReportMetric(float64(rows), "rows-merged")
		b.ReportMetric(float64(lakeFilesTB(b, dir)), "files-after")
		measure("after")
	}
	b.Logf("%d messages", len(msgs))
}
