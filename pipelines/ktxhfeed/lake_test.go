package ktxhfeed

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/tayninh/ktxh/ingest"
	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/pipelines/synth"
	"github.com/tayninh/ktxh/transform"
	"github.com/tayninh/ktxh/warehouse"
	"github.com/tayninh/ktxh/warehouse/lake"
)

// The test lake: a synthetic province (pipelines/synth) from July to
// October 2019 at a small scale, decoded by the real decoders and written
// through the real lake batches, as `ktxh ingest` would.
var (
	lakeOnce sync.Once
	lakeDir  string
	lakeErr  error

	whOnce sync.Once
	wh     *warehouse.Warehouse
	whErr  error
)

// sharedWarehouse is one warehouse over the test lake for every test that
// only reads: opening one materialises the one-stop KPIs.
func sharedWarehouse(t testing.TB) Querier {
	t.Helper()
	dir := testLake(t)
	whOnce.Do(func() { wh, whErr = warehouse.Open(dir, pipelines.Datasets(), warehouse.Options{}) })
	if whErr != nil {
		t.Fatal(whErr)
	}
	return wh
}

func testLake(t testing.TB) string {
	t.Helper()
	lakeOnce.Do(func() {
		lakeDir, lakeErr = os.MkdirTemp("", "ktxhfeed-lake-")
		if lakeErr == nil {
			lakeErr = writeSynthLake(lakeDir, time.Date(2019, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2019, 10, 1, 0, 0, 0, 0, time.UTC), 0.03)
		}
	})
	if lakeErr != nil {
		t.Fatal(lakeErr)
	}
	return lakeDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if wh != nil {
		wh.Close()
	}
	if lakeDir != "" {
		os.RemoveAll(lakeDir)
	}
	os.Exit(code)
}

func writeSynthLake(dir string, from, to time.Time, scale float64) error {
	l, err := lake.Open(dir, pipelines.Datasets(), lake.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	sources := map[string]ingest.Source{}
	for _, s := range pipelines.Sources(pipelines.DefaultTopics(), []byte("ktxhfeed-test-key-0123456789abcdef")) {
		sources[s.Topic] = s
	}
	type part struct {
		b   *lake.Batch
		dec transform.Decoder
		off int64
	}
	parts := map[string]*part{}
	commit := func(p *part) error {
		if p.b == nil || p.b.Records() == 0 {
			return nil
		}
		_, err := p.b.Commit()
		p.b = nil
		return err
	}
	err = synth.Generate(context.Background(), synth.Config{Seed: 7, From: from, To: to, Scale: scale}, func(m synth.Message) error {
		p := parts[m.Topic]
		if p == nil {
			src, ok := sources[m.Topic]
			if !ok {
				return fmt.Errorf("no source for topic %s", m.Topic)
			}
			p = &part{dec: src.NewDecoder()}
			parts[m.Topic] = p
		}
		if p.b == nil {
			p.b = l.NewBatch(m.Topic, 0, p.off)
		}
		rec := transform.Record{Topic: m.Topic, Partition: 0, Offset: p.off, Timestamp: m.Time, Key: m.Key, Value: m.Value}
		p.off++
		p.b.Record(&rec)
		if rec.Value != nil && transform.Precheck(&rec, sources[m.Topic].MaxBytes, p.b) {
			p.dec.Decode(&rec, p.b)
		}
		if p.b.Records() >= 50000 {
			return commit(p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range parts {
		if err := commit(p); err != nil {
			return err
		}
	}
	return nil
}

func openWarehouse(t testing.TB, dir string) Querier {
	t.Helper()
	w, err := warehouse.Open(dir, pipelines.Datasets(), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}
