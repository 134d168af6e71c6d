package ktxhfeed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Feeder pushes the indicator values of every closed period to the KT-XH
// system, once each (see the package doc). Run makes one pass; a Scheduler
// makes one at each tick of a cron schedule.
type Feeder struct {
	q       Querier
	lakeDir string
	target  string // the URL posted to
	ident   string // the target as recorded in the ledger: no credentials
	cfg     cfg
}

type cfg struct {
	cat            *Catalogue
	kinds          []Kind
	since          *Period
	grace          time.Duration
	now            func() time.Time
	requestTimeout time.Duration
	maxAttempts    int
	backoffBase    time.Duration
	backoffMax     time.Duration
	concurrency    int
	maxFailures    int
	token          string
	retryRejected  bool
	client         *http.Client
	logger         *slog.Logger
}

func defaultCfg() cfg {
	return cfg{
		kinds:          []Kind{KindMonth, KindReport},
		grace:          DefaultGrace,
		now:            time.Now,
		requestTimeout: 30 * time.Second,
		maxAttempts:    6,
		backoffBase:    time.Second,
		backoffMax:     time.Minute,
		concurrency:    4,
		maxFailures:    3,
	}
}

// Opt configures a Feeder.
type Opt func(*cfg)

// WithCatalogue sets the indicator set (default: DefaultCatalogue).
func WithCatalogue(c *Catalogue) Opt { return func(o *cfg) { o.cat = c } }

// WithKinds sets the period kinds fed (default: month and report).
func WithKinds(k ...Kind) Opt { return func(o *cfg) { o.kinds = k } }

// WithSince sets the first period fed, whatever its kind (default: the
// first month of data in the first group's view of each kind).
func WithSince(year int, month time.Month) Opt {
	return func(o *cfg) { o.since = &Period{Year: year, Month: month} }
}

// WithGrace sets how long after its end a period closes (default 48h).
func WithGrace(d time.Duration) Opt { return func(o *cfg) { o.grace = d } }

// WithClock sets the clock deciding which periods are closed (default
// time.Now).
func WithClock(now func() time.Time) Opt { return func(o *cfg) { o.now = now } }

// WithRequestTimeout bounds one HTTP attempt (default 30s).
func WithRequestTimeout(d time.Duration) Opt { return func(o *cfg) { o.requestTimeout = d } }

// WithRetry sets the attempts per document and the backoff between them
// (defaults: 6 attempts, from 1s doubling up to 1m, with jitter).
func WithRetry(maxAttempts int, base, max time.Duration) Opt {
	return func(o *cfg) { o.maxAttempts, o.backoffBase, o.backoffMax = maxAttempts, base, max }
}

// WithConcurrency sets how many documents are in flight (default 4).
func WithConcurrency(n int) Opt { return func(o *cfg) { o.concurrency = n } }

// WithMaxFailures stops a run after n documents in a row exhausted their
// attempts: the target is down, the next run resumes (default 3).
func WithMaxFailures(n int) Opt { return func(o *cfg) { o.maxFailures = n } }

// WithToken sends "Authorization: Bearer <token>" (default none).
func WithToken(t string) Opt { return func(o *cfg) { o.token = t } }

// WithRetryRejected sends again the documents the target rejected for good
// in an earlier run (default: only when their values changed).
func WithRetryRejected(b bool) Opt { return func(o *cfg) { o.retryRejected = b } }

// WithHTTPClient sets the HTTP client (default: a client with the default
// transport; each attempt is bounded by the request timeout anyway).
func WithHTTPClient(c *http.Client) Opt { return func(o *cfg) { o.client = c } }

// WithLogger sets the logger (default: none).
func WithLogger(l *slog.Logger) Opt { return func(o *cfg) { o.logger = l } }

func (o *cfg) validate() error {
	if o.cat == nil {
		o.cat = DefaultCatalogue()
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.client == nil {
		o.client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if len(o.kinds) == 0 {
		return errors.New("no period kind to feed")
	}
	for _, k := range o.kinds {
		if !k.valid() {
			return fmt.Errorf("period kind %q: want month or report", k)
		}
	}
	switch {
	case o.grace < 0:
		return errors.New("grace must not be negative")
	case o.requestTimeout <= 0:
		return errors.New("request timeout must be positive")
	case o.maxAttempts < 1:
		return errors.New("max attempts must be 1 or more")
	case o.backoffBase <= 0 || o.backoffMax < o.backoffBase:
		return errors.New("backoff: want 0 < base <= max")
	case o.concurrency < 1:
		return errors.New("concurrency must be 1 or more")
	case o.maxFailures < 1:
		return errors.New("max failures must be 1 or more")
	}
	return nil
}

// NewFeeder makes a feeder reading the warehouse q over the lake at lakeDir
// (where the ledger is kept) and posting to target (http or https).
func NewFeeder(q Querier, lakeDir, target string, opts ...Opt) (*Feeder, error) {
	c := defaultCfg()
	for _, o := range opts {
		o(&c)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("target %q: want an http or https URL", Redact(target))
	}
	if lakeDir == "" {
		return nil, errors.New("no lake directory")
	}
	return &Feeder{q: q, lakeDir: lakeDir, target: target, ident: Redact(target), cfg: c}, nil
}

// Redact drops credentials and the query from a URL, for logs and the
// ledger.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// Summary tells what a run did.
type Summary struct {
	Periods  int // closed periods considered
	Units    int // (period, unit) documents considered
	Acked    int // acknowledged in this run
	Rejected int // rejected for good in this run
	Failed   int // still unacknowledged after every attempt
	Skipped  int // acknowledged or rejected earlier
	Changed  int // acknowledged earlier but whose values have changed since
}

// item is one document to send.
type item struct {
	r    *Report
	u    *Unit
	key  string
	hash string
}

// Run makes one pass: it builds the reports of every closed period, sends
// each unit's document that the ledger has no outcome for, and records the
// outcomes. It returns an error when a document stays unacknowledged or was
// rejected in this run, or when another feed holds the ledger (ErrBusy).
func (f *Feeder) Run(ctx context.Context) (Summary, error) {
	var s Summary
	log := f.cfg.logger
	ledger, err := OpenLedger(f.lakeDir, log)
	if err != nil {
		return s, err
	}
	defer ledger.Close()
	var items []item
	for _, k := range f.cfg.kinds {
		periods, err := f.closedPeriods(ctx, k)
		if err != nil {
			return s, err
		}
		if len(periods) == 0 {
			continue
		}
		reports, err := BuildRange(ctx, f.q, f.cfg.cat, k, periods)
		if err != nil {
			return s, err
		}
		s.Periods += len(reports)
		for _, r := range reports {
			for _, u := range r.Units {
				s.Units++
				it := item{r: r, u: u, key: r.Key(u), hash: ValuesHash(u)}
				if e, ok := ledger.Lookup(f.ident, it.key); ok {
					switch {
					case e.Outcome == OutcomeAcked:
						s.Skipped++
						if e.ValuesHash != it.hash {
							s.Changed++
						}
						continue
					case e.Outcome == OutcomeRejected && !f.cfg.retryRejected && e.ValuesHash == it.hash:
						s.Skipped++
						log.Warn("feed: skipping a document the target rejected earlier", "period", r.Period.String(),
							"unit", u.ID(), "status", e.Status, "detail", e.Detail)
						continue
					}
				}
				items = append(items, it)
			}
		}
	}
	if s.Changed > 0 {
		log.Warn("feed: figures changed after they were acknowledged; not sent again (a new indicator set version resends)",
			"documents", s.Changed)
	}
	log.Info("feed: sending", "target", f.ident, "periods", s.Periods, "documents", len(items), "already_done", s.Skipped)
	err = f.sendAll(ctx, ledger, items, &s)
	log.Info("feed: done", "target", f.ident, "acked", s.Acked, "rejected", s.Rejected, "failed", s.Failed, "skipped", s.Skipped)
	if err != nil {
		return s, err
	}
	switch {
	case s.Failed > 0:
		return s, fmt.Errorf("feed: %d documents not acknowledged, sent again next run", s.Failed)
	case s.Rejected > 0:
		return s, fmt.Errorf("feed: %d documents rejected by the target", s.Rejected)
	}
	return s, nil
}

// sendAll sends items with the configured concurrency, recording each
// outcome; it stops early when ctx ends or the target looks down.
func (f *Feeder) sendAll(ctx context.Context, ledger *Ledger, items []item, s *Summary) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu          sync.Mutex
		inRow       int
		firstErr    error
		circuitOpen bool
	)
	work := make(chan item)
	var wg sync.WaitGroup
	for range f.cfg.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				err := f.sendOne(ctx, ledger, it, s, &mu)
				mu.Lock()
				switch {
				case err == nil:
					inRow = 0
				case isTransient(err):
					s.Failed++
					inRow++
					f.cfg.logger.Error("feed: document not acknowledged", "period", it.r.Period.String(), "unit", it.u.ID(), "err", err)
					if inRow >= f.cfg.maxFailures && !circuitOpen {
						circuitOpen = true
						f.cfg.logger.Error("feed: target unavailable, stopping this run", "target", f.ident, "failures_in_a_row", inRow)
						cancel()
					}
				case ctx.Err() != nil:
					// stopped: not a failure of this document
				default:
					if firstErr == nil {
						firstErr = err
					}
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
loop:
	for _, it := range items {
		select {
		case work <- it:
		case <-ctx.Done():
			break loop
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if circuitOpen {
		return fmt.Errorf("feed: target %s unavailable, %d documents not acknowledged", f.ident, s.Failed)
	}
	return context.Cause(ctx) // nil unless the caller's ctx ended (ours is cancelled only by us, after Wait)
}

func (f *Feeder) sendOne(ctx context.Context, ledger *Ledger, it item, s *Summary, mu *sync.Mutex) error {
	body, err := it.r.ItemJSON(it.u)
	if err != nil {
		return err
	}
	res, err := f.send(ctx, it.key, body)
	if err != nil {
		return err
	}
	e := Entry{Key: it.key, Target: f.ident, Outcome: res.outcome, Set: it.r.Set, Version: it.r.Version,
		PeriodKind: it.r.Period.Kind, Period: it.r.Period.ID(), Scope: it.u.Scope, AgencyCode: it.u.AgencyCode,
		Status: res.status, Attempts: res.attempts, ValuesHash: it.hash, Detail: res.detail, At: f.cfg.now().UTC()}
	if err := ledger.Record(e); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	if res.outcome == OutcomeAcked {
		s.Acked++
	} else {
		s.Rejected++
		f.cfg.logger.Error("feed: document rejected by the target", "period", it.r.Period.String(), "unit", it.u.ID(),
			"status", res.status, "detail", res.detail)
	}
	return nil
}

// closedPeriods lists the closed periods of kind k from the first one fed
// to the last closed one.
func (f *Feeder) closedPeriods(ctx context.Context, k Kind) ([]Period, error) {
	now := f.cfg.now()
	last := PeriodOf(k, now)
	for !last.Closed(now, f.cfg.grace) {
		last = last.prev()
	}
	var first Period
	if f.cfg.since != nil {
		first = Period{Kind: k, Year: f.cfg.since.Year, Month: f.cfg.since.Month}
	} else {
		m, err := f.firstMonth(ctx, k)
		if err != nil || m == "" {
			return nil, err
		}
		if first, err = ParsePeriod(k, m); err != nil {
			return nil, fmt.Errorf("first month: %w", err)
		}
	}
	var out []Period
	for p := first; !last.Before(p); p = p.Next() {
		out = append(out, p)
	}
	return out, nil
}

// firstMonth is the first month of the catalogue's first group with a
// view for k ("" when the view is empty).
func (f *Feeder) firstMonth(ctx context.Context, k Kind) (string, error) {
	for _, g := range f.cfg.cat.Groups {
		view := g.Views[k]
		if view == "" {
			continue
		}
		rows, err := f.q.Query(ctx, "SELECT min(month) FROM "+view)
		if err != nil {
			return "", fmt.Errorf("first month of %s: %w", view, err)
		}
		defer rows.Close()
		var m sql.NullString
		if rows.Next() {
			if err := rows.Scan(&m); err != nil {
				return "", fmt.Errorf("first month of %s: %w", view, err)
			}
		}
		return m.String, rows.Err()
	}
	return "", nil
}

func (p Period) prev() Period {
	t := time.Date(p.Year, p.Month-1, 1, 0, 0, 0, 0, time.UTC)
	return Period{Kind: p.Kind, Year: t.Year(), Month: t.Month()}
}
