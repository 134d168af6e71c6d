package dashboards

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

type lakeOnly struct{ dir string }

func (l lakeOnly) Query(context.Context, string) (*sql.Rows, error) { return nil, errors.New("unused") }
func (l lakeOnly) LakeDir() string                                  { return l.dir }

func TestStoreReloadsWhenTheLakeMoves(t *testing.T) {
	dir := t.TempDir()
	part := filepath.Join(dir, "_manifests", "onestop.dossiers", "0")
	if err := os.MkdirAll(part, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := Options{VersionCheck: time.Nanosecond}
	opts.validate()
	s := newStore(lakeOnly{dir}, opts, newMetrics(nil))
	var loads atomic.Int32
	release := make(chan struct{}, 10)
	load := func(context.Context) (any, error) {
		n := loads.Add(1)
		if n > 1 {
			<-release
		}
		return n, nil
	}
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if v, err := s.get(ctx, "k", load); err != nil || v.(int32) != 1 {
			t.Fatalf("get %d: %v %v", i, v, err)
		}
	}
	if loads.Load() != 1 {
		t.Fatalf("%d loads for one version", loads.Load())
	}
	// A commit: the next reader still gets the old value at once while the
	// new one loads.
	time.Sleep(10 * time.Millisecond)
	if err := os.WriteFile(filepath.Join(part, "00000000000000000001.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(part, time.Now().Add(time.Second), time.Now().Add(time.Second))
	if v, _ := s.get(ctx, "k", load); v.(int32) != 1 {
		t.Fatalf("stale read got %v", v)
	}
	release <- struct{}{}
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, _ := s.get(ctx, "k", load)
		if v.(int32) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the new version never came")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if loads.Load() != 2 {
		t.Errorf("%d loads, want 2", loads.Load())
	}
}

func TestStoreDoesNotKeepFailures(t *testing.T) {
	opts := Options{}
	opts.validate()
	s := newStore(lakeOnly{t.TempDir()}, opts, newMetrics(nil))
	fail := true
	load := func(context.Context) (any, error) {
		if fail {
			return nil, errors.New("view missing")
		}
		return "ok", nil
	}
	if _, err := s.get(context.Background(), "k", load); err == nil {
		t.Fatal("no error")
	}
	fail = false
	if v, err := s.get(context.Background(), "k", load); err != nil || v != "ok" {
		t.Fatalf("%v %v", v, err)
	}
}
