package warehouse

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/warehouse/lake"
)

func TestFileSetAdded(t *testing.T) {
	base := fileSet{"a": {"m=1/x.parquet": 10, "m=1/y.parquet": 20}, "b": {}}
	tests := []struct {
		name  string
		newer fileSet
		added fileSet
		ok    bool
	}{
		{"same", fileSet{"a": {"m=1/x.parquet": 10, "m=1/y.parquet": 20}, "b": {}},
			fileSet{"a": {}, "b": {}}, true},
		{"new files", fileSet{"a": {"m=1/x.parquet": 10, "m=1/y.parquet": 20, "m=2/z.parquet": 5}, "b": {"m=1/w.parquet": 7}},
			fileSet{"a": {"m=2/z.parquet": 5}, "b": {"m=1/w.parquet": 7}}, true},
		{"file gone", fileSet{"a": {"m=1/x.parquet": 10}, "b": {}}, nil, false},
		{"file changed size", fileSet{"a": {"m=1/x.parquet": 11, "m=1/y.parquet": 20}, "b": {}}, nil, false},
		{"dataset missing", fileSet{"a": {"m=1/x.parquet": 10, "m=1/y.parquet": 20}}, nil, false},
		{"dataset more", fileSet{"a": {"m=1/x.parquet": 10, "m=1/y.parquet": 20}, "b": {}, "c": {}}, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			added, ok := base.added(tc.newer, false)
			if ok != tc.ok || (ok && !added.equal(tc.added)) {
				t.Errorf("added = %v, %v; want %v, %v", added, ok, tc.added, tc.ok)
			}
			if got := base.equal(tc.newer); got != (tc.name == "same") {
				t.Errorf("equal = %v", got)
			}
		})
	}
}

// TestFileSetAddedMerged: with merged, files a compaction merged may leave
// when the file that supersedes them is added.
func TestFileSetAddedMerged(t *testing.T) {
	f := lake.FileName
	a, b, c := "m=1/"+f("t", 0, 0, 10), "m=1/"+f("t", 0, 10, 20), "m=1/"+f("t", 0, 20, 30)
	base := fileSet{"s": {a: 10, b: 20, c: 30}}
	tests := []struct {
		name   string
		newer  fileSet
		merged bool
		added  fileSet
		ok     bool
	}{
		{"merged", fileSet{"s": {"m=1/" + f("t", 0, 0, 20): 25, c: 30}}, true, fileSet{"s": {"m=1/" + f("t", 0, 0, 20): 25}}, true},
		{"merged with new offsets", fileSet{"s": {"m=1/" + f("t", 0, 0, 40): 50}}, true, fileSet{"s": {"m=1/" + f("t", 0, 0, 40): 50}}, true},
		{"merged not allowed", fileSet{"s": {"m=1/" + f("t", 0, 0, 20): 25, c: 30}}, false, nil, false},
		{"gone, no cover", fileSet{"s": {b: 20, c: 30}}, true, nil, false},
		{"cover in another directory", fileSet{"s": {"m=2/" + f("t", 0, 0, 20): 25, c: 30}}, true, nil, false},
		{"cover of another partition", fileSet{"s": {"m=1/" + f("t", 1, 0, 20): 25, c: 30}}, true, nil, false},
		{"changed size", fileSet{"s": {a: 11, b: 20, c: 30}}, true, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			added, ok := base.added(tc.newer, tc.merged)
			if ok != tc.ok || (ok && !added.equal(tc.added)) {
				t.Errorf("added = %v, %v; want %v, %v", added, ok, tc.added, tc.ok)
			}
		})
	}
}

// TestListerSeesNewFiles: a file published into a partition directory
// listed moments before is seen, though the directory's time may not have
// moved (dirSettle).
func TestListerSeesNewFiles(t *testing.T) {
	dir := t.TempDir()
	part := filepath.Join(dir, "onestop_snapshots", "month=2024-05")
	os.MkdirAll(part, 0o755)
	os.WriteFile(filepath.Join(part, "a.parquet"), []byte("12345"), 0o644)
	os.WriteFile(filepath.Join(part, "a.json"), []byte("1"), 0o644)
	os.MkdirAll(filepath.Join(dir, "onestop_snapshots", "other"), 0o755)
	os.WriteFile(filepath.Join(dir, "onestop_snapshots", "other", "b.parquet"), []byte("1"), 0o644)
	ds := datasetsByName(t, "onestop_snapshots")
	l := newLister(dir)
	got, err := l.list(ds)
	if err != nil {
		t.Fatal(err)
	}
	if want := (fileSet{"onestop_snapshots": {"month=2024-05/a.parquet": 5}}); !got.equal(want) {
		t.Errorf("first listing %v, want %v", got, want)
	}
	// Same modification time as the first listing saw.
	info, _ := os.Stat(part)
	os.WriteFile(filepath.Join(part, "c.parquet"), []byte("123"), 0o644)
	os.Chtimes(part, info.ModTime(), info.ModTime())
	got, err = l.list(ds)
	if err != nil {
		t.Fatal(err)
	}
	if want := (fileSet{"onestop_snapshots": {"month=2024-05/a.parquet": 5, "month=2024-05/c.parquet": 3}}); !got.equal(want) {
		t.Errorf("second listing %v, want %v", got, want)
	}
}

// TestCollectGenerations: all but the newest generations go, except one a
// reader holds, and so do temporary directories of writers long dead.
func TestCollectGenerations(t *testing.T) {
	dir := t.TempDir()
	w := &Warehouse{lakeDir: dir, opts: Options{Logger: slog.New(slog.DiscardHandler)}}
	gdir := w.cacheGroupDir("onestop")
	for _, name := range []string{"g-1", "g-2", "g-3", "g-4", "g-5", "g-6-nostamp", ".tmp-old", ".tmp-new"} {
		os.MkdirAll(filepath.Join(gdir, name), 0o755)
		if name != "g-6-nostamp" {
			os.WriteFile(filepath.Join(gdir, name, "stamp.json"), []byte("{}"), 0o644)
		}
	}
	old := time.Now().Add(-2 * tmpMaxAge)
	os.Chtimes(filepath.Join(gdir, ".tmp-old"), old, old)
	reader, err := os.Open(filepath.Join(gdir, "g-1", "stamp.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if err := syscall.Flock(int(reader.Fd()), syscall.LOCK_SH); err != nil {
		t.Fatal(err)
	}
	w.collectGenerations("onestop")
	ents, _ := os.ReadDir(gdir)
	var left []string
	for _, e := range ents {
		left = append(left, e.Name())
	}
	// g-6-nostamp and g-5 are the newest names; g-1 is being read.
	if want := []string{".tmp-new", "g-1", "g-5", "g-6-nostamp"}; !slices.Equal(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}
}

func datasetsByName(t *testing.T, names ...string) []lake.Dataset {
	t.Helper()
	var out []lake.Dataset
	for _, d := range pipelines.Datasets() {
		if slices.Contains(names, d.Name()) {
			out = append(out, d)
		}
	}
	if len(out) != len(names) {
		t.Fatalf("datasets %v: found %d", names, len(out))
	}
	return out
}
