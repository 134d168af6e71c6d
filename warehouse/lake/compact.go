package lake

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/parquet-go/parquet-go"
)

// Compaction merges the small files a steady trickle of records leaves —
// ingest commits a batch per partition every flush interval, one file per
// dataset and Hive partition it has rows for — into files of up to
// TargetBytes, so that the number of files the warehouse lists and DuckDB
// opens stays small.
//
// A merged file is named like a batch's (FileName) with the range [a, b)
// of the files it merged, and supersedes them (Superseded): a reader drops
// them from the moment it appears, so publishing it is one link, and the
// merged files are deleted only once it is Grace old, so that a reader that
// listed them just before can still read them. A crash between the link and
// the deletions leaves files every reader already ignores; the next run
// deletes them.
//
// Only files older than MinAge are merged. A committed batch is published
// (its files renamed into place) within milliseconds of its commit point
// by the process that committed it, or, when that process died, by the
// next Open, which Compact runs first. Commits of a partition are in
// offset order, so a batch whose offsets lie inside a run of files all
// older than MinAge was committed before the run's last file was, more than
// MinAge ago: it is published already and the run sees its file, or it
// has none in this directory. Were it published after the merged file
// appeared, the merged file's range would hide it. A live process stuck
// between its commit point and its renames (stopped, or its disk failing)
// breaks that reasoning, so a run that overlaps a batch still in some
// process's _tmp is left alone as well (pendingRanges).
const compactLockName = "_compact.lock"

// CompactOptions configure a compaction. Start from DefaultCompactOptions:
// MinAge and Grace of zero mean no wait, which suits a lake no one writes
// to or reads, and tests.
type CompactOptions struct {
	// MinAge is how old a file must be to be merged (default 1h).
	MinAge time.Duration
	// Grace is how old a merged file must be before the files it
	// supersedes are deleted (default 1h): longer than a query or a
	// materialized-table build of a reader that listed them takes.
	Grace time.Duration
	// TargetBytes bounds the sum of the (compressed) sizes of the files
	// one merge takes (default 128 MiB); zero means the default.
	TargetBytes int64
}

// DefaultCompactOptions returns the defaults.
func DefaultCompactOptions() CompactOptions {
	return CompactOptions{MinAge: time.Hour, Grace: time.Hour, TargetBytes: 128 << 20}
}

func (o *CompactOptions) validate() error {
	if o.MinAge < 0 || o.Grace < 0 || o.TargetBytes < 0 {
		return fmt.Errorf("compact options: negative min age %v, grace %v or target size %d", o.MinAge, o.Grace, o.TargetBytes)
	}
	if o.TargetBytes == 0 {
		o.TargetBytes = DefaultCompactOptions().TargetBytes
	}
	return nil
}

// CompactStats are what a compaction did.
type CompactStats struct {
	// Busy is set when another compactor held the lake's compaction lock:
	// nothing was done.
	Busy bool
	// Merges are the files written.
	Merges []Merge
	// Deleted counts the superseded files deleted, and DeletedBytes their
	// size.
	Deleted      int
	DeletedBytes int64
	// Skipped counts the batches not yet published that runs were cut
	// at, not to cover them.
	Skipped int
}

// Merge is one merged file.
type Merge struct {
	// Path is relative to the lake directory.
	Path     string
	Files    int
	Rows     int64
	InBytes  int64
	OutBytes int64
	Took     time.Duration
}

// afterCompactPublish, when set, runs once a merged file is published and
// before anything is deleted: tests stop there as a crash would.
var afterCompactPublish func(path string) error

// Compact opens the lake at dir (finishing the batches of dead writers)
// and compacts the files of the given datasets and the quarantine.
func Compact(ctx context.Context, dir string, datasets []Dataset, lopts Options, opts CompactOptions) (CompactStats, error) {
	l, err := Open(dir, datasets, lopts)
	if err != nil {
		return CompactStats{}, err
	}
	defer l.Close()
	return l.Compact(ctx, opts)
}

// Compact merges runs of small files and deletes the superseded files
// whose merged file is Grace old, in every Hive directory of the lake's
// datasets; it never touches _tmp, _cache, the manifests or other
// directories. Only one compactor works on a lake at a time: when another
// holds the lock, Compact returns at once with Busy set. Cancelling ctx
// stops it between two merges, every file it published kept.
func (l *Lake) Compact(ctx context.Context, opts CompactOptions) (CompactStats, error) {
	var st CompactStats
	if err := opts.validate(); err != nil {
		return st, err
	}
	// The lock is not under _tmp: Open deletes the plain files there.
	lockPath := filepath.Join(l.dir, compactLockName)
	lock, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return st, fmt.Errorf("open compaction lock: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			st.Busy = true
			return st, nil
		}
		return st, fmt.Errorf("lock %s: %w", lockPath, err)
	}
	// Batches a writer committed and died before publishing are
	// published first (a long-lived process calls Compact again and
	// again; Open ran this only once).
	if err := l.recover(); err != nil {
		return st, err
	}
	// Read before the directories are listed: a batch it misses was
	// published before the listing, or is younger than MinAge.
	pending, err := l.pendingRanges()
	if err != nil {
		return st, err
	}
	names := make([]string, 0, len(l.datasets))
	for n := range l.datasets {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		d := l.datasets[n]
		ddir := filepath.Join(l.dir, d.Name())
		ents, err := os.ReadDir(ddir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return st, fmt.Errorf("list dataset %s: %w", d.Name(), err)
		}
		for _, e := range ents {
			if e.IsDir() && strings.HasPrefix(e.Name(), d.PartitionKey()+"=") {
				if err := l.compactDir(ctx, d, filepath.Join(d.Name(), e.Name()), pending, opts, &st); err != nil {
					return st, err
				}
			}
		}
	}
	return st, nil
}

// lakeFile is a Parquet file of a Hive directory.
type lakeFile struct {
	name  string
	r     FileRange
	ok    bool // the name parsed
	size  int64
	mtime time.Time
}

func listParquet(dir string) ([]lakeFile, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var out []lakeFile
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".parquet") {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("stat %s: %w", filepath.Join(dir, e.Name()), err)
		}
		r, ok := ParseFileName(e.Name())
		out = append(out, lakeFile{name: e.Name(), r: r, ok: ok, size: info.Size(), mtime: info.ModTime()})
	}
	return out, nil
}

// compactDir compacts one Hive directory, rel to the lake: deletions of
// files superseded long enough, then merges, then the deletions those
// allow at once (Grace 0).
func (l *Lake) compactDir(ctx context.Context, d Dataset, rel string, pending map[tp][][2]int64, opts CompactOptions, st *CompactStats) error {
	dir := filepath.Join(l.dir, rel)
	files, err := listParquet(dir)
	if err != nil {
		return err
	}
	if n, err := l.deleteSuperseded(dir, files, opts.Grace, st); err != nil || n > 0 {
		if err != nil {
			return err
		}
		if files, err = listParquet(dir); err != nil {
			return err
		}
	}
	merged := false
	rs, breaks := runs(files, d, dir, pending, opts)
	if breaks > 0 {
		st.Skipped += breaks
		l.opts.Logger.Info("compaction leaves batches not yet published out of its runs", "dir", rel, "batches", breaks)
	}
	for _, run := range rs {
		if err := ctx.Err(); err != nil {
			return err
		}
		m, err := l.merge(d, rel, run)
		if err != nil {
			return err
		}
		st.Merges = append(st.Merges, m)
		merged = true
	}
	if merged && opts.Grace == 0 {
		if files, err = listParquet(dir); err != nil {
			return err
		}
		if _, err := l.deleteSuperseded(dir, files, opts.Grace, st); err != nil {
			return err
		}
	}
	return nil
}

// deleteSuperseded deletes the superseded files whose covering file is at
// least grace old.
func (l *Lake) deleteSuperseded(dir string, files []lakeFile, grace time.Duration, st *CompactStats) (int, error) {
	names := make([]string, len(files))
	byName := make(map[string]lakeFile, len(files))
	for i, f := range files {
		names[i] = f.name
		byName[f.name] = f
	}
	n := 0
	now := time.Now()
	for name, cover := range Superseded(names) {
		if now.Sub(byName[cover].mtime) < grace {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return n, fmt.Errorf("delete superseded %s: %w", filepath.Join(dir, name), err)
		}
		n++
		st.Deleted++
		st.DeletedBytes += byName[name].size
	}
	if n > 0 {
		if err := Sync(dir); err != nil {
			return n, err
		}
		l.opts.Logger.Info("deleted superseded files", "dir", dir, "files", n)
	}
	return n, nil
}

// runs groups the live files of each topic partition, in offset order,
// into runs of at least two consecutive files, each older than MinAge and
// of the dataset's schema, together at most TargetBytes. A file that is
// young, of another schema (written before the row type changed: merging
// it through the current type would turn absent columns into values) or
// not named by FileName ends a run, and so does a batch not yet published
// between two files (pendingRanges): it returns how many such batches
// broke runs.
func runs(files []lakeFile, d Dataset, dir string, pending map[tp][][2]int64, opts CompactOptions) ([][]lakeFile, int) {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.name
	}
	sup := Superseded(names)
	var live []lakeFile
	for _, f := range files {
		if _, gone := sup[f.name]; !gone && f.ok {
			live = append(live, f)
		}
	}
	slices.SortFunc(live, func(a, b lakeFile) int {
		return cmp.Or(strings.Compare(a.r.Topic, b.r.Topic), cmp.Compare(a.r.Partition, b.r.Partition), cmp.Compare(a.r.From, b.r.From))
	})
	now := time.Now()
	var out [][]lakeFile
	var run []lakeFile
	var size int64
	breaks := 0
	end := func() {
		if len(run) >= 2 {
			out = append(out, run)
		}
		run, size = nil, 0
	}
	for _, f := range live {
		if len(run) > 0 && (run[0].r.Topic != f.r.Topic || run[0].r.Partition != f.r.Partition) {
			end()
		}
		if now.Sub(f.mtime) < opts.MinAge || !ofSchema(filepath.Join(dir, f.name), d.Schema()) {
			end()
			continue
		}
		if len(run) > 0 {
			gap := FileRange{From: run[len(run)-1].r.Next, Next: f.r.Next}
			if overlapsPending(pending[tp{f.r.Topic, f.r.Partition}], gap) {
				breaks++
				end()
			} else if size+f.size > opts.TargetBytes {
				end()
			}
		}
		run = append(run, f)
		size += f.size
	}
	end()
	return out, breaks
}

// ofSchema reports whether the Parquet file at path has the schema s.
func ofSchema(path string, s *parquet.Schema) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return false
	}
	pf, err := parquet.OpenFile(f, info.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return false
	}
	return parquet.EqualNodes(pf.Schema(), s)
}

func span(run []lakeFile) FileRange {
	r := run[0].r
	for _, f := range run[1:] {
		r.From, r.Next = min(r.From, f.r.From), max(r.Next, f.r.Next)
	}
	return r
}

// merge writes a run's rows into one file in the process's temporary
// directory, fsyncs it, and links it into the Hive directory rel (a link
// fails rather than replace a file of the same name), then fsyncs that.
func (l *Lake) merge(d Dataset, rel string, run []lakeFile) (Merge, error) {
	start := time.Now()
	r := span(run)
	name := FileName(r.Topic, r.Partition, r.From, r.Next)
	m := Merge{Path: filepath.Join(rel, name), Files: len(run)}
	srcs := make([]string, len(run))
	for i, f := range run {
		srcs[i] = filepath.Join(l.dir, rel, f.name)
		m.InBytes += f.size
	}
	tmpDir := filepath.Join(l.procDir, "compact-"+randomID())
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return m, fmt.Errorf("create compaction dir: %w", err)
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, name)
	f, err := os.Create(tmp)
	if err != nil {
		return m, fmt.Errorf("create %s: %w", tmp, err)
	}
	m.Rows, err = d.merge(f, srcs, l.wopts)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return m, fmt.Errorf("compact %s: %w", m.Path, err)
	}
	if info, err := os.Stat(tmp); err == nil {
		m.OutBytes = info.Size()
	}
	dst := filepath.Join(l.dir, m.Path)
	if err := os.Link(tmp, dst); err != nil {
		return m, fmt.Errorf("publish %s: %w", m.Path, err)
	}
	if err := Sync(filepath.Dir(dst)); err != nil {
		return m, err
	}
	m.Took = time.Since(start)
	l.opts.Logger.Info("compacted", "file", m.Path, "files", m.Files, "rows", m.Rows, "bytes_in", m.InBytes, "bytes_out", m.OutBytes, "elapsed", m.Took)
	if afterCompactPublish != nil {
		if err := afterCompactPublish(dst); err != nil {
			return m, err
		}
	}
	return m, nil
}

// tp is a topic partition.
type tp struct {
	topic     string
	partition int
}

// pendingRanges are the offset ranges of the batches that reached their
// manifest in some process's _tmp and may not all be published yet: a
// live writer between its commit point and its renames.
func (l *Lake) pendingRanges() (map[tp][][2]int64, error) {
	ms, err := filepath.Glob(filepath.Join(l.dir, tmpDir, "*", "*", "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("list pending batches: %w", err)
	}
	out := map[tp][][2]int64{}
	for _, p := range ms {
		m, err := readManifest(p)
		if err != nil {
			continue // being written, so not committed yet either
		}
		k := tp{m.Topic, m.Partition}
		out[k] = append(out[k], [2]int64{m.From, m.Next})
	}
	return out, nil
}

func overlapsPending(ranges [][2]int64, r FileRange) bool {
	for _, p := range ranges {
		if p[0] < r.Next && r.From < p[1] {
			return true
		}
	}
	return false
}
