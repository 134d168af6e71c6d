package lake

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

func TestParseFileName(t *testing.T) {
	tests := []struct {
		name string
		want FileRange
		ok   bool
	}{
		{FileName("onestop.dossiers", 3, 100, 200), FileRange{"onestop.dossiers", 3, 100, 200}, true},
		{FileName("a-b-c", 0, 0, 1), FileRange{"a-b-c", 0, 0, 1}, true},
		{"t-0-5-9.parquet", FileRange{"t", 0, 5, 9}, true},
		{"t-0-9-5.parquet", FileRange{}, false},  // empty range
		{"t-0-5-5.parquet", FileRange{}, false},  // empty range
		{"-0-5-9.parquet", FileRange{}, false},   // no topic
		{"t-x-5-9.parquet", FileRange{}, false},  // partition not a number
		{"t-0-+5-9.parquet", FileRange{}, false}, // sign
		{"t-0-5-9.json", FileRange{}, false},
		{"data.parquet", FileRange{}, false},
		{"t-0-5-99999999999999999999.parquet", FileRange{}, false}, // overflows
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseFileName(tc.name)
			if ok != tc.ok || got != tc.want {
				t.Errorf("ParseFileName(%q) = %+v, %v; want %+v, %v", tc.name, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestSuperseded(t *testing.T) {
	f := FileName
	tests := []struct {
		name  string
		names []string
		want  map[string]string
	}{
		{"batches only", []string{f("t", 0, 0, 10), f("t", 0, 10, 20), f("t", 1, 0, 10)}, map[string]string{}},
		{"merged file covers its inputs, with gaps", []string{f("t", 0, 0, 10), f("t", 0, 25, 30), f("t", 0, 0, 30), f("t", 0, 30, 40)},
			map[string]string{f("t", 0, 0, 10): f("t", 0, 0, 30), f("t", 0, 25, 30): f("t", 0, 0, 30)}},
		{"other partition and topic untouched", []string{f("t", 0, 0, 30), f("t", 1, 5, 10), f("u", 0, 5, 10), f("t-x", 0, 5, 10)},
			map[string]string{}},
		{"nested merges: the outermost covers", []string{f("t", 0, 0, 10), f("t", 0, 0, 20), f("t", 0, 10, 20), f("t", 0, 0, 40), f("t", 0, 20, 40)},
			map[string]string{f("t", 0, 0, 10): f("t", 0, 0, 40), f("t", 0, 0, 20): f("t", 0, 0, 40), f("t", 0, 10, 20): f("t", 0, 0, 40), f("t", 0, 20, 40): f("t", 0, 0, 40)}},
		{"partial overlap keeps both", []string{f("t", 0, 0, 20), f("t", 0, 10, 30)}, map[string]string{}},
		{"unparseable names kept", []string{"x.parquet", f("t", 0, 0, 30), "t-0-0-10.parquet.tmp", "t-0-abc-5.parquet"}, map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Superseded(tc.names)
			if !maps.Equal(got, tc.want) {
				t.Errorf("Superseded = %v, want %v", got, tc.want)
			}
			live := LiveFiles(tc.names)
			for _, n := range tc.names {
				_, gone := tc.want[n]
				if slices.Contains(live, n) == gone {
					t.Errorf("LiveFiles = %v: %s live = %v", live, n, !gone)
				}
			}
		})
	}
}

// commitBatches commits n batches of size records each from offset 0 on
// partition 0 of topic t (fill), and makes their files age old.
func commitBatches(t *testing.T, l *Lake, from int64, n, size int, age time.Duration) int64 {
	t.Helper()
	for i := 0; i < n; i++ {
		b := l.NewBatch("t", 0, from)
		fill(b, from, from+int64(size))
		m, err := b.Commit()
		if err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-age)
		for _, f := range m.Files {
			if err := os.Chtimes(filepath.Join(l.dir, f.Path), old, old); err != nil {
				t.Fatal(err)
			}
		}
		from += int64(size)
	}
	return from
}

// liveFiles lists the files a reader reads in a Hive directory.
func liveFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return LiveFiles(names)
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// readLive reads the rows of the live files of the rows dataset, file by
// file in name order (offset order), and the quarantine's offsets.
func readLive(t *testing.T, dir string) (ids []int64, quarantined []int64) {
	t.Helper()
	for _, month := range []string{"month=2019-09", "month=2019-10"} {
		names := liveFiles(t, filepath.Join(dir, "rows", month))
		sort.Strings(names)
		for _, n := range names {
			got, err := parquet.ReadFile[row](filepath.Join(dir, "rows", month, n))
			if err != nil {
				t.Fatalf("read %s: %v", n, err)
			}
			for _, r := range got {
				ids = append(ids, r.ID)
			}
		}
	}
	q := filepath.Join(dir, "quarantine", "topic=t")
	for _, n := range liveFiles(t, q) {
		got, err := parquet.ReadFile[QuarantineRow](filepath.Join(q, n))
		if err != nil {
			t.Fatalf("read %s: %v", n, err)
		}
		for _, r := range got {
			quarantined = append(quarantined, r.Offset)
		}
	}
	slices.Sort(quarantined)
	return ids, quarantined
}

// wantRows are the ids and quarantined offsets fill writes for [0, n) but
// the offsets of the ranges missing, the ids per month in offset order.
func wantRows(n int64, missing [][2]int64) (ids, quarantined []int64) {
	gone := func(o int64) bool {
		return slices.ContainsFunc(missing, func(r [2]int64) bool { return r[0] <= o && o < r[1] })
	}
	for _, parity := range []int64{0, 1} { // 2019-09 holds the even offsets (fill)
		for o := int64(0); o < n; o++ {
			if o%5 != 0 && o%2 == parity && !gone(o) {
				ids = append(ids, o)
			}
		}
	}
	for o := int64(0); o < n; o += 5 {
		if !gone(o) {
			quarantined = append(quarantined, o)
		}
	}
	return ids, quarantined
}

// checkRows checks that the live files hold the rows of the offsets [0, n)
// but those of the missing ranges, each once, in offset order.
func checkRows(t *testing.T, dir string, n int64, missing ...[2]int64) {
	t.Helper()
	ids, q := readLive(t, dir)
	wantIDs, wantQ := wantRows(n, missing)
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("rows read from the live files:\n%v\nwant (each once, in offset order)\n%v", ids, wantIDs)
	}
	if !slices.Equal(q, wantQ) {
		t.Errorf("quarantined offsets %v, want %v", q, wantQ)
	}
}

func TestCompactMergesOldRunsAndDeletesAfterGrace(t *testing.T) {
	dir := t.TempDir()
	l := openLake(t, dir)
	// 30 old batches of 7 records, then 3 young ones.
	next := commitBatches(t, l, 0, 30, 7, 2*time.Hour)
	next = commitBatches(t, l, next, 3, 7, 0)
	sept := filepath.Join(dir, "rows", "month=2019-09")
	before := countFiles(t, sept)
	if before != 33 {
		t.Fatalf("%d files before, want 33", before)
	}
	checkRows(t, dir, next)

	opts := DefaultCompactOptions()
	st, err := l.Compact(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	// Two months and the quarantine: a merge each.
	if len(st.Merges) != 3 || st.Deleted != 0 {
		t.Fatalf("stats %+v, want 3 merges, nothing deleted", st)
	}
	for _, m := range st.Merges {
		if m.Files != 30 {
			t.Errorf("%s merged %d files, want the 30 old ones", m.Path, m.Files)
		}
	}
	live := liveFiles(t, sept)
	if len(live) != 4 || !slices.Contains(live, FileName("t", 0, 0, 210)) {
		t.Errorf("live files after compaction %v, want the merged [0, 210) and the 3 young ones", live)
	}
	if got := countFiles(t, sept); got != before+1 {
		t.Errorf("%d files on disk, want the %d superseded kept for the grace period and the merged one", got, before)
	}
	checkRows(t, dir, next)

	// Still within the grace period: nothing to do.
	if st, err = l.Compact(context.Background(), opts); err != nil || len(st.Merges) != 0 || st.Deleted != 0 {
		t.Fatalf("second run: %+v, %v; want nothing done", st, err)
	}
	// The merged files are an hour old: their inputs go.
	old := time.Now().Add(-opts.Grace - time.Minute)
	for _, m := range []string{"rows/month=2019-09", "rows/month=2019-10", "quarantine/topic=t"} {
		for _, n := range liveFiles(t, filepath.Join(dir, m)) {
			if r, _ := ParseFileName(n); r.From == 0 {
				os.Chtimes(filepath.Join(dir, m, n), old, old)
			}
		}
	}
	if st, err = l.Compact(context.Background(), opts); err != nil || st.Deleted != 90 || len(st.Merges) != 0 {
		t.Fatalf("third run: %+v, %v; want the 90 superseded files deleted", st, err)
	}
	if got := countFiles(t, sept); got != 4 {
		t.Errorf("%d files left, want 4", got)
	}
	checkRows(t, dir, next)

	// The young files age: they merge with the merged file, within the
	// target size.
	for _, n := range liveFiles(t, sept) {
		os.Chtimes(filepath.Join(sept, n), old, old)
	}
	if st, err = l.Compact(context.Background(), DefaultCompactOptions()); err != nil || len(st.Merges) != 1 {
		t.Fatalf("fourth run: %+v, %v", st, err)
	}
	if live := liveFiles(t, sept); !slices.Equal(live, []string{FileName("t", 0, 0, next)}) {
		t.Errorf("live %v, want one file", live)
	}
	checkRows(t, dir, next)
}

func TestCompactTargetSize(t *testing.T) {
	dir := t.TempDir()
	l := openLake(t, dir)
	next := commitBatches(t, l, 0, 12, 7, 2*time.Hour)
	sept := filepath.Join(dir, "rows", "month=2019-09")
	var size int64
	for _, n := range liveFiles(t, sept) {
		info, _ := os.Stat(filepath.Join(sept, n))
		size = max(size, info.Size())
	}
	opts := CompactOptions{TargetBytes: 4 * size}
	if _, err := l.Compact(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	// Runs of four files at most (the sizes differ by a few bytes).
	if live := liveFiles(t, sept); len(live) < 3 || len(live) > 4 {
		t.Errorf("live files %v, want 3 or 4 merged files", live)
	}
	checkRows(t, dir, next)
}

func TestCompactLeavesUnknownFilesAlone(t *testing.T) {
	dir := t.TempDir()
	l := openLake(t, dir)
	next := commitBatches(t, l, 0, 4, 7, 2*time.Hour)
	sept := filepath.Join(dir, "rows", "month=2019-09")
	// A file named otherwise, and an old-format file (another schema),
	// with rows of their own.
	other := filepath.Join(sept, "imported.parquet")
	if err := parquet.WriteFile(other, []row{{ID: 1000}}); err != nil {
		t.Fatal(err)
	}
	type oldRow struct {
		ID int64 `parquet:"id"`
	}
	oldFormat := filepath.Join(sept, FileName("t", 0, next, next+7))
	if err := parquet.WriteFile(oldFormat, []oldRow{{ID: 1001}}); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(other, old, old)
	os.Chtimes(oldFormat, old, old)
	// An undeclared dataset's old small files.
	undeclared := filepath.Join(dir, "other_dataset", "month=2019-09")
	os.MkdirAll(undeclared, 0o755)
	for _, r := range [][2]int64{{0, 1}, {1, 2}} {
		p := filepath.Join(undeclared, FileName("t", 0, r[0], r[1]))
		parquet.WriteFile(p, []row{{ID: r[0]}})
		os.Chtimes(p, old, old)
	}
	st, err := Compact(context.Background(), dir, []Dataset{rows}, Options{}, CompactOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Merges) != 3 {
		t.Errorf("merges %+v, want both months and the quarantine", st.Merges)
	}
	live := liveFiles(t, sept)
	want := []string{FileName("t", 0, 0, 28), oldFormat[len(sept)+1:], "imported.parquet"}
	slices.Sort(live)
	slices.Sort(want)
	if !slices.Equal(live, want) {
		t.Errorf("live %v, want %v", live, want)
	}
	if got := countFiles(t, undeclared); got != 2 {
		t.Errorf("undeclared dataset has %d files, want its 2 untouched", got)
	}
}

func TestCompactLockedLakeIsLeftAlone(t *testing.T) {
	dir := t.TempDir()
	l := openLake(t, dir)
	commitBatches(t, l, 0, 4, 7, 2*time.Hour)
	f, err := os.OpenFile(filepath.Join(dir, compactLockName), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	st, err := Compact(context.Background(), dir, []Dataset{rows}, Options{}, CompactOptions{})
	if err != nil || !st.Busy || len(st.Merges) != 0 {
		t.Errorf("with the lock held: %+v, %v; want busy and nothing done", st, err)
	}
	// Two compactors at once: the one that runs while the other holds
	// the lock does nothing.
	f.Close()
	var inner CompactStats
	defer func(old func(string) error) { afterCompactPublish = old }(afterCompactPublish)
	afterCompactPublish = func(string) error {
		if inner.Merges == nil && !inner.Busy {
			inner, err = Compact(context.Background(), dir, []Dataset{rows}, Options{}, CompactOptions{})
		}
		return err
	}
	st, err = l.Compact(context.Background(), CompactOptions{})
	if err != nil || len(st.Merges) != 3 {
		t.Fatalf("first compactor: %+v, %v", st, err)
	}
	if !inner.Busy || len(inner.Merges) != 0 {
		t.Errorf("second compactor while the first works: %+v, want busy", inner)
	}
}

// A compactor dying between publishing a merged file and deleting what
// it supersedes leaves both on disk: readers read each row once, and the
// next run deletes the superseded files.
func TestCompactCrashBeforeDelete(t *testing.T) {
	dir := t.TempDir()
	l := openLake(t, dir)
	next := commitBatches(t, l, 0, 6, 7, 2*time.Hour)
	crash := errors.New("crash")
	defer func(old func(string) error) { afterCompactPublish = old }(afterCompactPublish)
	afterCompactPublish = func(string) error { return crash }
	if _, err := l.Compact(context.Background(), CompactOptions{}); !errors.Is(err, crash) {
		t.Fatalf("compact: %v, want the crash", err)
	}
	afterCompactPublish = nil
	// The quarantine's directory comes first.
	q := filepath.Join(dir, "quarantine", "topic=t")
	if got := countFiles(t, q); got != 7 {
		t.Fatalf("%d files, want the 6 and the merged one", got)
	}
	checkRows(t, dir, next)
	st, err := Compact(context.Background(), dir, []Dataset{rows}, Options{}, CompactOptions{})
	if err != nil || st.Deleted != 18 || len(st.Merges) != 2 {
		t.Fatalf("next run: %+v, %v; want the 6 superseded files deleted, and the months merged (12 more deleted)", st, err)
	}
	if got := countFiles(t, q); got != 1 {
		t.Errorf("%d files, want the merged one", got)
	}
	checkRows(t, dir, next)
}

// A batch a live writer committed but has not published (stopped between
// its manifest link and its renames) keeps the runs it falls in unmerged.
func TestCompactSkipsRunsOverPendingBatches(t *testing.T) {
	dir := t.TempDir()
	l := openLake(t, dir)
	next := commitBatches(t, l, 0, 3, 7, 2*time.Hour)
	w := openLake(t, dir) // the stuck writer's process
	b := w.NewBatch("t", 0, next)
	fill(b, next, next+7)
	m := &b.m
	m.Topic, m.Partition, m.From, m.Next, m.FlushID = "t", 0, next, next+7, b.id
	os.MkdirAll(b.dir, 0o755)
	if err := writeFileSync(filepath.Join(b.dir, "manifest.json"), m); err != nil {
		t.Fatal(err)
	}
	defer b.Abort()
	after := commitBatches(t, l, next+7, 3, 7, 2*time.Hour)
	st, err := l.Compact(context.Background(), CompactOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, mg := range st.Merges {
		r, _ := ParseFileName(filepath.Base(mg.Path))
		if r.From < next+7 && next < r.Next {
			t.Errorf("merged %s over the pending batch [%d, %d)", mg.Path, next, next+7)
		}
	}
	if st.Skipped == 0 {
		t.Errorf("stats %+v: no run skipped", st)
	}
	if len(st.Merges) != 6 {
		t.Errorf("merges %+v, want each side of the pending batch merged in every directory", st.Merges)
	}
	// Every published row once, in offset order.
	checkRows(t, dir, after, [2]int64{next, next + 7})
}

func TestCompactStopsWhenCancelled(t *testing.T) {
	dir := t.TempDir()
	l := openLake(t, dir)
	next := commitBatches(t, l, 0, 4, 7, 2*time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st, err := l.Compact(ctx, CompactOptions{})
	if !errors.Is(err, context.Canceled) || len(st.Merges) != 0 {
		t.Errorf("cancelled compaction: %+v, %v", st, err)
	}
	checkRows(t, dir, next)
}

func TestCompactOptionsRefuseNegative(t *testing.T) {
	l := openLake(t, t.TempDir())
	if _, err := l.Compact(context.Background(), CompactOptions{MinAge: -time.Second}); err == nil {
		t.Error("negative min age accepted")
	}
}
