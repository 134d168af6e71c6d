package ingest

import (
	"context"
	"errors"
	"fmt"
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
	from, ok, err := l.Next(topic, w.partition)
	if err != nil {
		return err
	}
	if !ok {
		if from, err = firstOffset(ctx, w.opts.Brokers, topic, w.partition); err != nil {
			return err
		}
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:        w.opts.Brokers,
		Topic:          topic,
		Partition:      w.partition,
		MinBytes:       1,
		MaxBytes:       max(w.src.MaxBytes+(1<<20), 16<<20),
		MaxWait:        w.opts.MaxWait,
		QueueCapacity:  1024,
		ReadBackoffMin: 50 * time.Millisecond,
		ReadBackoffMax: time.Second,
	})
	defer r.Close()
	if err := r.SetOffset(from); err != nil {
		return fmt.Errorf("seek %s/%d to %d: %w", topic, w.partition, from, err)
	}
	dec := w.src.NewDecoder()
	batch := l.NewBatch(topic, w.partition, from)
	defer func() { batch.Abort() }()
	var bytes int64

	flush := func() error {
		if batch.Records() == 0 {
			return nil
		}
		start := time.Now()
		m, err := batch.Commit()
		if err != nil {
			return fmt.Errorf("commit batch %s/%d [%d,%d): %w", topic, w.partition, batch.From(), batch.Next(), err)
		}
		w.metrics.flushed(m, time.Since(start))
		w.opts.Logger.Debug("batch committed", "topic", topic, "partition", w.partition, "from", m.From, "next", m.Next,
			"records", m.Records, "rejected", m.Rejected, "files", len(m.Files), "seconds", time.Since(start).Seconds())
		if err := w.commit(m.Next); err != nil {
			// Harmless: the lake, not Kafka, says where to resume.
			w.opts.Logger.Debug("kafka offset commit", "topic", topic, "partition", w.partition, "err", err)
		}
		batch = l.NewBatch(topic, w.partition, m.Next)
		bytes = 0
		return nil
	}

	age := ageLimit{parent: gctx, ctx: gctx}
	defer age.stop()
	var rec transform.Record
	rec.Topic = topic
	for {
		msg, err := r.FetchMessage(age.ctx)
		if err != nil {
			if gctx.Err() != nil || ctx.Err() != nil {
				return flush()
			}
			if errors.Is(err, context.DeadlineExceeded) && age.ctx.Err() != nil {
				age.stop()
				if err := flush(); err != nil {
					return err
				}
				continue
			}
			return fmt.Errorf("fetch %s/%d: %w", topic, w.partition, err)
		}
		if batch.Records() == 0 {
			age.start(w.opts.FlushInterval)
		}
		rec.Partition = int32(msg.Partition)
		rec.Offset = msg.Offset
		rec.Timestamp = msg.Time
		rec.Key = msg.Key
		rec.Value = msg.Value
		if rec.Value == nil {
			// kafka-go's Reader surfaces a null (tombstone) and an empty
			// value alike; ask the broker which this one is.
			if rec.Value, err = w.nullOrEmpty(ctx, msg.Offset); err != nil {
				return err
			}
		}
		batch.Record(&rec)
		bytes += int64(len(msg.Value))
		if rec.Value != nil && transform.Precheck(&rec, w.src.MaxBytes, batch) {
			dec.Decode(&rec, batch)
		}
		if err := batch.Err(); err != nil {
			return fmt.Errorf("write batch %s/%d: %w", topic, w.partition, err)
		}
		caughtUp := w.opts.ExitWhenCaughtUp && msg.Offset+1 >= msg.HighWaterMark
		if caughtUp || batch.Records() >= w.opts.FlushRecords || bytes >= w.opts.FlushBytes {
			age.stop()
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

// ageLimit is the context bounding a batch's age: made once per batch, not
// per fetch, because a context per record costs more than decoding it.
type ageLimit struct {
	parent context.Context
	ctx    context.Context
	cancel context.CancelFunc
}

func (a *ageLimit) start(d time.Duration) {
	a.ctx, a.cancel = context.WithTimeout(a.parent, d)
}

func (a *ageLimit) stop() {
	if a.cancel != nil {
		a.cancel()
		a.cancel = nil
	}
	a.ctx = a.parent
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
