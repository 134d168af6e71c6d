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
	w := &Warehouse{lakeDir: abs, scratch: scratch, opts: opts, empty: map[string]bool{},
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
	return nil
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
			d.Name(), quote(w.datasetGlob(d)))
		w.empty[d.Name()] = false
	} else {
		path := filepath.Join(w.scratch, d.Name()+".parquet")
		if err := writeEmpty(path, d.Schema()); err != nil {
			return err
		}
		q = fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT *, NULL::VARCHAR AS %s FROM read_parquet(%s)",
			d.Name(), d.PartitionKey(), quote(path))
		w.empty[d.Name()] = true
	}
	if _, err := w.db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("create view %s: %w", d.Name(), err)
	}
	return nil
}

// Refresh points views of datasets that had no files at the lake once
// files appear. A long-running server calls it before queries.
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
