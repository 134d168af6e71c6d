package warehouse

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/tayninh/ktxh/warehouse/lake"
)

// The cache keeps the materialized tables between processes, so that a
// process opening an unchanged lake loads them instead of building them
// from every snapshot, and one opening a lake that has grown loads them and
// applies the new files. Only the warehouse writes it, through its own
// statements, never through Query:
//
//	<lake>/_cache/<group>/g-<unix nanoseconds>-<random>/   a generation
//	    stamp.json                  what it was built from (cacheStamp)
//	    <table>.parquet             each table of the group, zstd
//	<lake>/_cache/<group>/.tmp-<random>/                   being written
//
// A generation is written whole into a temporary directory, fsynced, and
// renamed into place under a name no other writer uses: readers see a
// complete generation or none, and of two processes writing at once each
// publishes its own. Readers take the newest generation whose stamp
// matches (compatKey) and whose files the lake still has. A generation
// that holds exactly the lake's files is not copied into memory: the
// tables become views over its Parquet files, which a process running one
// query reads faster than it could load them, until the tables must change
// (a build or an incremental update loads them first). The reader holds a
// shared lock on the stamp for as long as its views read the generation;
// the writer that published a generation removes all but the newest
// keepGenerations, skipping those locked. Whatever fails to check — a stamp
// that does not parse, a file of the wrong size, checksum or schema — is
// ignored and the tables are built from the lake.
const (
	cacheDirName    = "_cache"
	cacheFormat     = 1
	keepGenerations = 2
	// tmpMaxAge is how old a temporary directory must be to be taken for
	// a dead writer's.
	tmpMaxAge = time.Hour
)

// cacheStamp describes a generation.
type cacheStamp struct {
	Format int    `json:"format"`
	Group  string `json:"group"`
	// Compat is compatKey of the warehouse that wrote it: the SQL that
	// builds the tables, DuckDB's version and the dimensions.
	Compat string `json:"compat"`
	// Files are the lake files the tables were built from, per dataset:
	// exactly those (pinDatasets), whatever was published meanwhile.
	Files  fileSet      `json:"files"`
	Tables []cacheTable `json:"tables"`
	// WriteMillis is how long writing took: a process that applied new
	// files to this generation writes a new one when that work took longer.
	WriteMillis int64     `json:"write_ms"`
	Written     time.Time `json:"written"`
}

type cacheTable struct {
	Name  string `json:"name"`
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
	// CRC32C is the file's CRC-32C (Castagnoli).
	CRC32C uint32 `json:"crc32c"`
}

// generation is a cache generation found on disk.
type generation struct {
	dir   string
	stamp cacheStamp
}

func (w *Warehouse) cacheGroupDir(group string) string {
	return filepath.Join(w.lakeDir, cacheDirName, group)
}

// generations returns the group's published generations, newest first,
// whose stamp parses and matches this warehouse.
func (w *Warehouse) generations(group string) []generation {
	dir := w.cacheGroupDir(group)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), "g-") {
			names = append(names, e.Name())
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	var out []generation
	for _, n := range names {
		gdir := filepath.Join(dir, n)
		b, err := os.ReadFile(filepath.Join(gdir, "stamp.json"))
		if err != nil {
			continue
		}
		var s cacheStamp
		if err := json.Unmarshal(b, &s); err != nil {
			w.opts.Logger.Info("ignoring cache generation", "dir", gdir, "err", fmt.Errorf("parse stamp: %w", err))
			continue
		}
		if s.Format != cacheFormat || s.Group != group || s.Compat != w.compat || s.Files == nil {
			continue
		}
		out = append(out, generation{dir: gdir, stamp: s})
	}
	return out
}

// loadGeneration replaces the group's tables with the generation's: views
// over its files, or, with inMemory, tables loaded from them. The stamp is
// share-locked meanwhile, and for as long as views read the generation, so
// that no writer removes it under them.
func (w *Warehouse) loadGeneration(ctx context.Context, g *group, st *groupState, gen generation, inMemory bool) error {
	lock, err := os.Open(filepath.Join(gen.dir, "stamp.json"))
	if err != nil {
		return fmt.Errorf("open stamp: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			lock.Close()
		}
	}()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_SH); err != nil {
		return fmt.Errorf("lock stamp: %w", err)
	}
	if len(gen.stamp.Tables) != len(g.tables) {
		return fmt.Errorf("stamp lists %d tables, want %d", len(gen.stamp.Tables), len(g.tables))
	}
	for i, t := range g.tables {
		want := gen.stamp.Tables[i]
		if want.Name != t {
			return fmt.Errorf("stamp lists table %s, want %s", want.Name, t)
		}
		size, sum, err := checksum(filepath.Join(gen.dir, t+".parquet"))
		if err != nil {
			return err
		}
		if size != want.Bytes || sum != want.CRC32C {
			return fmt.Errorf("%s.parquet has %d bytes and CRC-32C %08x, the stamp says %d and %08x", t, size, sum, want.Bytes, want.CRC32C)
		}
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i, t := range g.tables {
		file := "read_parquet(" + quote(filepath.Join(gen.dir, t+".parquet")) + ")"
		want, err := columnTypes(ctx, tx, "SELECT * FROM "+t)
		if err != nil {
			return err
		}
		got, err := columnTypes(ctx, tx, "SELECT * FROM "+file)
		if err != nil {
			return fmt.Errorf("read %s.parquet: %w", t, err)
		}
		if got != want {
			return fmt.Errorf("%s.parquet has columns %s, want %s", t, got, want)
		}
		kind := "VIEW"
		if inMemory {
			kind = "TABLE"
		}
		for _, q := range []string{
			fmt.Sprintf("DROP %s %s", st.kind(), t),
			fmt.Sprintf("CREATE %s %s AS SELECT * FROM %s", kind, t, file),
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("load %s: %w", t, err)
			}
		}
		var n int64
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			return fmt.Errorf("count %s: %w", t, err)
		}
		if n != gen.stamp.Tables[i].Rows {
			return fmt.Errorf("%s.parquet has %d rows, the stamp says %d", t, n, gen.stamp.Tables[i].Rows)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	st.release()
	if !inMemory {
		st.backing, st.backingDir, keep = lock, gen.dir, true
	}
	return nil
}

// toMemory turns the group's tables, when they are views over a cache
// generation, into tables loaded from it, inside tx: before they change.
// The caller releases the generation (st.release) once tx commits.
func (w *Warehouse) toMemory(ctx context.Context, tx *sql.Tx, g *group, st *groupState) error {
	if st.backing == nil {
		return nil
	}
	for _, t := range g.tables {
		for _, q := range []string{
			"DROP VIEW " + t,
			fmt.Sprintf("CREATE TABLE %s AS SELECT * FROM read_parquet(%s)", t, quote(filepath.Join(st.backingDir, t+".parquet"))),
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("load %s: %w", t, err)
			}
		}
	}
	return nil
}

// checksum returns a file's size and CRC-32C.
func checksum(path string) (int64, uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, 0, fmt.Errorf("read %s: %w", path, err)
	}
	return n, h.Sum32(), nil
}

// columnTypes describes the columns of a query as "name TYPE, ...".
func columnTypes(ctx context.Context, tx *sql.Tx, q string) (string, error) {
	var s sql.NullString
	err := tx.QueryRowContext(ctx, "SELECT string_agg(column_name || ' ' || column_type, ', ') FROM (DESCRIBE "+q+")").Scan(&s)
	if err != nil {
		return "", fmt.Errorf("describe %s: %w", q, err)
	}
	return s.String, nil
}

// cacheWrite is a generation being written: a read transaction opened, with
// refreshMu held, on the state of the tables as of files, so that the
// write, which runs after refreshMu is released, copies exactly that state
// whatever the next refresh changes.
type cacheWrite struct {
	g     *group
	files fileSet
	tx    *sql.Tx
	rows  []int64
	work  time.Duration // the work the generation saves, taken at the start
}

// beginCacheWrite pins the group's tables for a write. Called with
// refreshMu held.
func (w *Warehouse) beginCacheWrite(ctx context.Context, g *group, files fileSet, work time.Duration) (*cacheWrite, error) {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	cw := &cacheWrite{g: g, files: files, tx: tx, work: work}
	for _, t := range g.tables {
		var n int64
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			tx.Rollback()
			return nil, fmt.Errorf("count %s: %w", t, err)
		}
		cw.rows = append(cw.rows, n)
	}
	return cw, nil
}

// writeGeneration copies the pinned tables into a new generation and
// publishes it, then removes old generations.
func (w *Warehouse) writeGeneration(ctx context.Context, cw *cacheWrite) (dir string, err error) {
	defer cw.tx.Rollback()
	start := time.Now()
	gdir := w.cacheGroupDir(cw.g.name)
	if err := os.MkdirAll(gdir, 0o755); err != nil {
		return "", fmt.Errorf("create cache dir: %w", err)
	}
	tmp := filepath.Join(gdir, ".tmp-"+randomHex())
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return "", fmt.Errorf("create cache dir: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	stamp := cacheStamp{Format: cacheFormat, Group: cw.g.name, Compat: w.compat, Files: cw.files}
	for i, t := range cw.g.tables {
		path := filepath.Join(tmp, t+".parquet")
		q := fmt.Sprintf("COPY %s TO %s (FORMAT parquet, COMPRESSION zstd)", t, quote(path))
		if _, err := cw.tx.ExecContext(ctx, q); err != nil {
			return "", fmt.Errorf("write %s: %w", t, err)
		}
		if err := lake.Sync(path); err != nil {
			return "", err
		}
		size, sum, err := checksum(path)
		if err != nil {
			return "", err
		}
		stamp.Tables = append(stamp.Tables, cacheTable{Name: t, Rows: cw.rows[i], Bytes: size, CRC32C: sum})
	}
	stamp.Written = time.Now().UTC()
	stamp.WriteMillis = time.Since(start).Milliseconds()
	b, err := json.Marshal(stamp)
	if err != nil {
		return "", fmt.Errorf("encode stamp: %w", err)
	}
	if err := writeFileSync(filepath.Join(tmp, "stamp.json"), b); err != nil {
		return "", err
	}
	if err := lake.Sync(tmp); err != nil {
		return "", err
	}
	dir = filepath.Join(gdir, fmt.Sprintf("g-%020d-%s", time.Now().UnixNano(), randomHex()))
	if err := os.Rename(tmp, dir); err != nil {
		return "", fmt.Errorf("publish cache generation: %w", err)
	}
	if err := lake.Sync(gdir); err != nil {
		return "", err
	}
	w.collectGenerations(cw.g.name)
	return dir, nil
}

// collectGenerations removes all but the newest keepGenerations
// generations of a group, skipping any a reader has locked, and the
// temporary directories of writers that died.
func (w *Warehouse) collectGenerations(group string) {
	gdir := w.cacheGroupDir(group)
	ents, err := os.ReadDir(gdir)
	if err != nil {
		return
	}
	var gens []string
	for _, e := range ents {
		switch name := e.Name(); {
		case strings.HasPrefix(name, "g-"):
			gens = append(gens, name)
		case strings.HasPrefix(name, ".tmp-"):
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > tmpMaxAge {
				os.RemoveAll(filepath.Join(gdir, name))
			}
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(gens)))
	for _, name := range gens[min(len(gens), keepGenerations):] {
		dir := filepath.Join(gdir, name)
		f, err := os.Open(filepath.Join(dir, "stamp.json"))
		if errors.Is(err, fs.ErrNotExist) {
			os.RemoveAll(dir)
			continue
		}
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			if err := os.RemoveAll(dir); err != nil {
				w.opts.Logger.Info("remove old cache generation", "dir", dir, "err", err)
			}
		}
		f.Close()
	}
}

func writeFileSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return f.Close()
}

func randomHex() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// compatKey identifies what the materialized tables are built with: the
// cache format (bump cacheFormat when the Go side of a build or an
// incremental update changes what the tables hold), DuckDB's version, the
// semantic layer's SQL and the dimensions' content.
func (w *Warehouse) compatKey(ctx context.Context, dims []byte) (string, error) {
	var version string
	if err := w.db.QueryRowContext(ctx, "SELECT library_version FROM pragma_version()").Scan(&version); err != nil {
		return "", fmt.Errorf("duckdb version: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "format %d\nduckdb %s\n", cacheFormat, version)
	names, err := fs.Glob(sqlFS, "sql/*.sql")
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := sqlFS.ReadFile(n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", n, len(b))
		h.Write(b)
	}
	h.Write(dims)
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}
