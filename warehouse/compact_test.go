package warehouse_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/warehouse"
	"github.com/tayninh/ktxh/warehouse/lake"
)

// compactionQueries add to materializedQueries the dataset views and a
// KPI view the materialized tables do not hold.
var compactionQueries = []string{
	"SELECT count(*), count(DISTINCT (kafka_partition, kafka_offset)) FROM onestop_snapshots",
	"SELECT count(*) FROM dossiers",
	"SELECT count(*) FROM quarantine",
	"SELECT count(*) FROM onestop_progress",
	"SELECT * FROM kpi_onestop_monthly ORDER BY ALL",
}

func compactionResults(t *testing.T, w *warehouse.Warehouse) []string {
	t.Helper()
	out := results(t, w)
	for _, q := range compactionQueries {
		out = append(out, queryTB(t, w, q))
	}
	return out
}

func sameCompactionResults(t *testing.T, what string, got, want []string) {
	t.Helper()
	qs := append(append([]string{}, materializedQueries...), compactionQueries...)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: %s differs:\n%s", what, qs[i], firstDiff(got[i], want[i]))
		}
	}
}

// lakeFiles counts the Parquet files under the dataset directories.
func lakeFiles(t *testing.T, dir string) int { return lakeFilesTB(t, dir) }

func lakeFilesTB(t testing.TB, dir string) int {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*", "*=*", "*.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}

// TestCompactionKeepsAnswers: a lake of many small batches answers the
// same before compaction, while the merged files and those they supersede
// are both on disk, and after these are deleted; in a warehouse open
// through it all (its materialized tables rebuilt) and in new ones.
func TestCompactionKeepsAnswers(t *testing.T) {
	msgs := synthMessages()
	dir := t.TempDir()
	const batches = 12
	for i := 0; i < batches; i++ {
		commitSynth(t, dir, msgs[len(msgs)*i/batches:len(msgs)*(i+1)/batches])
	}
	filesBefore := lakeFiles(t, dir)
	want := compactionResults(t, openWith(t, dir, warehouse.Options{NoCache: true}))
	live := openWith(t, dir, warehouse.Options{})
	sameCompactionResults(t, "before compaction", compactionResults(t, live), want)

	st, err := lake.Compact(context.Background(), dir, pipelines.Datasets(), lake.Options{}, lake.CompactOptions{Grace: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	merged := 0
	for _, m := range st.Merges {
		merged += m.Files
	}
	t.Logf("%d files; compaction merged %d of them into %d", filesBefore, merged, len(st.Merges))
	if len(st.Merges) == 0 || st.Deleted != 0 || lakeFiles(t, dir) != filesBefore+len(st.Merges) {
		t.Fatalf("compaction %+v: want merges and every superseded file kept", st)
	}
	// A glob of the lake reads the superseded rows twice: what the views
	// must not do.
	glob := queryTB(t, live, fmt.Sprintf("SELECT count(*) FROM read_parquet('%s')", filepath.Join(dir, "onestop_snapshots", "*", "*.parquet")))
	if views := queryTB(t, live, "SELECT count(*) FROM onestop_snapshots"); glob == views {
		t.Fatalf("the lake's glob reads %s snapshots, as many as the view: nothing to tell apart", glob)
	}

	if err := live.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	sameCompactionResults(t, "window, long-lived warehouse", compactionResults(t, live), want)
	if got := live.MaterializeStats()["onestop"]; got.Built+got.Loaded < 2 {
		t.Errorf("long-lived warehouse: %+v, want the tables built again", got)
	}
	sameCompactionResults(t, "window, new warehouse", compactionResults(t, openWith(t, dir, warehouse.Options{})), want)
	sameCompactionResults(t, "window, new warehouse without cache", compactionResults(t, openWith(t, dir, warehouse.Options{NoCache: true})), want)

	// The grace period over, the superseded files go.
	mergedFiles := len(st.Merges)
	st, err = lake.Compact(context.Background(), dir, pipelines.Datasets(), lake.Options{}, lake.CompactOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Deleted != merged || len(st.Merges) != 0 {
		t.Errorf("second compaction %+v, want the %d superseded files deleted", st, merged)
	}
	if got := lakeFiles(t, dir); got != filesBefore-merged+mergedFiles {
		t.Errorf("%d files after deletion, want %d", got, filesBefore-merged+mergedFiles)
	}
	sameCompactionResults(t, "after deletion, long-lived warehouse", compactionResults(t, live), want)
	sameCompactionResults(t, "after deletion, new warehouse", compactionResults(t, openWith(t, dir, warehouse.Options{})), want)
	sameCompactionResults(t, "after deletion, new warehouse without cache", compactionResults(t, openWith(t, dir, warehouse.Options{NoCache: true})), want)

	// Batches landing after compaction take the incremental path again.
	defer warehouse.SetDeltaMaxShare(1)()
	commitSynth(t, dir, msgs[:len(msgs)/10])
	if err := live.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	sameCompactionResults(t, "new batch after compaction", compactionResults(t, live), compactionResults(t, openWith(t, dir, warehouse.Options{NoCache: true})))
}

// TestCompactionIsAnIncrementalUpdate: the one-stop tables take a
// compaction of the files they hold as an update from the merged files
// (their delta is idempotent for snapshots already held), with the
// answers of a build, and so does a process loading a generation written
// before the compaction.
func TestCompactionIsAnIncrementalUpdate(t *testing.T) {
	defer warehouse.SetDeltaMaxShare(1)()
	msgs := synthMessages()
	dir := t.TempDir()
	const batches = 8
	for i := 0; i < batches-1; i++ {
		commitSynth(t, dir, msgs[len(msgs)*i/batches:len(msgs)*(i+1)/batches])
	}
	live := openWith(t, dir, warehouse.Options{})
	// A batch the warehouse has not seen, merged with those it has.
	commitSynth(t, dir, msgs[len(msgs)*(batches-1)/batches:])
	if _, err := lake.Compact(context.Background(), dir, pipelines.Datasets(), lake.Options{}, lake.CompactOptions{}); err != nil {
		t.Fatal(err)
	}
	want := compactionResults(t, openWith(t, dir, warehouse.Options{NoCache: true}))
	before := live.MaterializeStats()["onestop"]
	if err := live.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := live.MaterializeStats()["onestop"]; got.Built != before.Built || got.Incremental != before.Incremental+1 {
		t.Errorf("after compaction: %+v (before %+v), want one more incremental update and no build", got, before)
	}
	sameCompactionResults(t, "incremental update from merged files", compactionResults(t, live), want)
	fresh := openWith(t, dir, warehouse.Options{})
	if got := fresh.MaterializeStats()["onestop"]; got.Built != 0 {
		t.Errorf("new process: %+v, want a generation loaded and updated", got)
	}
	sameCompactionResults(t, "generation updated from merged files", compactionResults(t, fresh), want)
}
