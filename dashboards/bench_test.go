package dashboards

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/pipelines/synth"
	"github.com/tayninh/ktxh/warehouse"
)

// benchLakeConfig makes about a million dossiers: 14 months of a province
// 2.2 times Tây Ninh's size (one-stop topic only).
var benchLakeConfig = synth.Config{Seed: 11, From: time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC), Scale: 2.2}

// benchLake returns the benchmark lake, built once (a few minutes) and
// kept under the temporary directory between runs.
func benchLake(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("ktxh-dashboards-bench-lake-s%d-%v", benchLakeConfig.Seed, benchLakeConfig.Scale))
	marker := filepath.Join(dir, "COMPLETE")
	if _, err := os.Stat(marker); err == nil {
		return dir
	}
	os.RemoveAll(dir)
	tmp := dir + ".building"
	os.RemoveAll(tmp)
	b.Logf("building the benchmark lake once (kept at %s)...", dir)
	start := time.Now()
	counts, err := buildLake(context.Background(), tmp, benchLakeConfig, map[string]bool{pipelines.TopicDossiers: true})
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "COMPLETE"), fmt.Appendf(nil, "%v built in %s\n", counts, time.Since(start)), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		b.Fatal(err)
	}
	b.Logf("benchmark lake: %v records in %.0fs", counts, time.Since(start).Seconds())
	return dir
}

// BenchmarkOverview times the server rendering the overview of one month
// over a lake of about a million dossiers: "cold" on a server that has not
// read the KPI view yet (the first reader after the lake changed), "warm"
// when it has (every reader after).
func BenchmarkOverview(b *testing.B) {
	dir := benchLake(b)
	start := time.Now()
	// NoCache: the KPI tables built into memory, as the figures have
	// always been taken (an Open that finds them in <lake>/_cache reads
	// them from there until the first new batch).
	w, err := warehouse.Open(dir, pipelines.Datasets(), warehouse.Options{NoCache: true})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	rows, err := w.Query(context.Background(), "SELECT count(*) FROM dossiers")
	if err != nil {
		b.Fatal(err)
	}
	var dossiers int64
	rows.Next()
	rows.Scan(&dossiers)
	rows.Close()
	b.Logf("%d dossiers; warehouse open and its KPI tables built in %.1fs", dossiers, time.Since(start).Seconds())
	var q Querier = w
	month := "2025-09"
	render := func(b *testing.B, h http.Handler) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/?month="+month, nil))
		if rec.Code != 200 || rec.Body.Len() < 10_000 {
			b.Fatalf("status %d, %d bytes: %.300s", rec.Code, rec.Body.Len(), rec.Body.String())
		}
	}
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			s, err := New(q, Options{})
			if err != nil {
				b.Fatal(err)
			}
			render(b, s.Handler())
		}
		b.ReportMetric(float64(dossiers), "dossiers")
	})
	b.Run("warm", func(b *testing.B) {
		s, err := New(q, Options{})
		if err != nil {
			b.Fatal(err)
		}
		h := s.Handler()
		render(b, h)
		for b.Loop() {
			render(b, h)
		}
		b.ReportMetric(float64(dossiers), "dossiers")
	})
}
