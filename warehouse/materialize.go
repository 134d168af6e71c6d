package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
)

// A group is a set of materialized tables the semantic layer (sql/*.sql)
// keeps as copies of views over some datasets, because the views are too
// slow to run per query on a province's history. Each table is built from
// the view <table>_src, in order, in one transaction: concurrent queries
// see the old tables until it commits. A group's tables are up to date
// while the lake's files of its datasets are those they were built from;
// they are cached in <lake>/_cache/<name> (cache.go).
//
// The tables hold exactly the files a refresh listed (groupState.files,
// the cache's stamps): inside the transaction, the views of the group's
// datasets read the listed files (pinDatasets), whatever the lake holds by
// then. A file published meanwhile is new to the next refresh, which
// applies it once.
type group struct {
	name     string
	datasets []string
	tables   []string
	// delta, when set, updates the tables from the files added since they
	// were built, inside m's transaction; a group without it is built
	// again.
	delta func(w *Warehouse, m *matTx, st *groupState, added fileSet) error
}

var groups = []*group{
	// The one-stop current state runs over every snapshot (sql/10_onestop.sql,
	// sql/20_kpi_onestop.sql); a batch of new snapshots changes a few
	// dossiers, which onestopDelta updates alone.
	{name: "onestop", datasets: []string{"onestop_snapshots"},
		tables: []string{"onestop_dossier_facts", "onestop_kpi_span", "onestop_kpi_periods"},
		delta:  onestopDelta},
	{name: "egov", datasets: []string{"egov_documents", "egov_status"},
		tables: []string{"egov_kpi_parts"}},
	{name: "staffing", datasets: []string{"staff_records", "staff_quota"},
		tables: []string{"staff_kpi_parts"}},
}

// deltaMaxShare is the largest share of a group's bytes that new files may
// hold for the incremental path: beyond it a build from every file is
// about as fast, and simpler.
var deltaMaxShare = 0.25

// beforeBuild, when set, runs as a build starts, after the lake was listed:
// tests publish files then.
var beforeBuild func()

// groupState is what the warehouse knows of a group's tables.
type groupState struct {
	// files are the lake files the tables hold, nil before the first
	// build. Read and written with refreshMu held.
	files fileSet
	// deleted counts, per table, the rows deltas deleted since it was
	// last rewritten whole (refreshMu).
	deleted map[string]int64
	// backing, when set, is the share-locked stamp of the cache
	// generation in backingDir whose files the tables are views over
	// (refreshMu).
	backing    *os.File
	backingDir string

	// Guarded by Warehouse.stateMu, the cache writer updates them.
	stats MaterializeStats
	// work is the building time a process opening the lake would redo:
	// spent since the tables last matched a cache generation.
	work time.Duration
	// writeCost is how long writing a generation last took.
	writeCost time.Duration
	writing   bool
}

// kind is what the group's tables are in the catalog: tables, or views
// over a cache generation.
func (st *groupState) kind() string {
	if st.backing != nil {
		return "VIEW"
	}
	return "TABLE"
}

// release lets the cache generation the tables were views over go.
func (st *groupState) release() {
	if st.backing != nil {
		st.backing.Close()
		st.backing, st.backingDir = nil, ""
	}
}

// MaterializeStats counts how a group of materialized tables was brought
// up to date.
type MaterializeStats struct {
	// Built counts builds from every file of the lake.
	Built int
	// Loaded counts loads of a generation from <lake>/_cache.
	Loaded int
	// Incremental counts updates from the files added since the last
	// build or load.
	Incremental int
	// CacheWrites counts generations written to <lake>/_cache.
	CacheWrites int
}

// MaterializeStats returns, per group of materialized tables ("onestop",
// "egov", "staffing"), how its tables were brought up to date so far.
func (w *Warehouse) MaterializeStats() map[string]MaterializeStats {
	w.stateMu.Lock()
	defer w.stateMu.Unlock()
	out := make(map[string]MaterializeStats, len(groups))
	for _, g := range groups {
		out[g.name] = w.state[g.name].stats
	}
	return out
}

// refresh points the dataset views at the lake's live files and brings the
// materialized tables up to date. With wait false it returns at once when
// another refresh is running: the query that called it reads the views and
// tables as they are, never waiting for a build.
func (w *Warehouse) refresh(ctx context.Context, wait bool) error {
	if wait {
		w.refreshMu.Lock()
	} else if !w.refreshMu.TryLock() {
		return nil
	}
	defer w.refreshMu.Unlock()
	files, err := w.lister.list(w.datasets)
	if err != nil {
		return err
	}
	if err := w.refreshViews(ctx, files); err != nil {
		return err
	}
	for _, g := range groups {
		if err := w.update(ctx, g, files.restrict(g.datasets)); err != nil {
			return err
		}
	}
	return nil
}

// update brings a group's tables up to the files cur: from the files added
// since they were built, from a cache generation (and the files added
// since it), or from every file. Called with refreshMu held.
func (w *Warehouse) update(ctx context.Context, g *group, cur fileSet) error {
	st := w.state[g.name]
	if st.files != nil && st.files.equal(cur) {
		return nil
	}
	nfiles, nbytes := cur.size()
	if st.files == nil && nfiles == 0 {
		// The tables were created empty (sql/*.sql), as the views over
		// datasets without files are.
		st.files = cur
		return nil
	}
	start := time.Now()
	how, err := w.bringUp(ctx, g, st, cur)
	if err != nil {
		return err
	}
	st.files = cur
	// work is what a process opening the lake would redo without a new
	// cache generation: nothing after loading one whole.
	var work time.Duration
	if how != "loaded" {
		work = time.Since(start)
	}
	w.opts.Logger.Debug("materialized", "group", g.name, "how", how, "files", nfiles, "bytes", nbytes, "elapsed", time.Since(start))
	if nfiles > 0 {
		w.maybeWriteCache(g, st, cur, work)
	}
	return nil
}

// bringUp updates the group's tables to cur and says how.
func (w *Warehouse) bringUp(ctx context.Context, g *group, st *groupState, cur fileSet) (string, error) {
	if added, ok := w.deltaOf(g, st.files, cur); ok {
		if err := w.applyDelta(ctx, g, st, added, cur); err != nil {
			return "", err
		}
		w.count(g, func(s *groupState) { s.stats.Incremental++ })
		return "incremental", nil
	}
	for _, c := range w.cachedGenerations(g, cur) {
		n, _ := c.added.size()
		// A generation that needs new files applied is loaded into
		// memory, where the update runs.
		if err := w.loadGeneration(ctx, g, st, c.gen, n > 0); err != nil {
			w.opts.Logger.Info("ignoring cache generation", "dir", c.gen.dir, "err", err)
			continue
		}
		// From here the tables hold the generation's files.
		st.files, st.deleted = c.gen.stamp.Files, map[string]int64{}
		w.count(g, func(s *groupState) {
			s.stats.Loaded++
			s.work, s.writeCost = 0, time.Duration(c.gen.stamp.WriteMillis)*time.Millisecond
		})
		if n == 0 {
			return "loaded", nil
		}
		if err := w.applyDelta(ctx, g, st, c.added, cur); err != nil {
			return "", err
		}
		w.count(g, func(s *groupState) { s.stats.Incremental++ })
		return "loaded and updated", nil
	}
	if err := w.build(ctx, g, st, cur); err != nil {
		return "", err
	}
	st.deleted = map[string]int64{}
	w.count(g, func(s *groupState) { s.stats.Built++ })
	return "built", nil
}

// deltaOf returns the files added to from in cur when the group can take
// them incrementally: cur is from plus files, holding at most
// deltaMaxShare of its bytes. A group's delta takes files it already
// holds the rows of without change (onestopDelta), so files of from that
// cur lacks because a compacted file of cur supersedes them are no
// obstacle: the compacted file is added.
func (w *Warehouse) deltaOf(g *group, from, cur fileSet) (fileSet, bool) {
	if g.delta == nil || from == nil {
		return nil, false
	}
	added, ok := from.added(cur, true)
	if !ok {
		return nil, false
	}
	_, newBytes := added.size()
	_, allBytes := cur.size()
	return added, float64(newBytes) <= deltaMaxShare*float64(allBytes)
}

// candidate is a cache generation the group's tables can be loaded from,
// and the files to apply after.
type candidate struct {
	gen   generation
	added fileSet
}

// cachedGenerations lists, newest first, the cache generations the group's
// tables can be loaded from for the files cur: built from them, or, for a
// group with a delta, from part of them. A generation that fails to load
// (another process removed it meanwhile, say) gives way to the next.
func (w *Warehouse) cachedGenerations(g *group, cur fileSet) []candidate {
	if w.opts.NoCache {
		return nil
	}
	if n, _ := cur.size(); n == 0 {
		return nil
	}
	var out []candidate
	for _, gen := range w.generations(g.name) {
		if gen.stamp.Files.equal(cur) {
			out = append(out, candidate{gen, fileSet{}})
		} else if added, ok := w.deltaOf(g, gen.stamp.Files, cur); ok {
			out = append(out, candidate{gen, added})
		}
	}
	return out
}

// build rebuilds the group's tables from their views, over the files cur.
func (w *Warehouse) build(ctx context.Context, g *group, st *groupState, cur fileSet) error {
	if beforeBuild != nil {
		beforeBuild()
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("materialize %s: %w", g.name, err)
	}
	defer tx.Rollback()
	m := &matTx{ctx: ctx, tx: tx}
	w.pinDatasets(m, g, cur)
	m.pinDatasets()
	for _, t := range g.tables {
		if st.backing != nil {
			m.exec("DROP VIEW " + t)
		}
		start := time.Now()
		m.exec(fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT * FROM %s_src", t, t))
		w.opts.Logger.Debug("built table", "table", t, "elapsed", time.Since(start))
	}
	if err := m.dropTemps(); err != nil {
		return fmt.Errorf("materialize %s: %w", g.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("materialize %s: %w", g.name, err)
	}
	st.release()
	return nil
}

// applyDelta runs the group's delta in one transaction, with the tables in
// memory and, once the delta asks for them (matTx.pinDatasets), the
// datasets' views over the files cur.
func (w *Warehouse) applyDelta(ctx context.Context, g *group, st *groupState, added, cur fileSet) error {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update %s: %w", g.name, err)
	}
	defer tx.Rollback()
	if err := w.toMemory(ctx, tx, g, st); err != nil {
		return fmt.Errorf("update %s: %w", g.name, err)
	}
	m := &matTx{ctx: ctx, tx: tx}
	w.pinDatasets(m, g, cur)
	if err := g.delta(w, m, st, added); err != nil {
		return fmt.Errorf("update %s from new files: %w", g.name, err)
	}
	if err := m.dropTemps(); err != nil {
		return fmt.Errorf("update %s: %w", g.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("update %s: %w", g.name, err)
	}
	st.release()
	return nil
}

// pinDatasets prepares m to make the views of the group's datasets read
// the files cur within its transaction (temporary views of the same names,
// which DuckDB resolves before the main schema's, in the bodies of views
// and macros too), when m.pinDatasets is called: creating them binds
// read_parquet over every listed file, which reads each file's footer, a
// second and more for a lake of thousands of files, so that an incremental
// update, which reads the datasets only on its redo path, creates them only
// then. The views analysts query keep the files they were defined over.
func (w *Warehouse) pinDatasets(m *matTx, g *group, cur fileSet) {
	m.pin = func() {
		for _, d := range w.datasets {
			if slices.Contains(g.datasets, d.Name()) {
				m.exec(fmt.Sprintf("CREATE TEMP VIEW %s AS %s", viewName(d), w.datasetSelect(d, cur.paths(w.lakeDir, d.Name()))))
			}
		}
	}
}

func (w *Warehouse) count(g *group, f func(*groupState)) {
	w.stateMu.Lock()
	f(w.state[g.name])
	w.stateMu.Unlock()
}

// maybeWriteCache starts writing a cache generation of the group when the
// work a process opening the lake would redo without it has grown to what
// writing one costs: after every build from the lake's files, and after
// enough incremental updates. Called with refreshMu held; the write runs
// on its own (Close and Open wait for it).
func (w *Warehouse) maybeWriteCache(g *group, st *groupState, cur fileSet, work time.Duration) {
	if w.opts.NoCache {
		return
	}
	w.stateMu.Lock()
	st.work += work
	write := !w.closed && !st.writing && !w.cacheFailed && st.work > 0 && st.work >= st.writeCost
	if write {
		// Added under stateMu: Close, which sets closed under it, then
		// waits for every writer added.
		st.writing = true
		w.writers.Add(1)
	}
	pending := st.work
	w.stateMu.Unlock()
	if !write {
		return
	}
	cw, err := w.beginCacheWrite(w.ctx, g, cur, pending)
	if err != nil {
		w.cacheWriteDone(g, nil, 0, err)
		w.writers.Done()
		return
	}
	go func() {
		defer w.writers.Done()
		start := time.Now()
		dir, err := w.writeGeneration(w.ctx, cw)
		w.cacheWriteDone(g, cw, time.Since(start), err)
		if err == nil {
			w.opts.Logger.Debug("wrote cache generation", "group", g.name, "dir", dir, "elapsed", time.Since(start))
		}
	}()
}

func (w *Warehouse) cacheWriteDone(g *group, cw *cacheWrite, took time.Duration, err error) {
	w.stateMu.Lock()
	defer w.stateMu.Unlock()
	st := w.state[g.name]
	st.writing = false
	if err != nil {
		if w.ctx.Err() == nil && !w.cacheFailed {
			// Most likely a lake the process may not write: no
			// point in trying again, nor in logging it every time.
			w.cacheFailed = true
			w.opts.Logger.Warn("cannot write the warehouse cache; every process builds its tables", "lake", w.lakeDir, "err", err)
		}
		return
	}
	st.work = max(0, st.work-cw.work)
	st.writeCost = took
	st.stats.CacheWrites++
}

// onestopDelta updates the one-stop tables from the snapshots of the added
// files (contract 4.1: the current state is the greatest snapshot, so the
// new current state of a dossier is the greater of its current state and
// its greatest new snapshot):
//
//  1. the best new snapshot of each dossier in the new files, with its
//     packed order (onestop_current_of);
//  2. a dossier changes if it is new, or its best new snapshot orders after
//     its current state; a dossier whose order the packing cannot hold
//     exactly (its state_key is NULL, in the table or in the new files,
//     which happens to almost none) has its current state taken again from
//     every snapshot it has;
//  3. the changed dossiers' rows of onestop_dossier_facts are replaced;
//  4. the counts of onestop_kpi_periods are sums over dossiers: the rows of
//     the periods, agencies and sectors the changed dossiers count in get
//     their new contributions and lose their old ones, and, when the span
//     grew, the new periods get the counts of every dossier open in them
//     (onestop_kpi_period_counts). A span that moved otherwise (an earlier
//     first reception, a later end undone) recounts every period.
//
// Applying files whose snapshots the tables already include changes
// nothing: a snapshot never orders after the current state it is part of.
func onestopDelta(w *Warehouse, d *matTx, st *groupState, added fileSet) error {
	paths := added.paths(w.lakeDir, "onestop_snapshots")
	if len(paths) == 0 {
		return nil
	}
	d.exec("CREATE TEMP VIEW onestop_delta_snapshots AS SELECT * FROM " + readParquet(paths))
	d.exec(`CREATE TEMP TABLE onestop_delta_best AS SELECT * FROM onestop_current_of('onestop_delta_snapshots')`)
	// The current facts of the dossiers in the new files, found in one scan.
	d.exec(`CREATE TEMP TABLE onestop_delta_cur AS
		SELECT rowid AS row_id, * FROM onestop_dossier_facts
		WHERE dossier_code IN (SELECT dossier_code FROM onestop_delta_best)`)
	d.exec(`CREATE TEMP TABLE onestop_delta_redo AS
		SELECT b.dossier_code FROM onestop_delta_best b JOIN onestop_delta_cur c ON c.dossier_code = b.dossier_code
		WHERE b.state_key IS NULL OR c.state_hi IS NULL`)
	rows := `CREATE TEMP TABLE onestop_delta_rows AS
		SELECT b.* FROM onestop_delta_best b LEFT JOIN onestop_delta_cur c ON c.dossier_code = b.dossier_code
		WHERE c.dossier_code IS NULL
		   OR (b.state_key IS NOT NULL AND c.state_hi IS NOT NULL AND b.state_key > onestop_state_key(c.state_hi, c.state_lo))`
	if d.count("onestop_delta_redo") > 0 {
		// Every snapshot of those dossiers, from every listed file.
		d.pinDatasets()
		d.exec(`CREATE TEMP VIEW onestop_delta_redo_snapshots AS
			SELECT * FROM onestop_snapshots WHERE dossier_code IN (SELECT dossier_code FROM onestop_delta_redo)`)
		rows += "\nUNION ALL BY NAME SELECT * FROM onestop_current_of('onestop_delta_redo_snapshots')"
	}
	d.exec(rows)
	d.exec(`CREATE TEMP TABLE onestop_delta_new AS SELECT * FROM onestop_dossier_facts_of('onestop_delta_rows')`)
	if d.err != nil || d.count("onestop_delta_new") == 0 {
		return d.err
	}
	d.exec(`CREATE TEMP TABLE onestop_delta_old AS
		SELECT * FROM onestop_delta_cur WHERE dossier_code IN (SELECT dossier_code FROM onestop_delta_new)`)
	st.deleted["onestop_dossier_facts"] += d.exec("DELETE FROM onestop_dossier_facts WHERE rowid IN (SELECT row_id FROM onestop_delta_old)")
	d.exec("INSERT INTO onestop_dossier_facts BY NAME SELECT * FROM onestop_delta_new")

	// The span: the periods counted.
	before, after := d.spans("SELECT kind, k0, k1 FROM onestop_kpi_span"), d.spans("SELECT kind, k0, k1 FROM onestop_kpi_span_src")
	mergeable, grown := len(before) > 0 && len(before) == len(after), false
	for kind, b := range before {
		a, ok := after[kind]
		mergeable = mergeable && ok && a[0] == b[0] && a[1] >= b[1]
		grown = grown || a[1] > b[1]
	}
	if !mergeable {
		d.exec("CREATE OR REPLACE TABLE onestop_kpi_span AS SELECT * FROM onestop_kpi_span_src")
		d.exec("CREATE OR REPLACE TABLE onestop_kpi_periods AS SELECT * FROM onestop_kpi_periods_src")
		st.deleted["onestop_kpi_periods"] = 0
	} else {
		// k1_before stays where onestop_kpi_periods has counted up to.
		for kind, a := range after {
			d.exec("UPDATE onestop_kpi_span SET k1 = ? WHERE kind = ?", a[1], kind)
		}
		parts := []string{
			"SELECT * FROM onestop_kpi_period_counts('onestop_delta_new', 'old', 1)",
			"SELECT * FROM onestop_kpi_period_counts('onestop_delta_old', 'old', -1)",
		}
		if grown {
			parts = append(parts, "SELECT * FROM onestop_kpi_period_counts('onestop_dossier_facts', 'new', 1)")
		}
		d.exec("CREATE TEMP TABLE onestop_delta_counts AS " + strings.Join(parts, "\nUNION ALL "))
		d.exec("CREATE TEMP TABLE onestop_delta_touched AS SELECT * FROM onestop_kpi_periods_touched('onestop_delta_counts')")
		d.exec(`CREATE TEMP VIEW onestop_delta_periods AS
			SELECT * FROM onestop_kpi_periods WHERE rowid IN (SELECT row_id FROM onestop_delta_touched)
			UNION ALL SELECT * FROM onestop_delta_counts`)
		d.exec("CREATE TEMP TABLE onestop_delta_merged AS SELECT * FROM onestop_kpi_periods_sum('onestop_delta_periods')")
		st.deleted["onestop_kpi_periods"] += d.exec("DELETE FROM onestop_kpi_periods WHERE rowid IN (SELECT row_id FROM onestop_delta_touched)")
		d.exec("INSERT INTO onestop_kpi_periods SELECT * FROM onestop_delta_merged")
		d.exec("UPDATE onestop_kpi_span SET k1_before = k1")
	}

	// Deleted rows stay in an in-memory table until it is rewritten: once
	// they are a quarter of it, rewrite it (the periods in their order).
	for t, order := range map[string]string{"onestop_dossier_facts": "", "onestop_kpi_periods": " ORDER BY 1, 2, 3, 4"} {
		if n := st.deleted[t]; n > 0 && n*4 > d.count(t) {
			d.exec(fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT * FROM %s%s", t, t, order))
			st.deleted[t] = 0
		}
	}
	return d.err
}

// matTx runs the statements of a build or an incremental update in tx
// until one fails, keeping the first error, and drops the temporary tables
// and views it created (the pinned dataset views, onestop_delta_*): they
// live with the connection, which goes back to the pool.
type matTx struct {
	ctx   context.Context
	tx    *sql.Tx
	temps []string
	err   error
	// pin creates the pinned dataset views (Warehouse.pinDatasets), run
	// once by pinDatasets.
	pin func()
}

// pinDatasets makes the group's dataset views read the listed files from
// here on in the transaction.
func (d *matTx) pinDatasets() {
	if d.pin != nil {
		pin := d.pin
		d.pin = nil
		pin()
	}
}

var createTemp = regexp.MustCompile(`^CREATE (?:OR REPLACE )?TEMP (TABLE|VIEW) (\w+)`)

// exec runs q and returns the rows it changed.
func (d *matTx) exec(q string, args ...any) int64 {
	if d.err != nil {
		return 0
	}
	res, err := d.tx.ExecContext(d.ctx, q, args...)
	if err != nil {
		d.err = fmt.Errorf("%s: %w", firstLine(q), err)
		return 0
	}
	// Dropped by its qualified name: a plain DROP of a pinned view
	// (pinDatasets) could take the main view it shadows.
	if m := createTemp.FindStringSubmatch(q); m != nil && !slices.Contains(d.temps, m[1]+" temp."+m[2]) {
		d.temps = append(d.temps, m[1]+" temp."+m[2])
	}
	n, _ := res.RowsAffected()
	return n
}

func (d *matTx) count(table string) int64 {
	if d.err != nil {
		return 0
	}
	var n int64
	if err := d.tx.QueryRowContext(d.ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		d.err = fmt.Errorf("count %s: %w", table, err)
	}
	return n
}

// spans reads (kind, k0, k1) rows.
func (d *matTx) spans(q string) map[string][2]int64 {
	out := map[string][2]int64{}
	if d.err != nil {
		return out
	}
	rows, err := d.tx.QueryContext(d.ctx, q)
	if err != nil {
		d.err = fmt.Errorf("read span: %w", err)
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var k0, k1 int64
		if err := rows.Scan(&kind, &k0, &k1); err != nil {
			d.err = fmt.Errorf("read span: %w", err)
			return out
		}
		out[kind] = [2]int64{k0, k1}
	}
	if err := rows.Err(); err != nil {
		d.err = fmt.Errorf("read span: %w", err)
	}
	return out
}

// dropTemps drops the temporary objects, or returns the first error: then
// the transaction's rollback drops them.
func (d *matTx) dropTemps() error {
	if d.err != nil {
		return d.err
	}
	for i := len(d.temps) - 1; i >= 0; i-- {
		if _, err := d.tx.ExecContext(d.ctx, "DROP "+d.temps[i]); err != nil {
			return fmt.Errorf("drop %s: %w", d.temps[i], err)
		}
	}
	return nil
}

func firstLine(q string) string {
	q = strings.TrimSpace(q)
	if i := strings.IndexByte(q, '\n'); i >= 0 {
		q = q[:i]
	}
	return q
}
