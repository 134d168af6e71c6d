package ktxhfeed

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/tayninh/ktxh/warehouse/lake"
)

// Ledger files, under the lake but outside every dataset directory (the
// views read only <lake>/<dataset>/<key>=<value>/*.parquet, and the
// warehouse's sandbox refuses any write).
const (
	LedgerDir  = "_feed"
	ledgerFile = "ledger.jsonl"
	lockFile   = ".lock"
)

// ErrBusy is returned by OpenLedger while another process feeds from the
// same lake.
var ErrBusy = errors.New("another feed holds the ledger lock")

// Outcomes recorded in the ledger.
const (
	// OutcomeAcked: the target acknowledged the key (2xx, or 409: it
	// already had it). Never sent again.
	OutcomeAcked = "acked"
	// OutcomeRejected: the target refused the document for good (a 4xx
	// other than 408, 409 and 429). Not sent again unless the values
	// change or the feed is told to retry rejected documents.
	OutcomeRejected = "rejected"
)

// Entry is one line of the ledger.
type Entry struct {
	Key        string    `json:"key"`
	Target     string    `json:"target"`
	Outcome    string    `json:"outcome"`
	Set        string    `json:"set"`
	Version    int       `json:"version"`
	PeriodKind Kind      `json:"period_kind"`
	Period     string    `json:"period"`
	Scope      string    `json:"scope"`
	AgencyCode string    `json:"agency_code"`
	Status     int       `json:"status"`
	Attempts   int       `json:"attempts"`
	ValuesHash string    `json:"values_sha256"`
	Detail     string    `json:"detail,omitempty"`
	At         time.Time `json:"at"`
}

// Ledger is the record of what each target acknowledged or rejected:
// <lake>/_feed/ledger.jsonl, one JSON entry per line, each appended with a
// single write and fsynced before the caller goes on. Only outcomes are
// recorded, never intents: a document whose answer was lost is sent again
// with the same Idempotency-Key. A line cut short by a crash is dropped at
// the next open. One process at a time holds the ledger (flock on
// _feed/.lock).
type Ledger struct {
	mu     sync.Mutex
	dir    string
	f      *os.File
	lock   *os.File
	latest map[string]Entry // by target + "\x00" + key: the last outcome
	log    *slog.Logger

	written int64      // lines appended (under mu)
	syncMu  sync.Mutex // held while fsyncing
	synced  int64      // lines known on disk (under syncMu)
}

// OpenLedger opens (creating) the ledger of the lake at lakeDir.
func OpenLedger(lakeDir string, log *slog.Logger) (*Ledger, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if st, err := os.Stat(lakeDir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("lake %s: not a directory", lakeDir)
	}
	dir := filepath.Join(lakeDir, LedgerDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open ledger lock: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrBusy
		}
		return nil, fmt.Errorf("lock ledger: %w", err)
	}
	l := &Ledger{dir: dir, lock: lock, latest: map[string]Entry{}, log: log}
	if err := l.load(); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// load reads the ledger, cutting a torn last line, and opens it for
// appending.
func (l *Ledger) load() error {
	path := filepath.Join(l.dir, ledgerFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("open ledger: %w", err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("read ledger: %w", err)
	}
	good := bytes.LastIndexByte(b, '\n') + 1
	if good < len(b) {
		l.log.Warn("ledger: dropping a line cut short by a crash", "path", path, "bytes", len(b)-good)
		if err := f.Truncate(int64(good)); err != nil {
			f.Close()
			return fmt.Errorf("truncate ledger: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("sync ledger: %w", err)
		}
	}
	for n, line := range bytes.Split(b[:good], []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil || e.Key == "" {
			l.log.Warn("ledger: skipping an unreadable line", "path", path, "line", n+1)
			continue
		}
		l.apply(e)
	}
	f.Close()
	// O_APPEND: every write lands at the end, whatever else happened.
	if l.f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		return fmt.Errorf("open ledger for append: %w", err)
	}
	return lake.Sync(l.dir)
}

// apply folds an entry in: an ack is final, a rejection stands until a
// later outcome.
func (l *Ledger) apply(e Entry) {
	k := e.Target + "\x00" + e.Key
	if prev, ok := l.latest[k]; ok && prev.Outcome == OutcomeAcked {
		return
	}
	l.latest[k] = e
}

// Lookup returns the standing outcome of key at target.
func (l *Ledger) Lookup(target, key string) (Entry, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.latest[target+"\x00"+key]
	return e, ok
}

// Record appends an outcome durably: when it returns nil the line is on
// disk. Concurrent calls share fsyncs (group commit): a caller whose line
// was covered by another's fsync does not sync again.
func (l *Ledger) Record(e Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	l.mu.Lock()
	if l.f == nil {
		l.mu.Unlock()
		return errors.New("ledger closed")
	}
	if _, err := l.f.Write(b); err != nil {
		l.mu.Unlock()
		return fmt.Errorf("append to ledger: %w", err)
	}
	l.written++
	mine, f := l.written, l.f
	l.mu.Unlock()

	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	if l.synced < mine {
		l.mu.Lock()
		upTo := l.written
		l.mu.Unlock()
		if err := f.Sync(); err != nil {
			return fmt.Errorf("sync ledger: %w", err)
		}
		l.synced = upTo
	}
	l.mu.Lock()
	l.apply(e)
	l.mu.Unlock()
	return nil
}

// Entries returns the standing outcome of every key, for inspection.
func (l *Ledger) Entries() []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Entry, 0, len(l.latest))
	for _, e := range l.latest {
		out = append(out, e)
	}
	return out
}

// Close closes the ledger and releases the lock. Safe to call twice.
func (l *Ledger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var err error
	if l.f != nil {
		err = l.f.Close()
		l.f = nil
	}
	if l.lock != nil {
		err = errors.Join(err, l.lock.Close())
		l.lock = nil
	}
	return err
}

// ReadLedger reads every line of a lake's ledger without locking it.
func ReadLedger(lakeDir string) ([]Entry, error) {
	b, err := os.ReadFile(filepath.Join(lakeDir, LedgerDir, ledgerFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		var e Entry
		if len(line) == 0 || json.Unmarshal(line, &e) != nil {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}
