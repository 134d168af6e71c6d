package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/tayninh/ktxh/ingest"
	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/transform"
	"github.com/tayninh/ktxh/warehouse/lake"
)

type ingestFlags struct {
	brokers, lake, group, piiKeyFile string
	memoryLimit                      string
	exit, hugePages                  bool
	compactEvery                     time.Duration
	topics                           pipelines.Topics
	opts                             ingest.Options
}

func ingestCmd() *cobra.Command {
	f := &ingestFlags{opts: ingestDefaults(), topics: pipelines.DefaultTopics()}
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Consume the source topics into the lake, exactly once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runIngest(cmd.Context(), f, nil)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.brokers, "brokers", "127.0.0.1:9092", "bootstrap brokers host:port[,...]")
	fl.StringVar(&f.lake, "lake", "", "lake directory (required)")
	fl.StringVar(&f.group, "group", "ktxh-ingest", "consumer group")
	fl.BoolVar(&f.exit, "exit-when-caught-up", false, "exit once every partition is in the lake up to its end offset at start")
	fl.StringVar(&f.piiKeyFile, "pii-key-file", transform.DefaultPIIKeyFile(), "personal-data hash key file, created on first run (ignored when KTXH_PII_KEY is set)")
	fl.StringVar(&f.memoryLimit, "memory-limit", "400MiB", "soft memory limit of the Go heap (GOMEMLIMIT wins when set); 0 for none")
	fl.BoolVar(&f.hugePages, "huge-pages", true, "ask for transparent huge pages for the heap (Linux): far fewer page faults")
	fl.Int64Var(&f.opts.FlushRecords, "flush-records", f.opts.FlushRecords, "commit a batch after this many records")
	fl.IntVar(&f.opts.FlushFiles, "flush-files", f.opts.FlushFiles, "commit a batch of at least flush-records/10 records once it has this many Parquet files open (each holds a row group in memory)")
	fl.DurationVar(&f.opts.SessionTimeout, "session-timeout", f.opts.SessionTimeout, "consumer group session timeout: how soon a dead member's partitions move")
	fl.DurationVar(&f.opts.FlushInterval, "flush-interval", f.opts.FlushInterval, "commit a batch this long after its first record")
	fl.DurationVar(&f.compactEvery, "compact-every", 0, "also compact the lake this often, as ktxh compact does with its defaults (0: never; run ktxh compact instead)")
	topicFlags(cmd, &f.topics)
	return cmd
}

func topicFlags(cmd *cobra.Command, t *pipelines.Topics) {
	fl := cmd.Flags()
	fl.StringVar(&t.Dossiers, "topic-dossiers", t.Dossiers, "one-stop dossier topic")
	fl.StringVar(&t.Progress, "topic-progress", t.Progress, "one-stop progress topic")
	fl.StringVar(&t.Documents, "topic-documents", t.Documents, "eGov document topic")
	fl.StringVar(&t.Staffing, "topic-staffing", t.Staffing, "staffing topic")
}

func runIngest(ctx context.Context, f *ingestFlags, reg prometheus.Registerer) error {
	if f.lake == "" {
		return fmt.Errorf("--lake is required")
	}
	log := logger()
	if err := setMemoryLimit(f.memoryLimit); err != nil {
		return err
	}
	if f.hugePages {
		adviseHugeHeap()
	}
	key, err := transform.LoadPIIKey(f.piiKeyFile)
	if err != nil {
		return err
	}
	l, err := lake.Open(f.lake, pipelines.Datasets(), lake.Options{Logger: log})
	if err != nil {
		return err
	}
	defer l.Close()
	o := f.opts
	o.Brokers = splitList(f.brokers)
	o.Group = f.group
	o.Sources = pipelines.Sources(f.topics, key)
	o.Lake = l
	o.ExitWhenCaughtUp = f.exit
	o.Logger = log
	o.Registerer = reg
	log.Info("ingest starting", "brokers", o.Brokers, "group", o.Group, "lake", f.lake)
	if f.compactEvery > 0 {
		// Stopped, and waited for, before the lake closes.
		cctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			compactLoop(cctx, l, f.compactEvery, lake.DefaultCompactOptions(), log)
		}()
		defer func() { cancel(); <-done }()
	}
	if err := ingest.Run(ctx, o); err != nil {
		return err
	}
	log.Info("ingest stopped")
	return nil
}

func ingestDefaults() ingest.Options { return ingest.DefaultOptions() }

// compactLoop compacts the lake every interval until ctx ends. A failed
// compaction is logged and tried again at the next tick: it leaves the lake
// as readable as before.
func compactLoop(ctx context.Context, l *lake.Lake, every time.Duration, opts lake.CompactOptions, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		st, err := l.Compact(ctx, opts)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("compact lake", "err", err)
			}
			continue
		}
		log.Info("compacted lake", "busy", st.Busy, "merges", len(st.Merges), "deleted", st.Deleted, "elapsed", time.Since(start))
	}
}

// setMemoryLimit applies a soft heap limit such as "400MiB": the garbage
// collector works harder near it instead of letting a burst of open
// Parquet row groups grow the process. GOMEMLIMIT, when set, wins.
func setMemoryLimit(s string) error {
	if os.Getenv("GOMEMLIMIT") != "" || s == "" || s == "0" {
		return nil
	}
	n, err := parseSize(s)
	if err != nil {
		return fmt.Errorf("--memory-limit %q: %w", s, err)
	}
	debug.SetMemoryLimit(n)
	return nil
}

// parseSize reads a positive size such as "400MiB", "2GiB" or "512B".
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseInt(n, 10, 64)
			if err != nil || v <= 0 {
				break
			}
			return v * u.mult, nil
		}
	}
	return 0, fmt.Errorf("want a size like 400MiB or 2GiB")
}
