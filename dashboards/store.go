package dashboards

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Querier runs one read-only SQL statement: warehouse.Warehouse's sandboxed
// Query. Every figure the dashboards show goes through it.
type Querier interface {
	Query(ctx context.Context, q string) (*sql.Rows, error)
}

// LakeDirer is an optional capability of a Querier (warehouse.Warehouse
// has it): the lake directory, whose commits tell when cached figures are
// stale. Without it cached figures live for Options.MaxAge.
type LakeDirer interface {
	LakeDir() string
}

// store keeps what the KPI views returned, per lake version: a page costs
// an aggregation in memory, not a scan of the lake. A load runs once for
// all the requests waiting for it, detached from them; a failed load is not
// kept. When the lake moves on, readers get the figures of the previous
// version while the new ones load (a page never waits for a reload while
// ingest keeps committing), and the first reader of a value waits for it.
type store struct {
	q       Querier
	lakeDir string
	check   time.Duration // how often the lake version is recomputed
	maxAge  time.Duration // how long a value lives without a lake version
	timeout time.Duration
	metrics *metrics

	vmu       sync.Mutex
	version   string
	versionAt time.Time

	mu    sync.Mutex
	slots map[string]*slot
}

type slot struct {
	cur  *entry // the last good value
	next *entry // the load running, if any
}

type entry struct {
	version string
	at      time.Time
	done    chan struct{}
	val     any
	err     error
}

func newStore(q Querier, opts Options, m *metrics) *store {
	s := &store{q: q, check: opts.VersionCheck, maxAge: opts.MaxAge, timeout: opts.QueryTimeout, metrics: m, slots: map[string]*slot{}}
	if ld, ok := q.(LakeDirer); ok {
		s.lakeDir = ld.LakeDir()
	}
	return s
}

// lakeVersion fingerprints the lake's commits: every batch links a
// manifest into _manifests/<topic>/<partition>/ (changing its mtime) and
// dims/*.csv replace dimensions. Recomputed at most every s.check.
func (s *store) lakeVersion() string {
	if s.lakeDir == "" {
		return ""
	}
	s.vmu.Lock()
	defer s.vmu.Unlock()
	if !s.versionAt.IsZero() && time.Since(s.versionAt) < s.check {
		return s.version
	}
	h := fnv.New64a()
	add := func(pattern string) {
		m, _ := filepath.Glob(filepath.Join(s.lakeDir, pattern))
		sort.Strings(m)
		for _, p := range m {
			st, err := os.Stat(p)
			if err != nil {
				continue
			}
			fmt.Fprintf(h, "%s|%d|%d\n", p, st.ModTime().UnixNano(), st.Size())
		}
	}
	add("_manifests/*/*")
	add("dims/*")
	add("*") // a dataset directory appearing
	s.version = strconv.FormatUint(h.Sum64(), 36)
	s.versionAt = time.Now()
	return s.version
}

// get returns the value named key for the current lake version, loading
// it with load when missing; a stale value is returned while its
// replacement loads.
func (s *store) get(ctx context.Context, key string, load func(ctx context.Context) (any, error)) (any, error) {
	version := s.lakeVersion()
	s.mu.Lock()
	sl := s.slots[key]
	if sl == nil {
		sl = &slot{}
		s.slots[key] = sl
	}
	if cur := sl.cur; cur != nil {
		fresh := cur.version == version && (s.lakeDir != "" || time.Since(cur.at) < s.maxAge)
		if !fresh && sl.next == nil {
			sl.next = s.start(key, sl, version, load)
		}
		s.mu.Unlock()
		return cur.val, nil
	}
	e := sl.next
	if e == nil {
		e = s.start(key, sl, version, load)
		sl.next = e
	}
	s.mu.Unlock()
	select {
	case <-e.done:
		return e.val, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// start runs a load detached from the request that asked first, so that
// one reader closing the tab does not fail the others. Called with s.mu
// held.
func (s *store) start(key string, sl *slot, version string, load func(ctx context.Context) (any, error)) *entry {
	e := &entry{version: version, done: make(chan struct{})}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
		defer cancel()
		began := time.Now()
		e.val, e.err = load(ctx)
		e.at = time.Now()
		s.metrics.load(key, time.Since(began), e.err)
		s.mu.Lock()
		if sl.next == e {
			sl.next = nil
		}
		if e.err == nil {
			sl.cur = e
		}
		s.mu.Unlock()
		close(e.done)
	}()
	return e
}

// scanner reads a result set by column name, so that a view gaining
// columns, or listing them in another order, changes nothing here.
type scanner struct {
	idx  map[string]int
	vals []any
	ptrs []any
}

func newScanner(rows *sql.Rows) (*scanner, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	s := &scanner{idx: map[string]int{}, vals: make([]any, len(cols)), ptrs: make([]any, len(cols))}
	for i, c := range cols {
		s.idx[c] = i
		s.ptrs[i] = &s.vals[i]
	}
	return s, nil
}

func (s *scanner) scan(rows *sql.Rows) error { return rows.Scan(s.ptrs...) }

func (s *scanner) has(col string) bool { _, ok := s.idx[col]; return ok }

// require fails when a column is missing.
func (s *scanner) require(cols ...string) error {
	for _, c := range cols {
		if !s.has(c) {
			return fmt.Errorf("no column %s", c)
		}
	}
	return nil
}

func (s *scanner) val(col string) any {
	i, ok := s.idx[col]
	if !ok {
		return nil
	}
	return s.vals[i]
}

func (s *scanner) str(col string) string {
	switch v := s.val(col).(type) {
	case nil:
		return ""
	case string:
		return v
	case []byte:
		return string(v)
	case time.Time:
		return v.Format("2006-01-02")
	default:
		return fmt.Sprint(v)
	}
}

func (s *scanner) int(col string) int64 {
	switch v := s.val(col).(type) {
	case int64:
		return v
	case int32:
		return int64(v)
	case int16:
		return int64(v)
	case int8:
		return int64(v)
	case int:
		return int64(v)
	case uint64:
		return int64(v)
	case uint32:
		return int64(v)
	case uint16:
		return int64(v)
	case uint8:
		return int64(v)
	case float64:
		return int64(v)
	case float32:
		return int64(v)
	case interface{ Float64() float64 }: // DECIMAL, HUGEINT
		return int64(v.Float64())
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	case interface{ String() string }:
		n, _ := strconv.ParseInt(v.String(), 10, 64)
		return n
	}
	return 0
}

// float is a nullable number.
func (s *scanner) float(col string) *float64 {
	var f float64
	switch v := s.val(col).(type) {
	case nil:
		return nil
	case float64:
		f = v
	case float32:
		f = float64(v)
	case interface{ Float64() float64 }:
		f = v.Float64()
	case string:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil
		}
		f = x
	default:
		f = float64(s.int(col))
	}
	return &f
}

// queryAll runs q and calls fn for each row.
func queryAll(ctx context.Context, q Querier, stmt string, fn func(*scanner) error) error {
	rows, err := q.Query(ctx, stmt)
	if err != nil {
		return err
	}
	defer rows.Close()
	sc, err := newScanner(rows)
	if err != nil {
		return err
	}
	for rows.Next() {
		if err := sc.scan(rows); err != nil {
			return err
		}
		if err := fn(sc); err != nil {
			return err
		}
	}
	return rows.Err()
}

// errNoData says a view holds no month at all yet.
var errNoData = errors.New("no data")
