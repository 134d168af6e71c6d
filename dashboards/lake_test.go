package dashboards

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/pipelines/synth"
	"github.com/tayninh/ktxh/transform"
	"github.com/tayninh/ktxh/warehouse"
	"github.com/tayninh/ktxh/warehouse/lake"
)

// buildLake generates cfg's synthetic province and writes it into a lake at
// dir the way ingest does (one partition per topic, the real decoders,
// lake batches), keeping only the topics in keep (all when nil). It
// returns the number of records per topic.
func buildLake(ctx context.Context, dir string, cfg synth.Config, keep map[string]bool) (map[string]int64, error) {
	l, err := lake.Open(dir, pipelines.Datasets(), lake.Options{})
	if err != nil {
		return nil, err
	}
	defer l.Close()
	type part struct {
		src   pipelinesSource
		dec   transform.Decoder
		batch *lake.Batch
		next  int64
	}
	parts := map[string]*part{}
	for _, s := range pipelines.Sources(pipelines.DefaultTopics(), []byte("dashboards-test-pii-key-0123456789")) {
		if keep == nil || keep[s.Topic] {
			parts[s.Topic] = &part{src: pipelinesSource{s.Topic, s.MaxBytes}, dec: s.NewDecoder()}
		}
	}
	counts := map[string]int64{}
	commit := func(p *part) error {
		if p.batch == nil || p.batch.Records() == 0 {
			return nil
		}
		if _, err := p.batch.Commit(); err != nil {
			return fmt.Errorf("commit %s: %w", p.src.topic, err)
		}
		p.batch = nil
		return nil
	}
	err = synth.Generate(ctx, cfg, func(m synth.Message) error {
		p := parts[m.Topic]
		if p == nil {
			return nil
		}
		if p.batch == nil {
			p.batch = l.NewBatch(m.Topic, 0, p.next)
		}
		rec := &transform.Record{Topic: m.Topic, Partition: 0, Offset: p.next, Timestamp: m.Time, Key: m.Key, Value: m.Value}
		p.next++
		counts[m.Topic]++
		p.batch.Record(rec)
		if rec.Value != nil && transform.Precheck(rec, p.src.maxBytes, p.batch) {
			p.dec.Decode(rec, p.batch)
		}
		if err := p.batch.Err(); err != nil {
			return err
		}
		if p.batch.Records() >= 250_000 {
			return commit(p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		if err := commit(p); err != nil {
			return nil, err
		}
	}
	return counts, nil
}

type pipelinesSource struct {
	topic    string
	maxBytes int
}

// The package's tests share one small lake: 14 months of a 5% province.
var (
	testLakeOnce sync.Once
	testLakeDir  string
	testLakeErr  error
	testWH       *warehouse.Warehouse
)

var testLakeConfig = synth.Config{Seed: 7, From: time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC), Scale: 0.05}

func testWarehouse(t testing.TB) *warehouse.Warehouse {
	t.Helper()
	testLakeOnce.Do(func() {
		// KTXH_DASHBOARDS_LAKE names a lake to reuse (built on first use
		// and kept), for working on the pages without rebuilding it.
		if keep := os.Getenv("KTXH_DASHBOARDS_LAKE"); keep != "" {
			if _, err := os.Stat(filepath.Join(keep, "_manifests")); err != nil {
				if _, err := buildLake(context.Background(), keep, testLakeConfig, nil); err != nil {
					testLakeErr = fmt.Errorf("build test lake: %w", err)
					return
				}
			}
			testWH, testLakeErr = warehouse.Open(keep, pipelines.Datasets(), warehouse.Options{MaxConns: 2})
			return
		}
		dir, err := os.MkdirTemp("", "ktxh-dashboards-test-")
		if err != nil {
			testLakeErr = err
			return
		}
		testLakeDir = filepath.Join(dir, "lake")
		start := time.Now()
		counts, err := buildLake(context.Background(), testLakeDir, testLakeConfig, nil)
		if err != nil {
			testLakeErr = fmt.Errorf("build test lake: %w", err)
			return
		}
		testWH, testLakeErr = warehouse.Open(testLakeDir, pipelines.Datasets(), warehouse.Options{MaxConns: 2})
		fmt.Fprintf(os.Stderr, "dashboards: test lake of %v records built in %.1fs\n", counts, time.Since(start).Seconds())
	})
	if testLakeErr != nil {
		t.Fatal(testLakeErr)
	}
	return testWH
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testWH != nil {
		testWH.Close()
	}
	if testLakeDir != "" {
		os.RemoveAll(filepath.Dir(testLakeDir))
	}
	os.Exit(code)
}
