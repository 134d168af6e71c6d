package warehouse

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/parquet-go/parquet-go"

	"github.com/tayninh/ktxh/warehouse/lake"
)

//go:embed sql/*.sql
var sqlFS embed.FS

// Options configure Open. Zero values mean defaults.
type Options struct {
	// Threads and MemoryLimit bound DuckDB (defaults: all cores, "4GB").
	Threads     int
	MemoryLimit string
	// MaxConns bounds concurrent queries (default 4).
	MaxConns int
	Logger   *slog.Logger
	// Staffing sets the staffing-reduction base year and targets
	// (defaults: DefaultStaffingOptions).
	Staffing StaffingOptions
}

func (o *Options) validate() {
	if o.MemoryLimit == "" {
		o.MemoryLimit = "4GB"
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 4
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Warehouse is an open, read-only view of one lake.
type Warehouse struct {
	lakeDir  string
	scratch  string
	datasets []lake.Dataset
	db       *sql.DB
	opts     Options

	mu    sync.Mutex
	empty map[string]bool // datasets whose view reads a zero-row stand-in
	// built is, per materialized table, the filesVersion it was built from.
	built map[string]string
}

// Open builds the views over the lake at dir for the given datasets (the
// quarantine is always there) and locks the database down.
func Open(dir string, datasets []lake.Dataset, opts Options) (*Warehouse, error) {
	opts.validate()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("lake path: %w", err)
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("lake %s: not a directory", dir)
	}
	scratch, err := os.MkdirTemp("", "ktxh-warehouse-")
	if err != nil {
		return nil, fmt.Errorf("scratch dir: %w", err)
	}
	w := &Warehouse{lakeDir: abs, scratch: scratch, opts: opts, empty: map[string]bool{}, built: map[string]string{},
		datasets: append([]lake.Dataset{lake.Quarantine}, datasets...)}
	if err := w.open(); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

func (w *Warehouse) open() error {
	connector, err := duckdb.NewConnector("", func(execer driver.ExecerContext) error {
		// Per-connection settings; the global ones are locked in setup.
		_, err := execer.ExecContext(context.Background(), "SET TimeZone = 'Asia/Ho_Chi_Minh'", nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("open duckdb: %w", err)
	}
	w.db = sql.OpenDB(connector)
	w.db.SetMaxOpenConns(w.opts.MaxConns)
	w.db.SetMaxIdleConns(w.opts.MaxConns)
	ctx := context.Background()
	setup := []string{
		fmt.Sprintf("SET memory_limit = '%s'", w.opts.MemoryLimit),
		// Large materializations may spill: into the scratch directory,
		// not the working directory.
		fmt.Sprintf("SET temp_directory = %s", quote(filepath.Join(w.scratch, "spill"))),
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
	}
	if w.opts.Threads > 0 {
		setup = append(setup, fmt.Sprintf("SET threads = %d", w.opts.Threads))
	}
	for _, q := range setup {
		if _, err := w.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	if err := w.createDatasetViews(ctx); err != nil {
		return err
	}
	if err := w.loadDims(ctx); err != nil {
		return err
	}
	if err := w.loadStaffingTargets(ctx); err != nil {
		return err
	}
	if err := w.runSQLFiles(ctx); err != nil {
		return err
	}
	// Locked last: from here on no connection can read outside the lake
	// and the scratch directory, nor change a setting.
	lock := []string{
		fmt.Sprintf("SET allowed_directories = [%s, %s]", quote(w.lakeDir+"/"), quote(w.scratch+"/")),
		"SET enable_external_access = false",
		"SET lock_configuration = true",
	}
	for _, q := range lock {
		if _, err := w.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return w.materialize(ctx)
}

// Close releases the database and its scratch directory.
func (w *Warehouse) Close() error {
	var err error
	if w.db != nil {
		err = w.db.Close()
	}
	return errors.Join(err, os.RemoveAll(w.scratch))
}

// LakeDir is the lake's absolute path.
func (w *Warehouse) LakeDir() string { return w.lakeDir }

// datasetGlob is where a dataset's committed files are: only published
// files live under <dataset>/<key>=<value>/, never temporary ones.
func (w *Warehouse) datasetGlob(d lake.Dataset) string {
	return filepath.Join(w.lakeDir, d.Name(), d.PartitionKey()+"=*", "*.parquet")
}

// rawViews renames the views of the datasets whose contract name belongs to
// a view of the semantic layer: the lake's rows are lake_<dataset> and the
// contract view (sql/50_egov.sql, sql/60_staffing.sql) reads them. Every
// other dataset's view carries the dataset's name.
var rawViews = map[string]string{
	"egov_documents": "lake_egov_documents",
	"egov_status":    "lake_egov_status",
	"staff_records":  "lake_staff_records",
	"staff_quota":    "lake_staff_quota",
}

// viewName is the name of the view over a dataset's files.
func viewName(d lake.Dataset) string {
	if v, ok := rawViews[d.Name()]; ok {
		return v
	}
	return d.Name()
}

func (w *Warehouse) hasFiles(d lake.Dataset) bool {
	m, _ := filepath.Glob(w.datasetGlob(d))
	return len(m) > 0
}

// createDatasetViews defines a view per dataset. A dataset without files
// yet reads a zero-row file of its schema so that every view exists with
// its columns; Refresh switches it to the lake once files appear.
func (w *Warehouse) createDatasetViews(ctx context.Context) error {
	for _, d := range w.datasets {
		if err := w.createDatasetView(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

func (w *Warehouse) createDatasetView(ctx context.Context, d lake.Dataset) error {
	var q string
	if w.hasFiles(d) {
		q = fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT * FROM read_parquet(%s, hive_partitioning = true, union_by_name = true, hive_types_autocast = false)",
			viewName(d), quote(w.datasetGlob(d)))
		w.empty[d.Name()] = false
	} else {
		path := filepath.Join(w.scratch, d.Name()+".parquet")
		if err := writeEmpty(path, d.Schema()); err != nil {
			return err
		}
		q = fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT *, NULL::VARCHAR AS %s FROM read_parquet(%s)",
			viewName(d), d.PartitionKey(), quote(path))
		w.empty[d.Name()] = true
	}
	if _, err := w.db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("create view %s: %w", viewName(d), err)
	}
	return nil
}

// Refresh points views of datasets that had no files at the lake once
// files appear, and rebuilds the materialized tables whose dataset's files
// changed. A long-running server calls it before queries.
func (w *Warehouse) Refresh(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, d := range w.datasets {
		if w.empty[d.Name()] && w.hasFiles(d) {
			// Views are plain catalog entries: redefining one needs no
			// setting, so it works after lock_configuration.
			if err := w.createDatasetView(ctx, d); err != nil {
				return err
			}
		}
	}
	return w.materializeLocked(ctx)
}

// materialized are tables the semantic layer keeps as copies of views over
// a dataset (sql/20_kpi_onestop.sql): the one-stop current-state rule runs
// over every snapshot, too slow to run per query on a province's history.
// Each is rebuilt, in order, whenever the dataset's set of files changes.
var materialized = []struct{ dataset, table, source string }{
	{"onestop_snapshots", "onestop_kpi_facts", "onestop_kpi_facts_src"},
	{"onestop_snapshots", "onestop_kpi_periods", "onestop_kpi_periods_src"},
}

func (w *Warehouse) materialize(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.materializeLocked(ctx)
}

// filesVersion changes whenever a file of the dataset appears or goes: it
// lists the dataset's partition directories with their modification times
// (publishing a file renames it into one), a few system calls per query
// rather than a listing of every file.
func (w *Warehouse) filesVersion(dataset string) string {
	var b strings.Builder
	dir := filepath.Join(w.lakeDir, dataset)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if info, err := e.Info(); err == nil {
			fmt.Fprintf(&b, "%s %d\n", e.Name(), info.ModTime().UnixNano())
		}
	}
	return b.String()
}

// materializeLocked rebuilds the stale materialized tables in one
// transaction: concurrent queries see the old tables until it commits.
func (w *Warehouse) materializeLocked(ctx context.Context) error {
	files := map[string]string{}
	var stale []int
	for i, m := range materialized {
		sig, ok := files[m.dataset]
		if !ok {
			sig = w.filesVersion(m.dataset)
			files[m.dataset] = sig
		}
		if b, ok := w.built[m.table]; !ok || b != sig || (i > 0 && len(stale) > 0) {
			stale = append(stale, i)
		}
	}
	if len(stale) == 0 {
		return nil
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("materialize: %w", err)
	}
	defer tx.Rollback()
	for _, i := range stale {
		m := materialized[i]
		start := time.Now()
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT * FROM %s", m.table, m.source)); err != nil {
			return fmt.Errorf("materialize %s: %w", m.table, err)
		}
		w.opts.Logger.Debug("materialized", "table", m.table, "elapsed", time.Since(start))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("materialize: %w", err)
	}
	for _, i := range stale {
		w.built[materialized[i].table] = files[materialized[i].dataset]
	}
	return nil
}

func writeEmpty(path string, schema *parquet.Schema) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	pw := parquet.NewWriter(f, schema)
	if err := pw.Close(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// runSQLFiles runs the embedded sql/*.sql files in name order: the
// semantic layer (current-state views, KPIs, macros).
func (w *Warehouse) runSQLFiles(ctx context.Context) error {
	names, err := fs.Glob(sqlFS, "sql/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := sqlFS.ReadFile(n)
		if err != nil {
			return err
		}
		if _, err := w.db.ExecContext(ctx, string(b)); err != nil {
			return fmt.Errorf("run %s: %w", n, err)
		}
	}
	return nil
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
