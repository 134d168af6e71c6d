package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tayninh/ktxh/transform"
	"github.com/tayninh/ktxh/warehouse/lake"
)

// worker consumes one partition for one generation. It owns its reader,
// decoder and batch; run returns only when the generation or the process
// ends, because kafka-go ends a generation as soon as one of its functions
// returns.
type worker struct {
	opts      *Options
	src       Source
	partition int
	metrics   *metrics
	commit    func(next int64) error
	// committed, when set, is told (without blocking) of every batch
	// committed: the caught-up watcher need not poll for it.
	committed chan<- struct{}
}

func (w *worker) run(gctx, ctx context.Context) {
	log := w.opts.Logger.With("topic", w.src.Topic, "partition", w.partition)
	backoff := 200 * time.Millisecond
	for gctx.Err() == nil && ctx.Err() == nil {
		err := w.consume(gctx, ctx)
		if err == nil {
			return
		}
		if errors.Is(err, lake.ErrConflict) {
			log.Warn("another writer committed first; resuming from the lake", "err", err)
			continue
		}
		log.Error("partition worker", "err", err, "retry_in", backoff)
		select {
		case <-gctx.Done():
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// consume reads from where the lake resumes until the generation ends,
// committing batches as they fill. It returns nil at the end of the
// generation, after committing what it holds.
func (w *worker) consume(gctx, ctx context.Context) error {
	topic, l := w.src.Topic, w.opts.Lake
	log := w.opts.Logger.With("topic", topic, "partition", w.partition)
	from, ok, err := l.Next(topic, w.partition)
	if err != nil {
		return err
	}
	if !ok {
		if from, _, err = partitionOffsets(ctx, w.opts.Brokers, topic, w.partition); err != nil {
			return err
		}
	}
	f := &fetcher{
		brokers:   w.opts.Brokers,
		topic:     topic,
		partition: w.partition,
		// A fetch asks for a little more than the largest value, as Kafka's
		// own consumer asks for 1 MiB per partition: small answers stay in
		// cache on both sides, and the embedded broker spent half as much
		// per record as with 16 MiB ones.
		cfg: kafka.ReadBatchConfig{MinBytes: 1, MaxBytes: w.src.MaxBytes + (1 << 20), MaxWait: w.opts.MaxWait},
		log: log,
	}
	defer f.stop()
	// The generation or the process ending interrupts a fetch in progress.
	wctx, cancel := context.WithCancel(gctx)
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()
	defer context.AfterFunc(wctx, f.stop)()

	dec := w.src.NewDecoder()
	batch := l.NewBatch(topic, w.partition, from)
	defer func() { batch.Abort() }()
	var bytes int64
	var started time.Time // of the batch's first record

	// A full batch commits in the background while the next one fills:
	// a commit spends most of its time waiting for fsyncs, and a worker
	// waiting with it left a core idle. Commits stay one at a time and in
	// offset order; a failed one ends this consume, and the worker resumes
	// from what the lake holds.
	var committing chan error
	wait := func() error {
		if committing == nil {
			return nil
		}
		err := <-committing
		committing = nil
		return err
	}
	defer wait()
	flush := func() error {
		if batch.Records() == 0 {
			return nil
		}
		if err := wait(); err != nil {
			return err
		}
		full, result := batch, make(chan error, 1)
		go func() { result <- w.commitBatch(full, log) }()
		committing = result
		batch = l.NewBatch(topic, w.partition, full.Next())
		bytes = 0
		return nil
	}
	// done ends consume at the end of the generation: what it holds is
	// committed before the partition may move to another member.
	done := func() error {
		if err := flush(); err != nil {
			return err
		}
		return wait()
	}

	var rec transform.Record
	rec.Topic = topic
	next := from
	for {
		b, err := f.fetch(wctx, next)
		if err != nil {
			if gap := (*gapError)(nil); errors.As(err, &gap) {
				log.Error("records lost: skipping offsets the broker no longer holds", "from", gap.from, "to", gap.first, "err", gap)
				w.metrics.lost.WithLabelValues(topic).Add(float64(gap.first - gap.from))
				next = gap.first
				continue
			}
			if wctx.Err() != nil || errors.Is(err, errStopped) {
				return done()
			}
			return fmt.Errorf("fetch %s/%d: %w", topic, w.partition, err)
		}
		hwm := b.HighWaterMark()
		for n := 1; ; n++ {
			msg, err := b.ReadMessage()
			if err != nil {
				break
			}
			if msg.Offset < next {
				continue // a compressed batch starts before the offset asked for
			}
			if n%4096 == 0 {
				f.extend()
			}
			if batch.Records() == 0 {
				started = time.Now()
			}
			next = msg.Offset + 1
			rec.Partition = int32(msg.Partition)
			rec.Offset = msg.Offset
			rec.Timestamp = msg.Time
			rec.Key = msg.Key
			rec.Value = msg.Value
			if rec.Value == nil {
				// kafka-go surfaces a null (tombstone) and an empty value
				// alike; ask the broker which this one is.
				if rec.Value, err = w.nullOrEmpty(wctx, msg.Offset); err != nil {
					f.done(b)
					if wctx.Err() != nil {
						return done()
					}
					return err
				}
			}
			batch.Record(&rec)
			bytes += int64(len(msg.Value))
			if rec.Value != nil && transform.Precheck(&rec, w.src.MaxBytes, batch) {
				dec.Decode(&rec, batch)
			}
			if err := batch.Err(); err != nil {
				f.done(b)
				return fmt.Errorf("write batch %s/%d: %w", topic, w.partition, err)
			}
			caughtUp := w.opts.ExitWhenCaughtUp && next >= hwm
			n := batch.Records()
			full := n >= w.opts.FlushRecords || bytes >= w.opts.FlushBytes ||
				n >= w.opts.FlushRecords/10 && batch.Files() >= w.opts.FlushFiles
			if caughtUp || full {
				if err := flush(); err != nil {
					f.done(b)
					return err
				}
			}
		}
		f.done(b)
		if batch.Records() > 0 && time.Since(started) >= w.opts.FlushInterval {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

// commitBatch commits a full batch and reports it: metrics, the Kafka
// offset, the caught-up watcher.
func (w *worker) commitBatch(batch *lake.Batch, log *slog.Logger) error {
	start := time.Now()
	m, err := batch.Commit()
	if err != nil {
		return fmt.Errorf("commit batch %s/%d [%d,%d): %w", w.src.Topic, w.partition, batch.From(), batch.Next(), err)
	}
	w.metrics.flushed(m, time.Since(start))
	log.Debug("batch committed", "from", m.From, "next", m.Next, "records", m.Records,
		"rejected", m.Rejected, "files", len(m.Files), "seconds", time.Since(start).Seconds())
	if err := w.commit(m.Next); err != nil {
		// Harmless: the lake, not Kafka, says where to resume.
		log.Debug("kafka offset commit", "err", err)
	}
	if w.committed != nil {
		select {
		case w.committed <- struct{}{}:
		default:
		}
	}
	return nil
}

// nullOrEmpty fetches the record at offset again through kafka-go's
// protocol-level client, which tells a null value (returned as nil) from a
// zero-length one (returned as []byte{}). Both are rare, so the extra
// round trip costs nothing in practice.
func (w *worker) nullOrEmpty(ctx context.Context, offset int64) ([]byte, error) {
	c := &kafka.Client{Addr: kafka.TCP(w.opts.Brokers...), Timeout: 10 * time.Second}
	res, err := c.Fetch(ctx, &kafka.FetchRequest{Topic: w.src.Topic, Partition: w.partition, Offset: offset, MinBytes: 1, MaxBytes: 1 << 20, MaxWait: time.Second})
	if err == nil {
		err = res.Error
	}
	if err != nil {
		return nil, fmt.Errorf("refetch %s/%d@%d: %w", w.src.Topic, w.partition, offset, err)
	}
	for {
		r, err := res.Records.ReadRecord()
		if err != nil {
			return nil, fmt.Errorf("refetch %s/%d@%d: record not found: %w", w.src.Topic, w.partition, offset, err)
		}
		if r.Offset == offset {
			if r.Value == nil {
				return nil, nil
			}
			return []byte{}, nil
		}
	}
}
