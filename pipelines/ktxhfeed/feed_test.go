package ktxhfeed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// receiver is a KT-XH endpoint on 127.0.0.1 that stores each key once and
// answers 409 to a key it has; behave decides, per request, to answer
// otherwise (fail, hang, be slow, reject).
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	item   *jsonschema.Schema
	behave func(n int64, key string, w http.ResponseWriter, r *http.Request) bool // true: answered

	n          atomic.Int64
	mu         sync.Mutex
	deliveries map[string]int // requests per key, whatever the answer
	stored     map[string]int // times stored (must stay 1)
	onStore    func(stored int)
}

func newReceiver(t *testing.T, behave func(n int64, key string, w http.ResponseWriter, r *http.Request) bool) *receiver {
	rc := &receiver{t: t, behave: behave, deliveries: map[string]int{}, stored: map[string]int{}, item: compileSchema(t, "#/$defs/item")}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	n := rc.n.Add(1)
	key := r.Header.Get("Idempotency-Key")
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	rc.mu.Lock()
	rc.deliveries[key]++
	rc.mu.Unlock()
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var doc struct {
		Key string `json:"idempotency_key"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.Key != key {
		rc.t.Errorf("header key %q, document key %q (%v)", key, doc.Key, err)
		http.Error(w, "key mismatch", http.StatusBadRequest)
		return
	}
	validate(rc.t, rc.item, body)
	if rc.behave != nil && rc.behave(n, key, w, r) {
		return
	}
	rc.mu.Lock()
	if rc.stored[key] > 0 {
		rc.mu.Unlock()
		http.Error(w, "already have it", http.StatusConflict)
		return
	}
	rc.stored[key]++
	s := len(rc.stored)
	cb := rc.onStore
	rc.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
	if cb != nil {
		cb(s)
	}
}

func (rc *receiver) snapshot() (deliveries, stored map[string]int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	d, s := map[string]int{}, map[string]int{}
	for k, v := range rc.deliveries {
		d[k] = v
	}
	for k, v := range rc.stored {
		s[k] = v
	}
	return d, s
}

// feedLake is the test lake's data with a ledger of its own: the ledger
// lives in the lake, so every feed test gets a fresh lake directory whose
// files are hard links to the shared one's.
func feedLake(t *testing.T) string {
	src := testLake(t)
	dir := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if rel == LedgerDir {
			return filepath.SkipDir
		}
		dst := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		return os.Link(path, dst)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// The test clock: 20 Nov 2019, so months 2019-09 and 2019-10 and the
// Decree 09 periods 2019-09, -10 and -11 are closed; 2019-11 is not.
var feedNow = time.Date(2019, 11, 20, 9, 0, 0, 0, Local)

// newTestFeeder feeds from the shared warehouse (same data as the lake at
// dir) and keeps its ledger in dir.
func newTestFeeder(t *testing.T, dir, target string, opts ...Opt) *Feeder {
	t.Helper()
	q := sharedWarehouse(t)
	base := []Opt{WithClock(func() time.Time { return feedNow }), WithSince(2019, 9),
		WithRetry(30, time.Millisecond, 20*time.Millisecond), WithRequestTimeout(2 * time.Second), WithConcurrency(8)}
	f, err := NewFeeder(q, dir, target, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// allKeys are the keys a complete feed acknowledges, from the reports.
func allKeys(t *testing.T, f *Feeder) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	for _, k := range f.cfg.kinds {
		ps, err := f.closedPeriods(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := BuildRange(context.Background(), f.q, f.cfg.cat, k, ps)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			for _, u := range r.Units {
				keys[r.Key(u)] = true
			}
		}
	}
	return keys
}

// ackedOnce checks the ledger: exactly one acked line per expected key,
// nothing else acknowledged.
func ackedOnce(t *testing.T, dir, target string, keys map[string]bool) {
	t.Helper()
	es, err := ReadLedger(dir)
	if err != nil {
		t.Fatal(err)
	}
	acked := map[string]int{}
	for _, e := range es {
		if e.Target == target && e.Outcome == OutcomeAcked {
			acked[e.Key]++
		}
	}
	for k := range keys {
		if acked[k] != 1 {
			t.Errorf("key %s acked %d times in the ledger", k[:12], acked[k])
		}
	}
	for k := range acked {
		if !keys[k] {
			t.Errorf("unexpected key %s in the ledger", k[:12])
		}
	}
}

func TestClosedPeriods(t *testing.T) {
	f, err := NewFeeder(nil, "x", "http://127.0.0.1:1/", WithSince(2019, 8), WithClock(func() time.Time { return feedNow }))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		now   time.Time
		kind  Kind
		grace time.Duration
		want  string
	}{
		{"month, grace passed", feedNow, KindMonth, DefaultGrace, "2019-08 2019-09 2019-10"},
		{"month, within grace", time.Date(2019, 11, 2, 23, 59, 0, 0, Local), KindMonth, DefaultGrace, "2019-08 2019-09"},
		{"month, grace just passed", time.Date(2019, 11, 3, 0, 0, 0, 0, Local), KindMonth, DefaultGrace, "2019-08 2019-09 2019-10"},
		{"report, on the 16th", time.Date(2019, 11, 16, 12, 0, 0, 0, Local), KindReport, DefaultGrace, "2019-08 2019-09 2019-10"},
		{"report, on the 17th", time.Date(2019, 11, 17, 0, 0, 0, 0, Local), KindReport, DefaultGrace, "2019-08 2019-09 2019-10 2019-11"},
		{"report, no grace", time.Date(2019, 11, 15, 0, 0, 0, 0, Local), KindReport, 0, "2019-08 2019-09 2019-10 2019-11"},
		{"nothing closed yet", time.Date(2019, 8, 20, 0, 0, 0, 0, Local), KindMonth, DefaultGrace, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.cfg.now = func() time.Time { return tc.now }
			f.cfg.grace = tc.grace
			ps, err := f.closedPeriods(context.Background(), tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, p := range ps {
				ids = append(ids, p.ID())
			}
			if got := strings.Join(ids, " "); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// The receiver fails (500), hangs past the client's timeout and answers
// slowly in turn; every document ends acknowledged exactly once.
func TestFeedFlakyReceiver(t *testing.T) {
	dir := feedLake(t)
	const timeout = 150 * time.Millisecond
	rc := newReceiver(t, func(n int64, key string, w http.ResponseWriter, r *http.Request) bool {
		switch n % 4 {
		case 0:
			http.Error(w, "internal error", http.StatusInternalServerError)
			return true
		case 1: // hang until the client gives up
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return true
		case 2: // slow, within the timeout
			time.Sleep(timeout / 3)
		}
		return false
	})
	f := newTestFeeder(t, dir, rc.srv.URL, WithKinds(KindMonth), WithRequestTimeout(timeout))
	keys := allKeys(t, f)
	s, err := f.Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v (%+v)", err, s)
	}
	if s.Acked != len(keys) || s.Failed != 0 || s.Periods != 2 {
		t.Errorf("summary %+v, want %d acked over 2 periods", s, len(keys))
	}
	d, st := rc.snapshot()
	if len(st) != len(keys) {
		t.Errorf("receiver stored %d keys, want %d", len(st), len(keys))
	}
	retried := 0
	for k := range keys {
		if st[k] != 1 {
			t.Errorf("key %s stored %d times", k[:12], st[k])
		}
		if d[k] > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Error("no document needed a retry: the receiver did not fail")
	}
	ackedOnce(t, dir, Redact(rc.srv.URL), keys)
	// A second run sends nothing.
	before := rc.n.Load()
	s, err = f.Run(context.Background())
	if err != nil || s.Acked != 0 || s.Skipped != len(keys) {
		t.Errorf("second run: %+v, %v", s, err)
	}
	if after := rc.n.Load(); after != before {
		t.Errorf("second run sent %d requests", after-before)
	}
	t.Logf("%d documents, %d requests, %d retried", len(keys), before, retried)
}

// A feed stopped in the middle (context cancelled, as by a kill) and
// started again over the same lake sends every document not acknowledged
// and none that was.
func TestFeedRestart(t *testing.T) {
	dir := feedLake(t)
	ctx1, stop := context.WithCancel(context.Background())
	defer stop()
	rc := newReceiver(t, func(n int64, key string, w http.ResponseWriter, r *http.Request) bool {
		time.Sleep(2 * time.Millisecond)
		return false
	})
	var stopOnce sync.Once
	rc.onStore = func(stored int) {
		if stored == 150 {
			stopOnce.Do(stop)
		}
	}
	f1 := newTestFeeder(t, dir, rc.srv.URL)
	keys := allKeys(t, f1)
	s1, err := f1.Run(ctx1)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: %v, want canceled", err)
	}
	if s1.Acked == 0 || s1.Acked >= len(keys) {
		t.Fatalf("first run acked %d of %d: not stopped in the middle", s1.Acked, len(keys))
	}
	acked1 := map[string]bool{}
	es, _ := ReadLedger(dir)
	for _, e := range es {
		acked1[e.Key] = true
	}
	// A crash while appending leaves a torn line: it is dropped.
	lf, err := os.OpenFile(filepath.Join(dir, LedgerDir, ledgerFile), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	lf.WriteString(`{"key":"deadbeef","target":"`)
	lf.Close()

	d1, _ := rc.snapshot()
	rc.onStore = nil
	f2 := newTestFeeder(t, dir, rc.srv.URL)
	s2, err := f2.Run(context.Background())
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	d2, st := rc.snapshot()
	for k := range acked1 {
		if d2[k] != d1[k] {
			t.Errorf("key %s, acknowledged before the restart, sent again", k[:12])
		}
	}
	for k := range keys {
		if st[k] != 1 {
			t.Errorf("key %s stored %d times", k[:12], st[k])
		}
	}
	if s1.Acked+s2.Acked != len(keys) || s2.Skipped != len(acked1) {
		t.Errorf("acked %d + %d, skipped %d; want %d in all, %d skipped", s1.Acked, s2.Acked, s2.Skipped, len(keys), len(acked1))
	}
	ackedOnce(t, dir, Redact(rc.srv.URL), keys)
	t.Logf("%d documents: %d before the restart, %d after", len(keys), s1.Acked, s2.Acked)
}

// Permanent errors are recorded and not retried; 409 acknowledges; 429
// with Retry-After is retried.
func TestFeedAnswers(t *testing.T) {
	dir := feedLake(t)
	var rejectKey, conflictKey string
	var throttled sync.Map
	rc := newReceiver(t, func(n int64, key string, w http.ResponseWriter, r *http.Request) bool {
		switch key {
		case rejectKey:
			http.Error(w, "unknown agency", http.StatusUnprocessableEntity)
			return true
		case conflictKey:
			http.Error(w, "already have it", http.StatusConflict)
			return true
		}
		if _, done := throttled.LoadOrStore(key, true); !done && n%3 == 0 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return true
		}
		return false
	})
	f := newTestFeeder(t, dir, rc.srv.URL, WithKinds(KindReport))
	rep, err := Build(context.Background(), f.q, f.cfg.cat, Period{Kind: KindReport, Year: 2019, Month: 10})
	if err != nil {
		t.Fatal(err)
	}
	rejectKey, conflictKey = rep.Key(rep.Units[3]), rep.Key(rep.Units[0])
	keys := allKeys(t, f)
	s, err := f.Run(context.Background())
	if err == nil || s.Rejected != 1 || s.Acked != len(keys)-1 {
		t.Fatalf("run: %v, %+v; want 1 rejected, %d acked", err, s, len(keys)-1)
	}
	d, _ := rc.snapshot()
	if d[rejectKey] != 1 {
		t.Errorf("rejected key sent %d times, want 1", d[rejectKey])
	}
	var rejected Entry
	es, _ := ReadLedger(dir)
	for _, e := range es {
		if e.Key == rejectKey {
			rejected = e
		}
	}
	if rejected.Outcome != OutcomeRejected || rejected.Status != 422 || rejected.Detail != "unknown agency" {
		t.Errorf("ledger entry of the rejected key: %+v", rejected)
	}
	// Not sent again by a plain rerun ...
	s, err = f.Run(context.Background())
	if err != nil || s.Acked != 0 || s.Rejected != 0 {
		t.Errorf("rerun: %v %+v", err, s)
	}
	if d2, _ := rc.snapshot(); d2[rejectKey] != 1 {
		t.Errorf("rejected key sent again by a rerun")
	}
	// ... but on request, and acknowledged once the receiver takes it.
	rejectKey = "none"
	f2 := newTestFeeder(t, dir, rc.srv.URL, WithKinds(KindReport), WithRetryRejected(true))
	s, err = f2.Run(context.Background())
	if err != nil || s.Acked != 1 {
		t.Errorf("retry rejected: %v %+v", err, s)
	}
	keys[conflictKey] = true
	ackedOnce(t, dir, Redact(rc.srv.URL), keys)
}

// A target that is down: the run stops after a few documents exhausted
// their attempts, records nothing, and the next run sends everything.
func TestFeedTargetDown(t *testing.T) {
	dir := feedLake(t)
	var down atomic.Bool
	down.Store(true)
	rc := newReceiver(t, func(n int64, key string, w http.ResponseWriter, r *http.Request) bool {
		if down.Load() {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	f := newTestFeeder(t, dir, rc.srv.URL, WithKinds(KindMonth), WithRetry(3, time.Millisecond, 2*time.Millisecond), WithConcurrency(1))
	keys := allKeys(t, f)
	s, err := f.Run(context.Background())
	if err == nil || s.Acked != 0 || s.Failed != 3 {
		t.Fatalf("run against a down target: %v %+v", err, s)
	}
	if n := rc.n.Load(); n != 9 {
		t.Errorf("%d requests, want 3 documents x 3 attempts", n)
	}
	if es, _ := ReadLedger(dir); len(es) != 0 {
		t.Errorf("ledger has %d entries after a failed run", len(es))
	}
	down.Store(false)
	if s, err = f.Run(context.Background()); err != nil || s.Acked != len(keys) {
		t.Fatalf("run after recovery: %v %+v", err, s)
	}
	ackedOnce(t, dir, Redact(rc.srv.URL), keys)
}

func TestLedgerLockAndTornLine(t *testing.T) {
	dir := t.TempDir()
	l, err := OpenLedger(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenLedger(dir, nil); !errors.Is(err, ErrBusy) {
		t.Fatalf("second open: %v, want ErrBusy", err)
	}
	e := Entry{Key: "k1", Target: "http://x/", Outcome: OutcomeAcked, At: time.Now().UTC()}
	if err := l.Record(e); err != nil {
		t.Fatal(err)
	}
	l.Record(Entry{Key: "k2", Target: "http://x/", Outcome: OutcomeRejected, Status: 400})
	l.Close()
	l.Close() // twice is fine
	path := filepath.Join(dir, LedgerDir, ledgerFile)
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"key":"k3","outc`)
	f.Close()
	l, err = OpenLedger(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if e, ok := l.Lookup("http://x/", "k1"); !ok || e.Outcome != OutcomeAcked {
		t.Errorf("k1: %+v %v", e, ok)
	}
	if e, ok := l.Lookup("http://x/", "k2"); !ok || e.Outcome != OutcomeRejected {
		t.Errorf("k2: %+v %v", e, ok)
	}
	if _, ok := l.Lookup("http://y/", "k1"); ok {
		t.Error("k1 acknowledged by another target")
	}
	l.Record(Entry{Key: "k3", Target: "http://x/", Outcome: OutcomeAcked})
	b, _ := os.ReadFile(path)
	if lines := strings.Count(string(b), "\n"); lines != 3 || strings.Contains(string(b), `"outc{`) {
		t.Errorf("ledger after a torn line and an append:\n%s", b)
	}
	// An ack is final even if a rejection comes after it.
	l.Record(Entry{Key: "k1", Target: "http://x/", Outcome: OutcomeRejected})
	if e, _ := l.Lookup("http://x/", "k1"); e.Outcome != OutcomeAcked {
		t.Errorf("k1 after a later rejection: %+v", e)
	}
}

// The warehouse's SQL can read the lake but never write the ledger.
func TestSandboxCannotWriteLedger(t *testing.T) {
	dir := feedLake(t)
	q := openWarehouse(t, dir)
	target := filepath.Join(dir, LedgerDir, ledgerFile)
	for _, stmt := range []string{
		fmt.Sprintf("COPY (SELECT 1 AS x) TO '%s'", target),
		fmt.Sprintf("COPY (SELECT 1 AS x) TO '%s' (FORMAT csv)", filepath.Join(dir, LedgerDir, "x.csv")),
	} {
		if rows, err := q.Query(context.Background(), stmt); err == nil {
			rows.Close()
			t.Errorf("%s: allowed", stmt)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, LedgerDir, "x.csv")); err == nil {
		t.Error("the sandbox wrote into the ledger directory")
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		status int
		err    error
		want   action
	}{
		{200, nil, actAck}, {201, nil, actAck}, {204, nil, actAck}, {409, nil, actAck},
		{400, nil, actReject}, {401, nil, actReject}, {404, nil, actReject}, {422, nil, actReject}, {302, nil, actReject},
		{408, nil, actRetry}, {429, nil, actRetry}, {500, nil, actRetry}, {502, nil, actRetry}, {503, nil, actRetry},
		{0, context.DeadlineExceeded, actRetry}, {0, errors.New("connection refused"), actRetry},
	} {
		if got := classify(tc.status, tc.err); got != tc.want {
			t.Errorf("classify(%d, %v) = %v, want %v", tc.status, tc.err, got, tc.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	f := &Feeder{cfg: defaultCfg()}
	f.cfg.backoffBase, f.cfg.backoffMax = 100*time.Millisecond, time.Second
	for attempt, max := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 30: time.Second} {
		for range 50 {
			d := f.backoff(attempt, 0)
			if d < max/2 || d > max {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, max/2, max)
			}
		}
	}
	if d := f.backoff(1, 10*time.Second); d != time.Second {
		t.Errorf("Retry-After beyond the cap: %v", d)
	}
	if d := f.backoff(1, 700*time.Millisecond); d != 700*time.Millisecond {
		t.Errorf("Retry-After: %v", d)
	}
}

func TestScheduler(t *testing.T) {
	dir := feedLake(t)
	rc := newReceiver(t, nil)
	f := newTestFeeder(t, dir, rc.srv.URL, WithKinds(KindMonth))
	s, err := NewScheduler(f, "", true)
	if err != nil {
		t.Fatal(err)
	}
	if next := s.Next(time.Date(2019, 11, 3, 7, 0, 0, 0, Local)); !next.Equal(time.Date(2019, 11, 4, 6, 30, 0, 0, Local)) {
		t.Errorf("next tick of the default schedule: %v", next)
	}
	if _, err := NewScheduler(f, "61 * * * *", false); err == nil {
		t.Error("bad cron expression accepted")
	}
	keys := allKeys(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, st := rc.snapshot(); len(st) == len(keys) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the scheduler's first run did not finish")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
