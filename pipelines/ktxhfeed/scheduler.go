package ktxhfeed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"
)

// DefaultSchedule runs the feed every day at 06:30 local time: a period is
// sent on the first morning after it closes.
const DefaultSchedule = "30 6 * * *"

// Scheduler runs a Feeder at each tick of a cron schedule, one run at a
// time. A tick that comes while a run is still going is skipped.
type Scheduler struct {
	f          *Feeder
	sched      cron.Schedule
	runOnStart bool
	log        *slog.Logger
	now        func() time.Time
}

// NewScheduler parses spec, a standard 5-field cron expression or a
// descriptor (@daily, @every 1h), read in Asia/Ho_Chi_Minh unless it
// starts with CRON_TZ=. With runOnStart a run is made at once too, to
// catch up after downtime.
func NewScheduler(f *Feeder, spec string, runOnStart bool) (*Scheduler, error) {
	if spec == "" {
		spec = DefaultSchedule
	}
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("feed schedule %q: %w", spec, err)
	}
	return &Scheduler{f: f, sched: s, runOnStart: runOnStart, log: f.cfg.logger, now: time.Now}, nil
}

// Next is the first tick after t.
func (s *Scheduler) Next(t time.Time) time.Time { return s.sched.Next(t.In(Local)) }

// Run runs the feeder at each tick until ctx ends, then returns nil. A
// failed run is logged; the next tick tries again.
func (s *Scheduler) Run(ctx context.Context) error {
	if s.runOnStart {
		s.runOnce(ctx)
	}
	for ctx.Err() == nil {
		next := s.Next(s.now())
		s.log.Info("feed: next run", "at", next)
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		s.runOnce(ctx)
	}
	return nil
}

func (s *Scheduler) runOnce(ctx context.Context) {
	sum, err := s.f.Run(ctx)
	switch {
	case ctx.Err() != nil:
	case errors.Is(err, ErrBusy):
		s.log.Warn("feed: skipped, another feed is running on this lake")
	case err != nil:
		s.log.Error("feed run failed", "err", err, "acked", sum.Acked, "failed", sum.Failed, "rejected", sum.Rejected)
	}
}
