package warehouse_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/pipelines/synth"
	"github.com/tayninh/ktxh/transform"
	"github.com/tayninh/ktxh/warehouse"
	"github.com/tayninh/ktxh/warehouse/lake"
)

// groupNames are the groups of materialized tables.
var groupNames = []string{"onestop", "egov", "staffing"}

// synthMessages is a small synthetic province, every topic, generated once:
// November and December 2024, with a sixth of the staffing records
// (staffing is not scaled, and its KPIs are the slowest to build).
var synthMessages = sync.OnceValue(func() []synth.Message {
	var msgs []synth.Message
	staffing := 0
	cfg := synth.Config{Seed: 11, From: time.Date(2024, 11, 1, 0, 0, 0, 0, ict), To: time.Date(2024, 12, 1, 0, 0, 0, 0, ict), Scale: 0.006}
	err := synth.Generate(context.Background(), cfg, func(m synth.Message) error {
		if m.Topic == synth.DefaultStaffing {
			if staffing++; staffing%6 != 0 {
				return nil
			}
		}
		msgs = append(msgs, m)
		return nil
	})
	if err != nil {
		panic(err)
	}
	return msgs
})

// commitSynth writes messages to the lake at dir the way ingest does: one
// partition per topic, the real decoders, one batch per topic and call.
func commitSynth(t testing.TB, dir string, msgs []synth.Message) {
	t.Helper()
	l, err := lake.Open(dir, pipelines.Datasets(), lake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type part struct {
		batch    *lake.Batch
		dec      transform.Decoder
		maxBytes int
		next     int64
	}
	parts := map[string]*part{}
	for _, s := range pipelines.Sources(pipelines.DefaultTopics(), []byte("warehouse-test-pii-key-0123456789")) {
		from, _, err := l.Next(s.Topic, 0)
		if err != nil {
			t.Fatal(err)
		}
		parts[s.Topic] = &part{batch: l.NewBatch(s.Topic, 0, from), dec: s.NewDecoder(), maxBytes: s.MaxBytes, next: from}
	}
	for _, m := range msgs {
		p := parts[m.Topic]
		rec := &transform.Record{Topic: m.Topic, Partition: 0, Offset: p.next, Timestamp: m.Time, Key: m.Key, Value: m.Value}
		p.next++
		p.batch.Record(rec)
		if rec.Value != nil && transform.Precheck(rec, p.maxBytes, p.batch) {
			p.dec.Decode(rec, p.batch)
		}
	}
	for topic, p := range parts {
		if p.batch.Records() == 0 {
			p.batch.Abort()
			continue
		}
		if _, err := p.batch.Commit(); err != nil {
			t.Fatalf("commit %s: %v", topic, err)
		}
	}
}

func openWith(t testing.TB, dir string, opts warehouse.Options) *warehouse.Warehouse {
	t.Helper()
	w, err := warehouse.Open(dir, pipelines.Datasets(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// materializedQueries read every materialized table, through the views
// analysts use and directly.
var materializedQueries = []string{
	"SELECT * FROM kpi_onestop_monthly ORDER BY ALL",
	"SELECT * FROM kpi_onestop_report_monthly ORDER BY ALL",
	"SELECT * FROM kpi_onestop(DATE '2024-11-10', DATE '2024-12-15') ORDER BY ALL",
	"SELECT * FROM onestop_kpi_span ORDER BY ALL",
	"SELECT * REPLACE (CAST(pauses AS VARCHAR) AS pauses) FROM onestop_dossier_facts ORDER BY dossier_code",
	"SELECT * FROM kpi_egov_monthly ORDER BY ALL",
	"SELECT * FROM kpi_egov_monthly_current ORDER BY ALL",
	"SELECT * FROM kpi_staffing_monthly ORDER BY ALL",
	"SELECT * FROM kpi_staffing_monthly_current ORDER BY ALL",
	"SELECT (SELECT count(*) FROM onestop_snapshots) AS snapshots, (SELECT count(*) FROM lake_egov_documents) AS documents, (SELECT count(*) FROM lake_staff_records) AS staff",
}

// results runs materializedQueries.
func results(t testing.TB, w *warehouse.Warehouse) []string {
	t.Helper()
	out := make([]string, len(materializedQueries))
	for i, q := range materializedQueries {
		out[i] = queryTB(t, w, q)
	}
	return out
}

func sameResults(t testing.TB, what string, got, want []string) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: %s differs:\n%s", what, materializedQueries[i], firstDiff(got[i], want[i]))
		}
	}
}

// generationDirs lists a group's cache generations.
func generationDirs(t testing.TB, dir, group string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "_cache", group, "g-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCacheSecondOpen: the first Open builds the tables and writes a
// generation per group; the second loads them and answers the same; with
// NoCache every Open builds.
func TestCacheSecondOpen(t *testing.T) {
	dir := t.TempDir()
	commitSynth(t, dir, synthMessages())
	w := openWith(t, dir, warehouse.Options{})
	for _, g := range groupNames {
		if got, want := w.MaterializeStats()[g], (warehouse.MaterializeStats{Built: 1, CacheWrites: 1}); got != want {
			t.Errorf("first open, %s: %+v, want %+v", g, got, want)
		}
		if gens := generationDirs(t, dir, g); len(gens) != 1 {
			t.Errorf("%s: generations %v", g, gens)
		} else if _, err := os.Stat(filepath.Join(gens[0], "stamp.json")); err != nil {
			t.Error(err)
		}
	}
	want := results(t, w)
	if !strings.Contains(want[0], "\n2024-12,") || !strings.Contains(want[5], "\n2024-12,") || !strings.Contains(want[7], "\n2024-12,") {
		t.Fatalf("the synthetic lake lacks December 2024:\n%s\n%s\n%s", want[0], want[5], want[7])
	}
	w.Close()

	w = openWith(t, dir, warehouse.Options{})
	for _, g := range groupNames {
		if got, want := w.MaterializeStats()[g], (warehouse.MaterializeStats{Loaded: 1}); got != want {
			t.Errorf("second open, %s: %+v, want %+v", g, got, want)
		}
	}
	// The dataset views never read the cache's Parquet files (the counts
	// of the last query are the same).
	sameResults(t, "from the cache", results(t, w), want)

	w = openWith(t, dir, warehouse.Options{NoCache: true})
	for _, g := range groupNames {
		if got, want := w.MaterializeStats()[g], (warehouse.MaterializeStats{Built: 1}); got != want {
			t.Errorf("NoCache, %s: %+v, want %+v", g, got, want)
		}
	}
	sameResults(t, "without the cache", results(t, w), want)
}

// TestCacheFollowsNewBatches: as a batch lands, a long-lived warehouse
// updates its tables from the new files, a new one loads the newest
// generation and applies what is newer, and both answer as a build from
// every file does.
func TestCacheFollowsNewBatches(t *testing.T) {
	defer warehouse.SetDeltaMaxShare(1)()
	msgs := synthMessages()
	cuts := []int{len(msgs) * 75 / 100, len(msgs)}
	dir := t.TempDir()
	commitSynth(t, dir, msgs[:cuts[0]])
	live := openWith(t, dir, warehouse.Options{})
	for i := 1; i < len(cuts); i++ {
		commitSynth(t, dir, msgs[cuts[i-1]:cuts[i]])
		if err := live.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := live.MaterializeStats()["onestop"]; got.Built != 1 || got.Incremental != i {
			t.Errorf("batch %d, live: %+v, want 1 build and %d incremental updates", i, got, i)
		}
		scratch := openWith(t, dir, warehouse.Options{NoCache: true})
		want := results(t, scratch)
		sameResults(t, fmt.Sprintf("batch %d, live", i), results(t, live), want)

		fresh := openWith(t, dir, warehouse.Options{})
		if got := fresh.MaterializeStats()["onestop"]; got.Built != 0 || got.Loaded != 1 {
			t.Errorf("batch %d, new process: %+v, want the cache loaded", i, got)
		}
		sameResults(t, fmt.Sprintf("batch %d, new process", i), results(t, fresh), want)
		scratch.Close()
		fresh.Close()
	}
}

// TestBuildReadsTheListedFiles: a batch published while a refresh builds
// the tables, after it listed the lake, is not in them nor in the cache
// generations written from them, whose stamps name the files they hold:
// a process loads them and applies that batch once, as the next refresh
// does.
func TestBuildReadsTheListedFiles(t *testing.T) {
	defer warehouse.SetDeltaMaxShare(1)()
	msgs := synthMessages()
	cut := len(msgs) * 75 / 100
	dir := t.TempDir()
	commitSynth(t, dir, msgs[:cut])
	listedDir := linkCopy(t, dir)
	listed := results(t, openWith(t, listedDir, warehouse.Options{NoCache: true}))
	published := false
	defer warehouse.SetBeforeBuild(func() {
		if !published {
			published = true
			commitSynth(t, dir, msgs[cut:])
		}
	})()
	live := openWith(t, dir, warehouse.Options{})
	if !published {
		t.Fatal("no build ran")
	}
	want := results(t, openWith(t, dir, warehouse.Options{NoCache: true}))

	// The generations hold what their stamps say: in a lake of the listed
	// files alone, they load and answer as a build from those files.
	if err := os.CopyFS(filepath.Join(listedDir, "_cache"), os.DirFS(filepath.Join(dir, "_cache"))); err != nil {
		t.Fatal(err)
	}
	w := openWith(t, listedDir, warehouse.Options{})
	for _, g := range groupNames {
		if got, want := w.MaterializeStats()[g], (warehouse.MaterializeStats{Loaded: 1}); got != want {
			t.Errorf("lake of the listed files, %s: %+v, want %+v", g, got, want)
		}
	}
	sameResults(t, "generations in a lake of the listed files", results(t, w), listed)

	// Loaded in the lake, the onestop generation takes the batch once.
	w = openWith(t, dir, warehouse.Options{})
	if got := w.MaterializeStats()["onestop"]; got.Loaded != 1 || got.Incremental != 1 {
		t.Errorf("new process: %+v, want the generation loaded and updated", got)
	}
	sameResults(t, "new process", results(t, w), want)

	if err := live.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := live.MaterializeStats()["onestop"]; got.Built != 1 || got.Incremental != 1 {
		t.Errorf("live: %+v, want 1 build and 1 incremental update", got)
	}
	sameResults(t, "refreshed", results(t, live), want)
}

// TestIncrementalCurrentStateMatchesOracle commits generated snapshots in
// batches — replays, out-of-order delivery, envelopes, and a partition
// whose offsets the packed order key cannot hold — refreshing after each:
// the current states and the KPIs match a build from every file, and, at
// the end, the oracle.
func TestIncrementalCurrentStateMatchesOracle(t *testing.T) {
	defer warehouse.SetDeltaMaxShare(1)()
	// Batches by Kafka time across the partitions, so that dossiers, those
	// of the exact path included, get snapshots in several batches.
	snaps := genSnapshots(5, 600)
	times := make([]int64, 0, len(snaps))
	for _, s := range snaps {
		times = append(times, s.ktsMicro)
	}
	slices.Sort(times)
	var batches [4][]rsnap
	b := 0
	for _, s := range snaps {
		if s.item == 0 { // a record's items stay together
			b = 0
			for _, share := range []int{50, 70, 85} {
				if s.ktsMicro >= times[len(times)*share/100] {
					b++
				}
			}
		}
		batches[b] = append(batches[b], s)
	}
	dir := t.TempDir()
	var written []transform.DossierSnapshot
	first := map[int32]int64{3: 1 << 30}
	written = append(written, commitSnapshots(t, dir, batches[0], first)...)
	w := openWith(t, dir, warehouse.Options{})
	queries := []string{
		"SELECT dossier_code, status, kafka_partition, kafka_offset, item_index FROM dossier_current ORDER BY 1",
		"SELECT dossier_code, state_hi, state_lo, accepted, end_at, outcome FROM onestop_dossier_facts ORDER BY 1",
		"SELECT * FROM kpi_onestop_monthly ORDER BY ALL",
		"SELECT * FROM kpi_onestop_report_monthly ORDER BY ALL",
	}
	for i := 1; i < len(batches); i++ {
		written = append(written, commitSnapshots(t, dir, batches[i], first)...)
		if err := w.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		scratch := openWith(t, dir, warehouse.Options{NoCache: true})
		for _, q := range queries {
			if got, want := query(t, w, q), query(t, scratch, q); got != want {
				t.Errorf("batch %d: %s:\n%s", i, q, firstDiff(got, want))
			}
		}
		scratch.Close()
	}
	if got := w.MaterializeStats()["onestop"]; got.Incremental != len(batches)-1 {
		t.Errorf("stats %+v, want %d incremental updates", got, len(batches)-1)
	}
	o := newOracle(t, written)
	if got, want := query(t, w, queries[0]), o.statesCSV(); got != want {
		t.Errorf("current states differ from the oracle:\n%s", firstDiff(got, want))
	}
	header := "month," + strings.ReplaceAll(oracleCols, ", ", ",") + "\n"
	for _, v := range []struct{ view, kind string }{{"kpi_onestop_monthly", "month"}, {"kpi_onestop_report_monthly", "report"}} {
		got := query(t, w, fmt.Sprintf("SELECT month, %s FROM %s ORDER BY month, agency_code, sector_code", oracleCols, v.view))
		if want := header + o.periods(v.kind); got != want {
			t.Errorf("%s differs from the oracle:\n%s", v.view, firstDiff(got, want))
		}
	}
}

// TestCacheIgnoresBrokenGenerations: whatever is wrong with a generation,
// Open builds the tables from the lake, answers as before, and publishes a
// new generation.
func TestCacheIgnoresBrokenGenerations(t *testing.T) {
	src := t.TempDir()
	commitSnapshots(t, src, genSnapshots(9, 200), nil)
	w := openWith(t, src, warehouse.Options{})
	want := results(t, w)
	w.Close()

	editStamp := func(t *testing.T, gen string, edit func(map[string]any)) {
		path := filepath.Join(gen, "stamp.json")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var s map[string]any
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		edit(s)
		if b, err = json.Marshal(s); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		breaK func(t *testing.T, gen string)
	}{
		{"stamp not JSON", func(t *testing.T, gen string) {
			os.WriteFile(filepath.Join(gen, "stamp.json"), []byte(`{"format":1,"gro`), 0o644)
		}},
		{"no stamp", func(t *testing.T, gen string) {
			os.Remove(filepath.Join(gen, "stamp.json"))
		}},
		{"stamp of another build", func(t *testing.T, gen string) {
			editStamp(t, gen, func(s map[string]any) { s["compat"] = "0123456789abcdef" })
		}},
		{"stamp names a file the lake lacks", func(t *testing.T, gen string) {
			editStamp(t, gen, func(s map[string]any) {
				s["files"].(map[string]any)["onestop_snapshots"].(map[string]any)["month=2024-05/gone.parquet"] = 123
			})
		}},
		{"table file truncated", func(t *testing.T, gen string) {
			path := filepath.Join(gen, "onestop_kpi_periods.parquet")
			fi, _ := os.Stat(path)
			os.Truncate(path, fi.Size()/2)
		}},
		{"table file corrupted in place", func(t *testing.T, gen string) {
			path := filepath.Join(gen, "onestop_dossier_facts.parquet")
			b, _ := os.ReadFile(path)
			for i := len(b) / 3; i < len(b)/3+64; i++ {
				b[i] ^= 0x5a
			}
			os.WriteFile(path, b, 0o644)
		}},
		{"table file missing", func(t *testing.T, gen string) {
			os.Remove(filepath.Join(gen, "onestop_kpi_span.parquet"))
		}},
		{"half written", func(t *testing.T, gen string) {
			// What a writer killed before its rename leaves.
			os.Remove(filepath.Join(gen, "stamp.json"))
			os.Truncate(filepath.Join(gen, "onestop_kpi_periods.parquet"), 100)
			os.Rename(gen, filepath.Join(filepath.Dir(gen), ".tmp-0123456789abcdef"))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := linkCopy(t, src)
			gens := generationDirs(t, dir, "onestop")
			if len(gens) != 1 {
				t.Fatalf("generations: %v", gens)
			}
			tc.breaK(t, gens[0])

			w = openWith(t, dir, warehouse.Options{})
			if got := w.MaterializeStats()["onestop"]; got.Loaded != 0 || got.Built != 1 || got.CacheWrites != 1 {
				t.Errorf("after breaking the generation: %+v, want a build and a new generation", got)
			}
			sameResults(t, "rebuilt", results(t, w), want)
			newest := generationDirs(t, dir, "onestop")
			if n := len(newest); n == 0 || newest[n-1] == gens[0] {
				t.Errorf("no new generation: %v", newest)
			} else if _, err := os.Stat(filepath.Join(newest[n-1], "stamp.json")); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestCacheConcurrentOpens: processes opening a lake at once each build and
// publish a generation; none is left half-written and the next Open loads
// one.
func TestCacheConcurrentOpens(t *testing.T) {
	dir := t.TempDir()
	commitSnapshots(t, dir, genSnapshots(13, 400), nil)
	const n = 3
	var wg sync.WaitGroup
	errs := make([]error, n)
	ws := make([]*warehouse.Warehouse, n)
	for i := range n {
		wg.Go(func() {
			ws[i], errs[i] = warehouse.Open(dir, pipelines.Datasets(), warehouse.Options{})
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		defer ws[i].Close()
	}
	want := results(t, ws[0])
	for _, w := range ws {
		w.Close()
	}
	ents, err := os.ReadDir(filepath.Join(dir, "_cache", "onestop"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "g-") {
			t.Errorf("left in the cache: %s", e.Name())
		}
	}
	if gens := generationDirs(t, dir, "onestop"); len(gens) == 0 || len(gens) > n {
		t.Errorf("generations: %v", gens)
	}
	w := openWith(t, dir, warehouse.Options{})
	if got := w.MaterializeStats()["onestop"]; got.Loaded != 1 || got.Built != 0 {
		t.Errorf("after the race: %+v, want a generation loaded", got)
	}
	sameResults(t, "after the race", results(t, w), want)
}

// TestMaterializedTablesMatchTheirViews: each materialized table holds
// what its view computes, on the synthetic province and on the eGov and
// staffing fixtures.
func TestMaterializedTablesMatchTheirViews(t *testing.T) {
	tables := []string{"onestop_dossier_facts", "onestop_kpi_span", "onestop_kpi_periods", "egov_kpi_parts", "staff_kpi_parts"}
	check := func(t *testing.T, w *warehouse.Warehouse, nonEmpty ...string) {
		for _, tbl := range tables {
			q := fmt.Sprintf(`SELECT (SELECT count(*) FROM %[1]s) AS n,
				(SELECT count(*) FROM (FROM %[1]s EXCEPT ALL FROM %[1]s_src)) AS only_table,
				(SELECT count(*) FROM (FROM %[1]s_src EXCEPT ALL FROM %[1]s)) AS only_view`, tbl)
			got := query(t, w, q)
			if !strings.HasSuffix(got, ",0,0\n") {
				t.Errorf("%s differs from %s_src: %s", tbl, tbl, got)
			}
			if strings.HasPrefix(got, "n,only_table,only_view\n0,") && strings.Contains(strings.Join(nonEmpty, " "), tbl) {
				t.Errorf("%s is empty", tbl)
			}
		}
	}
	t.Run("synthetic province", func(t *testing.T) {
		dir := t.TempDir()
		commitSynth(t, dir, synthMessages())
		check(t, openWith(t, dir, warehouse.Options{NoCache: true}), tables...)
	})
	t.Run("fixtures", func(t *testing.T) {
		dir := t.TempDir()
		writeESLake(t, dir, []esMsg{
			esDoc("DOC8", agS, "2025-06-19", esSigned, esDue("2025-06-27")),
			esStatus("DOC8", agA1, "01", "2025-06-20 09:00"),
			esStatus("DOC8", agC, "06", "2025-07-03 10:00"),
			esDoc("DOC11", agS, "2025-06-25", esDue("2025-06-26")),
			esStatus("DOC11", agA1, "01", "2025-06-25 09:00"),
			esRec(0, "2025-07-10 10:00", "A1-1", agA1, "CC", "2015-01-01", "2025-06-30", "CHUYEN_CONG_TAC"),
			esRec(0, "2025-07-10 10:00", "C-1", agC, "CC", "2025-07-01", "", ""),
			esQuota("2025-07-10 10:00", agA1, "CC", 2015, 4),
			esQuota("2025-07-10 10:00", agC, "CC", 2025, 4),
		})
		check(t, openWith(t, dir, warehouse.Options{}), "egov_kpi_parts", "staff_kpi_parts")
	})
}

// linkCopy is a new lake directory whose files are hard links to src's,
// but for the cache's, which are copies (a test breaks them).
func linkCopy(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		if strings.HasPrefix(rel, "_cache"+string(filepath.Separator)) {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
		}
		return os.Link(path, filepath.Join(dir, rel))
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
