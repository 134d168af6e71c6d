package lake

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/parquet-go/parquet-go"
)

// Dataset is one table of the lake: a row type, its Parquet schema and how a
// row picks its Hive partition. Declare datasets with NewDataset.
type Dataset interface {
	// Name is the directory and view name, e.g. "onestop_snapshots".
	Name() string
	// Schema is the Parquet schema of the row type.
	Schema() *parquet.Schema
	// PartitionKey is the Hive partition column, e.g. "month".
	PartitionKey() string
	newTable(w *writerOptions) table
	// merge writes the rows of the files srcs, in their order, into out
	// with the lake's writer options, and returns how many it wrote.
	merge(out io.Writer, srcs []string, w *writerOptions) (int64, error)
}

// NewDataset declares a dataset of rows of type T, Hive-partitioned by key:
// a row goes to the directory key=partition(row).
func NewDataset[T any](name, key string, partition func(*T) string) Dataset {
	return &dataset[T]{name: name, key: key, partition: partition, schema: parquet.SchemaOf(new(T))}
}

type dataset[T any] struct {
	name      string
	key       string
	partition func(*T) string
	schema    *parquet.Schema
}

func (d *dataset[T]) PartitionKey() string { return d.key }

func (d *dataset[T]) Name() string            { return d.name }
func (d *dataset[T]) Schema() *parquet.Schema { return d.schema }

func (d *dataset[T]) newTable(w *writerOptions) table {
	return &typedTable[T]{ds: d, opts: w, pool: poolOf[T](w, d.name), parts: map[string]*partFile[T]{}}
}

// merge reads the sources through the row type, as a batch wrote them, so
// that the merged file is what one batch holding all their rows would have
// written: same schema, codec, row groups and page sizes.
func (d *dataset[T]) merge(out io.Writer, srcs []string, o *writerOptions) (int64, error) {
	bw := bufio.NewWriterSize(out, 256<<10)
	w := parquet.NewGenericWriter[T](bw, o.parquet...)
	buf := make([]T, bufRows)
	var n int64
	for _, src := range srcs {
		rows, err := copyRows(w, src, buf)
		n += rows
		if err != nil {
			return n, fmt.Errorf("merge %s rows of %s: %w", d.name, src, err)
		}
	}
	if err := w.Close(); err != nil {
		return n, fmt.Errorf("close merged %s file: %w", d.name, err)
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("write merged %s file: %w", d.name, err)
	}
	return n, nil
}

func copyRows[T any](w *parquet.GenericWriter[T], src string, buf []T) (int64, error) {
	f, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return 0, err
	}
	r := parquet.NewGenericReader[T](pf)
	defer r.Close()
	var n int64
	for {
		k, err := r.Read(buf)
		if k > 0 {
			if _, werr := w.Write(buf[:k]); werr != nil {
				return n, werr
			}
			n += int64(k)
			clear(buf[:k])
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, err
		}
	}
	if n != pf.NumRows() {
		return n, fmt.Errorf("read %d rows, the footer says %d", n, pf.NumRows())
	}
	return n, nil
}

// writers is a free list of one dataset's Parquet writers, shared by the
// batches of a lake. A fresh parquet-go writer grows its column buffers
// from nothing, which cost more per row than encoding the row; a reset one
// keeps them. The list is bounded so idle writers cannot pin much memory.
type writers[T any] struct {
	mu   sync.Mutex
	free []*pooledWriter[T]
}

type pooledWriter[T any] struct {
	w  *parquet.GenericWriter[T]
	bw *bufio.Writer
}

// maxIdleWriters bounds each dataset's free list: an idle writer holds
// several MiB of buffers.
const maxIdleWriters = 4

func poolOf[T any](o *writerOptions, dataset string) *writers[T] {
	o.mu.Lock()
	defer o.mu.Unlock()
	if p, ok := o.pools[dataset].(*writers[T]); ok {
		return p
	}
	p := &writers[T]{}
	if o.pools == nil {
		o.pools = map[string]any{}
	}
	o.pools[dataset] = p
	return p
}

func (p *writers[T]) get(f *os.File, opts []parquet.WriterOption) *pooledWriter[T] {
	p.mu.Lock()
	var pw *pooledWriter[T]
	if n := len(p.free); n > 0 {
		pw, p.free = p.free[n-1], p.free[:n-1]
	}
	p.mu.Unlock()
	if pw == nil {
		// Pages go through a buffer of several: one write syscall per
		// quarter MiB rather than per page keeps the goroutine out of
		// blocking syscalls.
		bw := bufio.NewWriterSize(f, 256<<10)
		return &pooledWriter[T]{w: parquet.NewGenericWriter[T](bw, opts...), bw: bw}
	}
	pw.bw.Reset(f)
	pw.w.Reset(pw.bw)
	return pw
}

// put returns a writer whose file was closed cleanly.
func (p *writers[T]) put(pw *pooledWriter[T]) {
	pw.bw.Reset(nil)
	p.mu.Lock()
	if len(p.free) < maxIdleWriters {
		p.free = append(p.free, pw)
	}
	p.mu.Unlock()
}

// table is a dataset's share of one batch: a temporary Parquet file per
// partition, written as rows arrive so memory stays bounded by row groups.
type table interface {
	add(row any, tmpDir string) error
	rows() int64
	files() int
	// finish closes and fsyncs every file, returning them.
	finish() ([]File, error)
	abort()
}

type typedTable[T any] struct {
	ds    *dataset[T]
	opts  *writerOptions
	pool  *writers[T]
	parts map[string]*partFile[T]
	last  *partFile[T]
	n     int64
}

type partFile[T any] struct {
	value string
	part  string
	path  string
	f     *os.File
	pw    *pooledWriter[T]
	w     *parquet.GenericWriter[T]
	buf   []T
	rows  int64
}

// bufRows is how many rows a partition buffers before handing them to the
// Parquet writer in one call: parquet-go's Write is much cheaper per row in
// bulk.
const bufRows = 1024

func (t *typedTable[T]) add(row any, tmpDir string) error {
	r, ok := row.(*T)
	if !ok {
		panic(fmt.Sprintf("lake: dataset %s got a %T row", t.ds.name, row))
	}
	value := t.ds.partition(r)
	pf := t.last
	if pf == nil || pf.value != value {
		part := t.ds.key + "=" + value
		if pf = t.parts[value]; pf == nil {
			var err error
			if pf, err = t.open(value, part, tmpDir); err != nil {
				return err
			}
			t.parts[value] = pf
		}
		t.last = pf
	}
	pf.buf = append(pf.buf, *r)
	pf.rows++
	t.n++
	if len(pf.buf) == bufRows {
		return pf.flushBuf(t.ds.name)
	}
	return nil
}

func (t *typedTable[T]) open(value, part, tmpDir string) (*partFile[T], error) {
	path := filepath.Join(tmpDir, t.ds.name, part, "data.parquet")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	pw := t.pool.get(f, t.opts.parquet)
	return &partFile[T]{
		value: value,
		part:  part,
		path:  path,
		f:     f,
		pw:    pw,
		w:     pw.w,
		buf:   make([]T, 0, bufRows),
	}, nil
}

func (pf *partFile[T]) flushBuf(dataset string) error {
	if len(pf.buf) == 0 {
		return nil
	}
	if _, err := pf.w.Write(pf.buf); err != nil {
		return fmt.Errorf("write %s rows to %s: %w", dataset, pf.path, err)
	}
	clear(pf.buf) // drop references to strings and slices
	pf.buf = pf.buf[:0]
	return nil
}

func (t *typedTable[T]) rows() int64 { return t.n }

func (t *typedTable[T]) files() int { return len(t.parts) }

func (t *typedTable[T]) finish() ([]File, error) {
	files := make([]File, 0, len(t.parts))
	for _, pf := range t.parts {
		if err := pf.flushBuf(t.ds.name); err != nil {
			return nil, err
		}
		if err := pf.w.Close(); err != nil {
			return nil, fmt.Errorf("close parquet %s: %w", pf.path, err)
		}
		if err := pf.pw.bw.Flush(); err != nil {
			return nil, fmt.Errorf("write %s: %w", pf.path, err)
		}
		if err := pf.f.Sync(); err != nil {
			return nil, fmt.Errorf("sync %s: %w", pf.path, err)
		}
		st, err := pf.f.Stat()
		if err != nil {
			return nil, fmt.Errorf("stat %s: %w", pf.path, err)
		}
		if err := pf.f.Close(); err != nil {
			return nil, fmt.Errorf("close %s: %w", pf.path, err)
		}
		pf.f = nil
		t.pool.put(pf.pw)
		pf.pw, pf.w = nil, nil
		files = append(files, File{Dataset: t.ds.name, Partition: pf.part, Rows: pf.rows, Bytes: st.Size()})
	}
	return files, nil
}

func (t *typedTable[T]) abort() {
	for _, pf := range t.parts {
		if pf.f != nil {
			pf.f.Close()
		}
	}
}
