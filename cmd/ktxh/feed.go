package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/pipelines/ktxhfeed"
	"github.com/tayninh/ktxh/warehouse"
)

// feedFlags configure the feed, for `ktxh feed` and (prefixed feed-) for
// `ktxh serve`.
type feedFlags struct {
	target, kinds, since, token, schedule string
	grace, timeout, backoff, backoffMax   time.Duration
	maxAttempts, concurrency              int
	retryRejected, runOnStart             bool
}

// register adds the flags to fl, each name prefixed (e.g. "feed-").
func (f *feedFlags) register(fl *pflag.FlagSet, prefix string) {
	fl.StringVar(&f.target, prefix+"target", "", "URL of the KT-XH system's receiving endpoint, http or https")
	fl.StringVar(&f.kinds, prefix+"period-kind", "month,report", "period kinds to feed: month, report or both")
	fl.StringVar(&f.since, prefix+"since", "", "first period YYYY-MM to feed (default: the first month of data)")
	fl.DurationVar(&f.grace, prefix+"grace", ktxhfeed.DefaultGrace, "a period closes this long after its end")
	fl.DurationVar(&f.timeout, prefix+"timeout", 30*time.Second, "timeout of one HTTP attempt")
	fl.IntVar(&f.maxAttempts, prefix+"max-attempts", 6, "attempts per document in one run")
	fl.DurationVar(&f.backoff, prefix+"backoff", time.Second, "first retry backoff (doubles up to the max, with jitter)")
	fl.DurationVar(&f.backoffMax, prefix+"backoff-max", time.Minute, "largest retry backoff")
	fl.IntVar(&f.concurrency, prefix+"concurrency", 4, "documents in flight")
	fl.StringVar(&f.token, prefix+"token", "", "bearer token sent as Authorization (prefer the KTXH_"+envName(prefix)+"TOKEN variable)")
	fl.BoolVar(&f.retryRejected, prefix+"retry-rejected", false, "send again documents the target rejected in earlier runs")
	fl.BoolVar(&f.runOnStart, prefix+"run-on-start", true, "with a schedule, also feed at start")
}

func envName(prefix string) string {
	out := []byte(prefix)
	for i, c := range out {
		switch {
		case c == '-':
			out[i] = '_'
		case c >= 'a' && c <= 'z':
			out[i] = c - 'a' + 'A'
		}
	}
	return string(out)
}

// feeder builds the Feeder the flags describe.
func (f *feedFlags) feeder(w *warehouse.Warehouse, lakeDir string, log *slog.Logger) (*ktxhfeed.Feeder, error) {
	ks, err := ktxhfeed.ParseKinds(f.kinds)
	if err != nil {
		return nil, fmt.Errorf("period kind: %w", err)
	}
	opts := []ktxhfeed.Opt{ktxhfeed.WithKinds(ks...), ktxhfeed.WithGrace(f.grace), ktxhfeed.WithRequestTimeout(f.timeout),
		ktxhfeed.WithRetry(f.maxAttempts, f.backoff, f.backoffMax), ktxhfeed.WithConcurrency(f.concurrency),
		ktxhfeed.WithToken(f.token), ktxhfeed.WithRetryRejected(f.retryRejected), ktxhfeed.WithLogger(log)}
	if f.since != "" {
		p, err := ktxhfeed.ParsePeriod(ktxhfeed.KindMonth, f.since)
		if err != nil {
			return nil, fmt.Errorf("since: %w", err)
		}
		opts = append(opts, ktxhfeed.WithSince(p.Year, p.Month))
	}
	return ktxhfeed.NewFeeder(w, lakeDir, f.target, opts...)
}

// addServeFeedFlags adds --feed-target, --feed-schedule and the other
// feed flags (prefixed feed-) to `ktxh serve`.
func addServeFeedFlags(cmd *cobra.Command) *feedFlags {
	f := &feedFlags{}
	f.register(cmd.Flags(), "feed-")
	cmd.Flags().StringVar(&f.schedule, "feed-schedule", ktxhfeed.DefaultSchedule, "cron expression of the feed (Asia/Ho_Chi_Minh); the feed runs only with --feed-target")
	return f
}

// startScheduled runs the feed on its schedule in the background until
// ctx ends or stop is called; stop also waits until the run in progress
// has stopped. Without a target it does nothing. For `ktxh serve`:
//
//	stop, err := feed.startScheduled(ctx, w, lakeDir, log)
//	if err != nil {
//		return err
//	}
//	defer stop() // after defer w.Close(), so it runs first
func (f *feedFlags) startScheduled(ctx context.Context, w *warehouse.Warehouse, lakeDir string, log *slog.Logger) (stop func(), err error) {
	if f == nil || f.target == "" {
		return func() {}, nil
	}
	fd, err := f.feeder(w, lakeDir, log)
	if err != nil {
		return nil, fmt.Errorf("feed: %w", err)
	}
	s, err := ktxhfeed.NewScheduler(fd, f.schedule, f.runOnStart)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
	log.Info("feed scheduled", "schedule", f.schedule, "target", ktxhfeed.Redact(f.target))
	return func() { cancel(); <-done }, nil
}

func feedCmd() *cobra.Command {
	var lakeDir string
	f := &feedFlags{}
	cmd := &cobra.Command{
		Use:   "feed",
		Short: "Push closed periods' indicators to the KT-XH system, once each",
		Long: `Push every closed period's KT-XH indicators to --target: one JSON document per
(period, agency) and one for the province (schema pipelines/ktxhfeed/schema/ktxh.schema.json,
#/$defs/item), POSTed with an Idempotency-Key header that is the same on every
retry and every run.

A period is closed once its end plus --grace has passed (local time): with the
default 48h a calendar month closes on the 3rd, a Decree 09 period on the 17th.
A 2xx or 409 answer acknowledges a document; 408, 429, 5xx, timeouts and
connection errors are retried with exponential backoff and jitter; any other
4xx is a rejection, recorded and not retried (unless --retry-rejected or the
figures change). Outcomes are appended to <lake>/_feed/ledger.jsonl; a rerun
sends exactly what was not acknowledged. The command exits non-zero if a
document is left unacknowledged or was rejected.

With --schedule the command stays running and feeds at each tick of the cron
expression (as 'ktxh serve --feed-target URL' does).`,
		Example: "  ktxh feed --lake ./ktxh-data/lake --target https://ktxh.example.gov.vn/api/chi-tieu",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lakeDir == "" || f.target == "" {
				return fmt.Errorf("--lake and --target are required")
			}
			log := logger()
			w, err := warehouse.Open(lakeDir, pipelines.Datasets(), warehouse.Options{Logger: log})
			if err != nil {
				return err
			}
			defer w.Close()
			fd, err := f.feeder(w, lakeDir, log)
			if err != nil {
				return err
			}
			if f.schedule != "" {
				s, err := ktxhfeed.NewScheduler(fd, f.schedule, f.runOnStart)
				if err != nil {
					return err
				}
				log.Info("feed scheduled", "schedule", f.schedule, "target", ktxhfeed.Redact(f.target))
				return s.Run(cmd.Context())
			}
			_, err = fd.Run(cmd.Context())
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&lakeDir, "lake", "", "lake directory (required); the ledger is kept in <lake>/_feed/")
	f.register(fl, "")
	fl.StringVar(&f.schedule, "schedule", "", "cron expression (e.g. '"+ktxhfeed.DefaultSchedule+"', Asia/Ho_Chi_Minh): keep running and feed at each tick")
	return cmd
}
