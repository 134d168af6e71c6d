package lake

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/tayninh/ktxh/transform"
)

type row struct {
	Month string `parquet:"-"`
	ID    int64  `parquet:"id"`
	Name  string `parquet:"name,optional"`
}

var rows = NewDataset("rows", "month", func(r *row) string { return r.Month })

func openLake(t *testing.T, dir string) *Lake {
	t.Helper()
	l, err := Open(dir, []Dataset{rows}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// fill adds records [from, to) with one row each, months alternating, and
// a rejection for every 5th record.
func fill(b *Batch, from, to int64) {
	for o := from; o < to; o++ {
		rec := &transform.Record{Topic: "t", Partition: 0, Offset: o, Timestamp: time.Unix(o, 0), Value: []byte("v")}
		b.Record(rec)
		if o%5 == 0 {
			b.Reject(transform.Rejection{Item: -1, Reason: "bad"})
			continue
		}
		b.Row("rows", &row{Month: []string{"2019-09", "2019-10"}[o%2], ID: o})
	}
}

func readIDs(t *testing.T, dir string) map[int64]int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "rows", "month=*", "*.parquet"))
	ids := map[int64]int{}
	for _, f := range files {
		got, err := parquet.ReadFile[row](f)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		for _, r := range got {
			ids[r.ID]++
		}
	}
	return ids
}

func TestCommitPublishesAndResumes(t *testing.T) {
	dir := t.TempDir()
	l := openLake(t, dir)
	if _, ok, _ := l.Next("t", 0); ok {
		t.Fatal("empty lake has a resume offset")
	}
	b := l.NewBatch("t", 0, 0)
	fill(b, 0, 100)
	m, err := b.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if m.Records != 100 || m.Rejected != 20 || len(m.Files) != 3 {
		t.Errorf("manifest = %+v", m)
	}
	next, ok, err := l.Next("t", 0)
	if err != nil || !ok || next != 100 {
		t.Fatalf("Next = %d %v %v", next, ok, err)
	}
	ids := readIDs(t, dir)
	if len(ids) != 80 {
		t.Errorf("ids = %d, want 80", len(ids))
	}
	q, _ := filepath.Glob(filepath.Join(dir, "quarantine", "topic=t", "*.parquet"))
	if len(q) != 1 {
		t.Errorf("quarantine files = %v", q)
	}
	if ents, _ := os.ReadDir(l.procDir); len(ents) != 1 { // only .lock
		t.Errorf("leftovers in %s: %v", l.procDir, ents)
	}
}

// A batch whose files cannot be published after its commit point is not
// lost: its files stay in the process directory, which Close leaves, and
// the next Open publishes them.
func TestPublishFailureIsFinishedByNextOpen(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, []Dataset{rows}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := l.NewBatch("t", 0, 0)
	fill(b, 0, 50)
	failPublish = func() error { return errors.New("disk full") }
	_, err = b.Commit()
	failPublish = nil
	if err == nil {
		t.Fatal("Commit succeeded with publish failing")
	}
	if next, ok, _ := l.Next("t", 0); !ok || next != 50 {
		t.Fatalf("Next = %d %v, want 50: the batch is committed", next, ok)
	}
	if n := len(readIDs(t, dir)); n != 0 {
		t.Fatalf("%d rows visible before publishing", n)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	openLake(t, dir)
	ids := readIDs(t, dir)
	if len(ids) != 40 {
		t.Errorf("after reopening, %d rows visible, want 40", len(ids))
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("row %d visible %d times", id, n)
		}
	}
}

func TestCommitConflict(t *testing.T) {
	dir := t.TempDir()
	a, b := openLake(t, dir), openLake(t, dir) // two processes
	ba, bb := a.NewBatch("t", 0, 0), b.NewBatch("t", 0, 0)
	fill(ba, 0, 10)
	fill(bb, 0, 7)
	if _, err := ba.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := bb.Commit(); !errors.Is(err, ErrConflict) {
		t.Fatalf("second commit from the same offset: %v, want ErrConflict", err)
	}
	ids := readIDs(t, dir)
	for id, n := range ids {
		if n != 1 {
			t.Errorf("id %d landed %d times", id, n)
		}
	}
	if len(ids) != 8 {
		t.Errorf("ids = %d, want 8", len(ids))
	}
}

// A writer that dies between the manifest link and the renames leaves a
// committed batch in _tmp: the next Open must publish it. One that dies
// before the link leaves garbage that must go.
func TestRecoverAfterCrash(t *testing.T) {
	dir := t.TempDir()
	l := openLake(t, dir)
	committed := l.NewBatch("t", 0, 0)
	fill(committed, 0, 10)
	// Commit up to the link, then "crash" before publishing.
	m := &committed.m
	m.Topic, m.Partition, m.From, m.Next, m.FlushID = "t", 0, 0, 10, committed.id
	for _, tb := range committed.tables {
		files, err := tb.finish()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			f.Path = filepath.Join(f.Dataset, f.Partition, "t-0-crash.parquet")
			m.Files = append(m.Files, f)
		}
	}
	if err := writeFileSync(filepath.Join(committed.dir, "manifest.json"), m); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(l.partitionDir("t", 0), 0o755)
	if err := os.Link(filepath.Join(committed.dir, "manifest.json"), filepath.Join(l.partitionDir("t", 0), manifestName(0))); err != nil {
		t.Fatal(err)
	}
	uncommitted := l.NewBatch("t", 0, 10)
	fill(uncommitted, 10, 20)
	for _, tb := range uncommitted.tables {
		if _, err := tb.finish(); err != nil {
			t.Fatal(err)
		}
	}
	// The process dies: its lock goes.
	l.lock.Close()
	l.lock = nil

	if got := readIDs(t, dir); len(got) != 0 {
		t.Fatalf("visible before recovery: %v", got)
	}
	l2 := openLake(t, dir)
	got := readIDs(t, dir)
	if len(got) != 8 {
		t.Errorf("after recovery ids = %d, want 8", len(got))
	}
	for id := range got {
		if id >= 10 {
			t.Errorf("uncommitted id %d published", id)
		}
	}
	if _, err := os.Stat(l.procDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dead process dir left: %v", err)
	}
	if next, _, _ := l2.Next("t", 0); next != 10 {
		t.Errorf("Next = %d, want 10", next)
	}
}

// A live writer's work in progress is not recovery's to touch.
func TestRecoverSkipsLiveWriter(t *testing.T) {
	dir := t.TempDir()
	l := openLake(t, dir)
	b := l.NewBatch("t", 0, 0)
	fill(b, 0, 10)
	openLake(t, dir)
	if _, err := b.Commit(); err != nil {
		t.Fatalf("commit after another process opened the lake: %v", err)
	}
}

func TestWriteErrorCommitsNothing(t *testing.T) {
	dir := t.TempDir()
	l := openLake(t, dir)
	b := l.NewBatch("t", 0, 0)
	fill(b, 0, 10)
	// Break the batch's directory under it.
	os.RemoveAll(b.dir)
	os.WriteFile(b.dir, []byte("not a dir"), 0o644)
	if _, err := b.Commit(); err == nil {
		t.Fatal("commit succeeded with a broken batch directory")
	}
	os.Remove(b.dir)
	if _, ok, _ := l.Next("t", 0); ok {
		t.Error("a manifest was committed")
	}
	if got := readIDs(t, dir); len(got) != 0 {
		t.Errorf("visible: %v", got)
	}
}

func TestPruneKeepsNewest(t *testing.T) {
	dir := t.TempDir()
	l := openLake(t, dir)
	var from int64
	for i := 0; i < keepManifests+5; i++ {
		b := l.NewBatch("t", 1, from)
		b.Record(&transform.Record{Topic: "t", Partition: 1, Offset: from})
		if _, err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		from++
	}
	names, _ := l.manifestNames("t", 1)
	if len(names) != keepManifests {
		t.Errorf("manifests = %d, want %d", len(names), keepManifests)
	}
	if next, _, _ := l.Next("t", 1); next != from {
		t.Errorf("Next = %d, want %d", next, from)
	}
}

// Optional fields absent, present, absent again in one batch must stay
// NULL: parquet-go v0.32.0 wrote the later ones as zero values (see
// third_party/README.md).
func TestOptionalNullsSurviveBatchedWrites(t *testing.T) {
	dir := t.TempDir()
	l := openLake(t, dir)
	b := l.NewBatch("t", 0, 0)
	// Word one: null, present, then nulls; word two: two nulls, two
	// present, nulls; then a mixed tail.
	pattern := "-x" + strings.Repeat("-", 62) + "--xx" + strings.Repeat("-", 60) + "x-xx--x-"
	for i, c := range pattern {
		b.Record(&transform.Record{Topic: "t", Offset: int64(i), Value: []byte("v")})
		r := &row{Month: "2019-09", ID: int64(i)}
		if c == 'x' {
			r.Name = "n"
		}
		b.Row("rows", r)
	}
	if _, err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "rows", "month=*", "*.parquet"))
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	got, err := parquet.Read[any](f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range got {
		r := v.(map[string]any)
		id := r["id"].(int64)
		present := r["name"] != nil
		if want := pattern[id] == 'x'; present != want {
			t.Errorf("row %d: name present = %v (%v), want %v", id, present, r["name"], want)
		}
	}
}
