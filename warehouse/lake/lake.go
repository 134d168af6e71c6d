package lake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/tayninh/ktxh/transform"
)

// ErrConflict is returned by Commit when another writer already committed a
// batch starting at the same offset: the caller must drop its work and
// resume from Next.
var ErrConflict = errors.New("another writer committed this offset range first")

// Options configure how the lake writes Parquet. Zero values mean defaults.
type Options struct {
	// RowGroupRows bounds a row group (default 64Ki rows): DuckDB scans a
	// row group per thread, and the writer holds one in memory per file.
	RowGroupRows int64
	// ZstdLevel is the zstd level (default zstd.SpeedFastest: ingest is
	// CPU-bound and the lake is small next to the broker log).
	ZstdLevel zstd.Level
	Logger    *slog.Logger
}

// DefaultOptions returns the defaults.
func DefaultOptions() Options {
	return Options{RowGroupRows: 64 << 10, ZstdLevel: zstd.SpeedFastest}
}

func (o *Options) validate() {
	d := DefaultOptions()
	if o.RowGroupRows <= 0 {
		o.RowGroupRows = d.RowGroupRows
	}
	if o.ZstdLevel == 0 {
		o.ZstdLevel = d.ZstdLevel
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

type writerOptions struct {
	parquet []parquet.WriterOption

	mu    sync.Mutex
	pools map[string]any // dataset name → *writers[T]
}

// Lake is an open lake directory. Safe for concurrent use by the partition
// workers of one process; several processes may open the same lake.
type Lake struct {
	dir      string
	datasets map[string]Dataset
	opts     Options
	wopts    *writerOptions
	procDir  string
	lock     *os.File

	// unpublished is set once a batch was committed but not all of its
	// files could be published: they stay in procDir, which Close then
	// leaves for the next Open to finish.
	mu          sync.Mutex
	unpublished bool
}

// Open opens (creating it if needed) the lake at dir for writing the given
// datasets and the quarantine, and finishes or discards whatever crashed
// writers left in _tmp.
func Open(dir string, datasets []Dataset, opts Options) (*Lake, error) {
	opts.validate()
	l := &Lake{dir: dir, datasets: map[string]Dataset{}, opts: opts}
	for _, d := range append([]Dataset{Quarantine}, datasets...) {
		if _, dup := l.datasets[d.Name()]; dup {
			panic("lake: dataset declared twice: " + d.Name())
		}
		l.datasets[d.Name()] = d
	}
	codec := &zstd.Codec{Level: opts.ZstdLevel}
	l.wopts = &writerOptions{parquet: []parquet.WriterOption{
		parquet.Compression(codec),
		parquet.MaxRowsPerRowGroup(opts.RowGroupRows),
		parquet.PageBufferSize(64 << 10),
		parquet.CreatedBy("ktxh", "1", ""),
	}}
	if err := os.MkdirAll(filepath.Join(dir, tmpDir), 0o755); err != nil {
		return nil, fmt.Errorf("create lake: %w", err)
	}
	if err := l.recover(); err != nil {
		return nil, err
	}
	proc, lock, err := lockedDir(filepath.Join(dir, tmpDir))
	if err != nil {
		return nil, err
	}
	l.procDir, l.lock = proc, lock
	return l, nil
}

// Dir is the lake directory.
func (l *Lake) Dir() string { return l.dir }

// Close releases the process's temporary directory.
func (l *Lake) Close() error {
	if l.lock == nil {
		return nil
	}
	l.mu.Lock()
	keep := l.unpublished
	l.mu.Unlock()
	var err error
	if !keep {
		err = os.RemoveAll(l.procDir)
	}
	l.lock.Close() // once unlocked, the next Open recovers what was kept
	l.lock = nil
	return err
}

// lockedDir creates a fresh directory under parent holding an flock-ed
// .lock file: the lock dies with the process, so recovery can tell a
// crashed writer's leftovers from a live writer's work in progress.
func lockedDir(parent string) (string, *os.File, error) {
	host, _ := os.Hostname()
	d := filepath.Join(parent, fmt.Sprintf("%s-%d-%s", host, os.Getpid(), randomID()))
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", nil, fmt.Errorf("create process dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(d, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", nil, fmt.Errorf("create lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return "", nil, fmt.Errorf("lock %s: %w", d, err)
	}
	return d, f, nil
}

func randomID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// recover finishes the renames of batches whose manifest was committed by a
// process that died, and deletes everything else such processes left.
func (l *Lake) recover() error {
	root := filepath.Join(l.dir, tmpDir)
	procs, err := os.ReadDir(root)
	if err != nil {
		return fmt.Errorf("list %s: %w", root, err)
	}
	for _, p := range procs {
		pdir := filepath.Join(root, p.Name())
		if !p.IsDir() {
			os.Remove(pdir)
			continue
		}
		if live(pdir) {
			continue
		}
		flushes, _ := os.ReadDir(pdir)
		for _, fl := range flushes {
			if !fl.IsDir() {
				continue
			}
			fdir := filepath.Join(pdir, fl.Name())
			m, err := readManifest(filepath.Join(fdir, "manifest.json"))
			if err != nil {
				continue // never committed
			}
			committed, err := readManifest(filepath.Join(l.partitionDir(m.Topic, m.Partition), manifestName(m.From)))
			if err != nil || committed.FlushID != m.FlushID {
				continue // lost its race, or never linked
			}
			if err := l.publish(fdir, m); err != nil {
				return fmt.Errorf("recover batch %s: %w", fdir, err)
			}
			l.opts.Logger.Info("recovered committed batch", "topic", m.Topic, "partition", m.Partition, "from", m.From, "next", m.Next)
		}
		if err := os.RemoveAll(pdir); err != nil {
			return fmt.Errorf("remove %s: %w", pdir, err)
		}
	}
	return nil
}

// live reports whether the process owning dir still holds its lock.
func live(dir string) bool {
	f, err := os.Open(filepath.Join(dir, ".lock"))
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return true
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}

// failPublish, when set, makes publish fail: tests stop there as a full
// disk or a failing rename would.
var failPublish func() error

// publish renames a committed batch's files into place. It is idempotent:
// a file already moved is skipped.
func (l *Lake) publish(fdir string, m *Manifest) error {
	if failPublish != nil {
		if err := failPublish(); err != nil {
			return err
		}
	}
	dirs := map[string]bool{}
	for _, f := range m.Files {
		src := filepath.Join(fdir, f.Dataset, f.Partition, "data.parquet")
		dst := filepath.Join(l.dir, f.Path)
		if _, err := os.Stat(src); errors.Is(err, os.ErrNotExist) {
			if _, err := os.Stat(dst); err == nil {
				continue
			}
			return fmt.Errorf("file %s of committed batch is missing", f.Path)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("create %s: %w", filepath.Dir(dst), err)
		}
		if err := os.Rename(src, dst); err != nil {
			return fmt.Errorf("publish %s: %w", f.Path, err)
		}
		dirs[filepath.Dir(dst)] = true
	}
	for d := range dirs {
		if err := Sync(d); err != nil {
			return err
		}
	}
	return nil
}

// Sync fsyncs a file or directory by path: a new or renamed entry is
// durable only once its directory is.
func Sync(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}

// Batch gathers the rows of one offset range of one topic partition. It
// implements transform.Sink; call Record before decoding each record. Not
// safe for concurrent use.
type Batch struct {
	l         *Lake
	topic     string
	partition int
	from      int64
	next      int64
	id        string
	dir       string
	tables    map[string]table
	cur       *transform.Record
	m         Manifest
	err       error
	qrow      QuarantineRow
}

// NewBatch starts a batch of topic/partition whose first offset is from,
// which must be where the lake resumes (Next) or, for a partition the lake
// has never seen, the partition's first offset.
func (l *Lake) NewBatch(topic string, partition int, from int64) *Batch {
	id := randomID()
	return &Batch{
		l: l, topic: topic, partition: partition, from: from, next: from, id: id,
		dir:    filepath.Join(l.procDir, id),
		tables: map[string]table{},
	}
}

// From is the batch's first offset.
func (b *Batch) From() int64 { return b.from }

// Next is the offset after the last record of the batch.
func (b *Batch) Next() int64 { return b.next }

// Records is how many records the batch holds.
func (b *Batch) Records() int64 { return b.m.Records }

// Rows is how many rows (quarantine included) the batch holds.
func (b *Batch) Rows() int64 {
	var n int64
	for _, t := range b.tables {
		n += t.rows()
	}
	return n
}

// Files is how many Parquet files the batch has open, one per dataset and
// partition value its rows went to; each holds a row group's buffers.
func (b *Batch) Files() int {
	var n int
	for _, t := range b.tables {
		n += t.files()
	}
	return n
}

// Record tells the batch which record the following rows come from.
func (b *Batch) Record(rec *transform.Record) {
	b.cur = rec
	b.next = rec.Offset + 1
	b.m.Records++
	if rec.Value == nil {
		b.m.Tombstones++
	}
}

// Err is the first write error; once set the batch must be aborted.
func (b *Batch) Err() error { return b.err }

// Row implements transform.Sink.
func (b *Batch) Row(dataset string, row any) {
	if b.err != nil {
		return
	}
	t := b.tables[dataset]
	if t == nil {
		d := b.l.datasets[dataset]
		if d == nil {
			panic("lake: row for undeclared dataset " + dataset)
		}
		t = d.newTable(b.l.wopts)
		b.tables[dataset] = t
	}
	b.err = t.add(row, b.dir)
}

// Reject implements transform.Sink: the rejection becomes a quarantine row
// with the current record's coordinates.
func (b *Batch) Reject(r transform.Rejection) {
	b.m.Rejected++
	q := &b.qrow
	*q = QuarantineRow{
		Topic:          b.topic,
		Partition:      b.cur.Partition,
		Offset:         b.cur.Offset,
		KafkaTimestamp: b.cur.Timestamp.UnixMicro(),
		Reason:         r.Reason,
		Excerpt:        string(r.Excerpt),
		IngestedAt:     time.Now().UnixMicro(),
	}
	if r.Item >= 0 {
		q.Item = &r.Item
	}
	b.Row(Quarantine.Name(), q)
}

// Commit makes the batch durable and visible. On ErrConflict, or any
// error, nothing of the batch is visible and the caller must resume from
// Next.
func (b *Batch) Commit() (*Manifest, error) {
	if b.err != nil {
		b.Abort()
		return nil, b.err
	}
	m, err := b.commit()
	if err != nil && m != nil {
		// Past the commit point: the manifest says these offsets are in
		// the lake, so the files it lists must survive until published.
		b.l.mu.Lock()
		b.l.unpublished = true
		b.l.mu.Unlock()
		return nil, err
	}
	os.RemoveAll(b.dir)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (b *Batch) commit() (*Manifest, error) {
	m := &b.m
	m.Topic, m.Partition, m.From, m.Next, m.FlushID = b.topic, b.partition, b.from, b.next, b.id
	for _, t := range b.tables {
		files, err := t.finish()
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			f.Path = filepath.Join(f.Dataset, f.Partition, FileName(b.topic, b.partition, b.from, b.next))
			m.Files = append(m.Files, f)
		}
	}
	m.Committed = time.Now().UTC()
	if err := os.MkdirAll(b.dir, 0o755); err != nil {
		return nil, fmt.Errorf("create batch dir: %w", err)
	}
	tmp := filepath.Join(b.dir, "manifest.json")
	if err := writeFileSync(tmp, m); err != nil {
		return nil, err
	}
	pdir := b.l.partitionDir(b.topic, b.partition)
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		return nil, fmt.Errorf("create manifest dir: %w", err)
	}
	// The commit point.
	if err := os.Link(tmp, filepath.Join(pdir, manifestName(b.from))); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("commit %s/%d from %d: %w", b.topic, b.partition, b.from, ErrConflict)
		}
		return nil, fmt.Errorf("commit manifest: %w", err)
	}
	if err := Sync(pdir); err != nil {
		return nil, err
	}
	if err := b.l.publish(b.dir, m); err != nil {
		// Committed but not all visible: the next Open finishes it.
		return m, fmt.Errorf("publish committed batch (the next start finishes it): %w", err)
	}
	b.l.prune(b.topic, b.partition)
	return m, nil
}

// Abort drops the batch.
func (b *Batch) Abort() {
	for _, t := range b.tables {
		t.abort()
	}
	os.RemoveAll(b.dir)
}

func writeFileSync(path string, v any) error {
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// QuarantineRow is a rejected record or item (view quarantine).
type QuarantineRow struct {
	Topic          string `parquet:"-"`
	Partition      int32  `parquet:"partition"`
	Offset         int64  `parquet:"offset"`
	KafkaTimestamp int64  `parquet:"kafka_timestamp,timestamp(microsecond:utc)"`
	Item           *int32 `parquet:"item,optional"`
	Reason         string `parquet:"reason"`
	Excerpt        string `parquet:"excerpt,optional"`
	IngestedAt     int64  `parquet:"ingested_at,timestamp(microsecond:utc)"`
}

// Quarantine is the dataset of rejected records, partitioned by topic.
var Quarantine = NewDataset("quarantine", "topic", func(r *QuarantineRow) string {
	return strings.ReplaceAll(r.Topic, "/", "_")
})
