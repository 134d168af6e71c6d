package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/transform"
	"github.com/tayninh/ktxh/warehouse/lake"
)

// The compaction goroutine of ingest --compact-every compacts the lake it
// shares with the workers, and stops when its context ends.
func TestCompactLoop(t *testing.T) {
	dir := t.TempDir()
	l, err := lake.Open(dir, pipelines.Datasets(), lake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	old := time.Now().Add(-2 * time.Hour)
	for i := int64(0); i < 5; i++ {
		b := l.NewBatch(pipelines.TopicDossiers, 0, i)
		b.Record(&transform.Record{Topic: pipelines.TopicDossiers, Offset: i, Value: []byte("x")})
		b.Row(transform.DatasetOnestopSnapshots, &transform.DossierSnapshot{Month: "2024-03", DossierCode: "D", KafkaOffset: i})
		m, err := b.Commit()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m.Files {
			os.Chtimes(filepath.Join(dir, f.Path), old, old)
		}
	}
	month := filepath.Join(dir, transform.DatasetOnestopSnapshots, "month=2024-03")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		compactLoop(ctx, l, 10*time.Millisecond, lake.CompactOptions{}, slog.New(slog.DiscardHandler))
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ents, _ := os.ReadDir(month); len(ents) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lake was not compacted within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("compactLoop did not stop")
	}
}
