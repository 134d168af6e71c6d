package warehouse

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

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
	// NoCache neither reads nor writes <lake>/_cache: every Open builds
	// the materialized tables from the lake's files (default: they are
	// loaded from the cache when it has them, and written to it after a
	// build).
	NoCache bool
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
	// compat identifies what the materialized tables are built with (the
	// SQL, DuckDB's version, the dimensions): a cache generation written
	// by a warehouse with another compat is not loaded.
	compat string

	// ctx lives until Close, which cancels it and waits for writers, the
	// goroutines writing cache generations.
	ctx     context.Context
	cancel  context.CancelFunc
	writers sync.WaitGroup

	// refreshMu serializes refreshes: listing the lake, redefining the
	// dataset views, building and updating the materialized tables.
	refreshMu sync.Mutex
	lister    *lister
	viewFiles fileSet // the files each dataset's view reads (refreshMu)

	stateMu     sync.Mutex // guards the cache fields of state, cacheFailed, closed
	state       map[string]*groupState
	cacheFailed bool // a cache write failed: do not try again
	closed      bool // Close was called: start no cache write
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
	w := &Warehouse{lakeDir: abs, scratch: scratch, opts: opts, viewFiles: fileSet{},
		datasets: append([]lake.Dataset{lake.Quarantine}, datasets...),
		lister:   newLister(abs), state: map[string]*groupState{}}
	for _, g := range groups {
		w.state[g.name] = &groupState{deleted: map[string]int64{}}
	}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	if err := w.open(); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

func (w *Warehouse) open() error {
	// Every setting is global, made in setup before lock_configuration:
	// a connection the pool opens later may change none.
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return fmt.Errorf("open duckdb: %w", err)
	}
	w.db = sql.OpenDB(connector)
	w.db.SetMaxOpenConns(w.opts.MaxConns)
	w.db.SetMaxIdleConns(w.opts.MaxConns)
	ctx := context.Background()
	setup := []string{
		"SET GLOBAL TimeZone = 'Asia/Ho_Chi_Minh'",
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
	dims, err := w.loadDims(ctx)
	if err != nil {
		return err
	}
	if err := w.loadStaffingTargets(ctx); err != nil {
		return err
	}
	if err := w.runSQLFiles(ctx); err != nil {
		return err
	}
	if w.compat, err = w.compatKey(ctx, dims); err != nil {
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
	if err := w.refresh(ctx, true); err != nil {
		return err
	}
	// The cache generations the first build started: the next process
	// opening the lake finds them.
	w.writers.Wait()
	return nil
}

// Close waits for the cache writes under way (cancelled) and releases the
// database and its scratch directory. It is safe to call twice.
func (w *Warehouse) Close() error {
	w.stateMu.Lock()
	w.closed = true
	w.stateMu.Unlock()
	w.cancel()
	w.writers.Wait()
	var err error
	if w.db != nil {
		err = w.db.Close() // idempotent
	}
	for _, st := range w.state {
		st.release()
	}
	return errors.Join(err, os.RemoveAll(w.scratch))
}

// LakeDir is the lake's absolute path.
func (w *Warehouse) LakeDir() string { return w.lakeDir }

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

// createDatasetViews defines a view per dataset over its zero-row file,
// so that every view exists with its columns before the semantic layer
// (sql/*.sql) is defined over them; the first refresh points them at the
// lake's files (refreshViews).
func (w *Warehouse) createDatasetViews(ctx context.Context) error {
	for _, d := range w.datasets {
		// Written for every dataset: a build reads it for a dataset
		// without listed files (pinDatasets).
		if err := writeEmpty(w.emptyFile(d), d.Schema()); err != nil {
			return err
		}
		if err := w.createDatasetView(ctx, d, nil); err != nil {
			return err
		}
		w.viewFiles[d.Name()] = map[string]int64{}
	}
	return nil
}

// refreshViews redefines the view of each dataset whose live files changed
// since its view was defined to read exactly them. A view reads a list of
// files, not a glob of its directories: a glob would read a compacted file
// together with the files it supersedes until the compactor deletes them
// (lake.LiveFiles). Views are plain catalog entries: redefining one needs
// no setting, so it works after lock_configuration. Called with refreshMu
// held.
func (w *Warehouse) refreshViews(ctx context.Context, files fileSet) error {
	for _, d := range w.datasets {
		cur := files[d.Name()]
		if maps.Equal(w.viewFiles[d.Name()], cur) {
			continue
		}
		if err := w.createDatasetView(ctx, d, files.paths(w.lakeDir, d.Name())); err != nil {
			return err
		}
		w.viewFiles[d.Name()] = cur
	}
	return nil
}

func (w *Warehouse) createDatasetView(ctx context.Context, d lake.Dataset, paths []string) error {
	q := fmt.Sprintf("CREATE OR REPLACE VIEW %s AS %s", viewName(d), w.datasetSelect(d, paths))
	if _, err := w.db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("create view %s: %w", viewName(d), err)
	}
	return nil
}

// datasetSelect reads a dataset's rows from files (paths), or,
// given none, from its zero-row file, with a NULL partition column: the
// same columns either way.
func (w *Warehouse) datasetSelect(d lake.Dataset, files []string) string {
	if len(files) == 0 {
		return fmt.Sprintf("SELECT *, NULL::VARCHAR AS %s FROM read_parquet(%s)", d.PartitionKey(), quote(w.emptyFile(d)))
	}
	return "SELECT * FROM " + readParquet(files)
}

// readParquet reads lake files (paths): the partition column
// comes from the <key>=<value> directory, as text, and files written with
// an older schema lack columns, which read as NULL.
func readParquet(files []string) string {
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = quote(f)
	}
	return fmt.Sprintf("read_parquet([%s], hive_partitioning = true, union_by_name = true, hive_types_autocast = false)", strings.Join(quoted, ", "))
}

func (w *Warehouse) emptyFile(d lake.Dataset) string {
	return filepath.Join(w.scratch, d.Name()+".parquet")
}

// Refresh points the dataset views at the lake's live files and brings the
// materialized tables up to date with them, waiting for a refresh already
// running. Query refreshes without waiting.
func (w *Warehouse) Refresh(ctx context.Context) error {
	return w.refresh(ctx, true)
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
