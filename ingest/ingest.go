package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/tayninh/ktxh/transform"
	"github.com/tayninh/ktxh/warehouse/lake"
)

// Source is one topic and how to decode it.
type Source struct {
	Topic string
	// MaxBytes is the largest value accepted; larger ones are quarantined.
	MaxBytes int
	// NewDecoder returns a decoder for one partition worker.
	NewDecoder func() transform.Decoder
}

// Options configure Run. Zero values mean the defaults of DefaultOptions.
type Options struct {
	Brokers []string
	// Group is the consumer group (default "ktxh-ingest").
	Group   string
	Sources []Source
	Lake    *lake.Lake
	// FlushRecords, FlushBytes and FlushInterval bound a batch: it is
	// committed when any is reached (defaults 500,000 records, 128 MiB of
	// values, 10 s after its first record). FlushFiles (default 4) also
	// commits a batch of at least FlushRecords/10 records once it has that
	// many Parquet files open: each open file holds a row group's
	// buffers, so a backfill in time order keeps memory low, while records
	// scattered over many months still make batches of a useful size
	// rather than a commit every few records.
	FlushRecords  int64
	FlushBytes    int64
	FlushFiles    int
	FlushInterval time.Duration
	// MaxWait bounds how long a fetch waits for data (default 500 ms;
	// kafka-go's own default is 10 s).
	MaxWait time.Duration
	// ExitWhenCaughtUp makes Run return once every partition of every source
	// is in the lake up to the end offset it had when Run started.
	ExitWhenCaughtUp bool
	// SessionTimeout of the group membership (default 10 s).
	SessionTimeout time.Duration
	Logger         *slog.Logger
	// Registerer receives the ingest metrics; nil registers nothing.
	Registerer prometheus.Registerer
}

// DefaultOptions returns the defaults.
func DefaultOptions() Options {
	return Options{
		Group:          "ktxh-ingest",
		FlushRecords:   500_000,
		FlushBytes:     128 << 20,
		FlushFiles:     4,
		FlushInterval:  10 * time.Second,
		MaxWait:        500 * time.Millisecond,
		SessionTimeout: 10 * time.Second,
	}
}

func (o *Options) validate() error {
	d := DefaultOptions()
	if len(o.Brokers) == 0 {
		return errors.New("no brokers")
	}
	if len(o.Sources) == 0 {
		return errors.New("no sources")
	}
	if o.Lake == nil {
		return errors.New("no lake")
	}
	if o.Group == "" {
		o.Group = d.Group
	}
	if o.FlushRecords <= 0 {
		o.FlushRecords = d.FlushRecords
	}
	if o.FlushBytes <= 0 {
		o.FlushBytes = d.FlushBytes
	}
	if o.FlushFiles <= 0 {
		o.FlushFiles = d.FlushFiles
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = d.FlushInterval
	}
	if o.MaxWait <= 0 {
		o.MaxWait = d.MaxWait
	}
	if o.SessionTimeout <= 0 {
		o.SessionTimeout = d.SessionTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Run consumes until ctx is done (returning nil) or, with ExitWhenCaughtUp,
// until the lake has caught up. Every batch consumed is committed to the
// lake before Run returns.
func Run(ctx context.Context, opts Options) error {
	if err := opts.validate(); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	m := newMetrics(opts.Registerer)
	topics := make([]string, 0, len(opts.Sources))
	sources := map[string]Source{}
	for _, s := range opts.Sources {
		topics = append(topics, s.Topic)
		sources[s.Topic] = s
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var watchErr error
	var watchDone chan struct{}
	var committed chan struct{}
	if opts.ExitWhenCaughtUp {
		committed = make(chan struct{}, 1)
		targets, err := endOffsets(ctx, opts.Brokers, topics)
		if err != nil {
			return fmt.Errorf("ingest: read end offsets: %w", err)
		}
		opts.Logger.Info("catching up", "partitions", len(targets))
		watchDone = make(chan struct{})
		go func() {
			defer close(watchDone)
			watchErr = waitCaughtUp(ctx, opts.Lake, targets, committed)
			cancel()
		}()
	}

	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:                     opts.Group,
		Brokers:                opts.Brokers,
		Topics:                 topics,
		StartOffset:            kafka.FirstOffset,
		SessionTimeout:         opts.SessionTimeout,
		HeartbeatInterval:      opts.SessionTimeout / 5,
		RebalanceTimeout:       30 * time.Second,
		JoinGroupBackoff:       time.Second,
		WatchPartitionChanges:  true,
		PartitionWatchInterval: 10 * time.Second,
		ErrorLogger:            kafka.LoggerFunc(func(f string, a ...any) { opts.Logger.Debug("kafka-go: " + fmt.Sprintf(f, a...)) }),
	})
	if err != nil {
		return fmt.Errorf("ingest: join group %s: %w", opts.Group, err)
	}
	// Close waits for the current generation, whose workers commit what
	// they hold before they return.
	defer cg.Close()

	for {
		gen, err := cg.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				cg.Close()
				if watchDone != nil {
					<-watchDone
					return watchErr
				}
				return nil
			}
			opts.Logger.Warn("consumer group", "group", opts.Group, "err", err)
			continue
		}
		var commitMu sync.Mutex
		n := 0
		for topic, parts := range gen.Assignments {
			for _, p := range parts {
				w := &worker{
					opts: &opts, src: sources[topic], partition: p.ID, metrics: m, committed: committed,
					commit: func(next int64) error {
						commitMu.Lock()
						defer commitMu.Unlock()
						return gen.CommitOffsets(map[string]map[int]int64{topic: {p.ID: next}})
					},
				}
				gen.Start(func(gctx context.Context) { w.run(gctx, ctx) })
				n++
			}
		}
		opts.Logger.Info("generation", "group", opts.Group, "generation", gen.ID, "member", gen.MemberID, "partitions", n)
	}
}

// waitCaughtUp returns when the lake holds every partition up to target. It
// looks again when a worker of this process commits, and every second for
// the partitions other processes of the group commit.
func waitCaughtUp(ctx context.Context, l *lake.Lake, targets []target, committed <-chan struct{}) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		done := true
		for _, tg := range targets {
			if tg.first >= tg.end {
				continue
			}
			next, ok, err := l.Next(tg.topic, tg.partition)
			if err != nil {
				return err
			}
			if !ok || next < tg.end {
				done = false
				break
			}
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-committed:
		case <-t.C:
		}
	}
}

type target struct {
	topic      string
	partition  int
	first, end int64
}

// endOffsets lists every partition of topics with its first and end offset.
func endOffsets(ctx context.Context, brokers []string, topics []string) ([]target, error) {
	c := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second}
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, t := range md.Topics {
		if t.Error != nil {
			return nil, fmt.Errorf("topic %s: %w", t.Name, t.Error)
		}
		for _, p := range t.Partitions {
			req.Topics[t.Name] = append(req.Topics[t.Name], kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID))
		}
	}
	res, err := c.ListOffsets(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("list offsets: %w", err)
	}
	var out []target
	for topic, parts := range res.Topics {
		for _, p := range parts {
			if p.Error != nil {
				return nil, fmt.Errorf("offsets of %s/%d: %w", topic, p.Partition, p.Error)
			}
			out = append(out, target{topic: topic, partition: p.Partition, first: p.FirstOffset, end: p.LastOffset})
		}
	}
	return out, nil
}

// partitionOffsets returns the first offset a partition holds and its end
// (the offset the next record will get).
func partitionOffsets(ctx context.Context, brokers []string, topic string, partition int) (first, end int64, err error) {
	c := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second}
	res, err := c.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{
		topic: {kafka.FirstOffsetOf(partition), kafka.LastOffsetOf(partition)},
	}})
	if err != nil {
		return 0, 0, fmt.Errorf("list offsets of %s/%d: %w", topic, partition, err)
	}
	for _, p := range res.Topics[topic] {
		if p.Partition == partition {
			if p.Error != nil {
				return 0, 0, fmt.Errorf("offsets of %s/%d: %w", topic, partition, p.Error)
			}
			return p.FirstOffset, p.LastOffset, nil
		}
	}
	return 0, 0, fmt.Errorf("offsets of %s/%d: partition missing from answer", topic, partition)
}
