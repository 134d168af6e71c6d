package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// fetcher reads one partition over a kafka-go Conn, in the worker's own
// goroutine. kafka-go's Reader runs a fetch goroutine that hands each
// message over a channel; on a two-core machine that hand-over cost a third
// of the client's time per record, and a worker needs no read-ahead when
// several partitions share the cores. The fetcher keeps what the Reader
// gave: reconnection with backoff, leader changes, several seed brokers.
type fetcher struct {
	brokers   []string
	topic     string
	partition int
	cfg       kafka.ReadBatchConfig
	log       *slog.Logger

	mu      sync.Mutex // guards conn and stopped against stop
	conn    *kafka.Conn
	stopped bool

	attempt int // consecutive failed fetches, for backoff
}

// readTimeout bounds the wait for a fetch answer beyond MaxWait, and for
// each chunk of a batch being read: a dead broker must not hang a worker.
const readTimeout = 30 * time.Second

// errStopped is returned once stop was called.
var errStopped = errors.New("fetcher stopped")

// gapError reports records that the broker no longer holds: the partition
// starts after the offset the lake resumes from (retention deleted records
// before they were consumed). They cannot be recovered; the worker logs,
// counts and skips them.
type gapError struct{ from, first int64 }

func (e *gapError) Error() string {
	return fmt.Sprintf("offsets [%d,%d) were deleted from the broker before they were consumed", e.from, e.first)
}

// stop closes the connection, ending a fetch in progress; every later fetch
// fails with errStopped. Safe to call from any goroutine, more than once.
func (f *fetcher) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = true
	if f.conn != nil {
		f.conn.Close()
		f.conn = nil
	}
}

// fetch returns the next batch of records from offset on, empty when none
// arrived within MaxWait. The caller reads it and passes it to done. Errors
// the fetcher can outlive (a broker restarting, a leader moving) are
// retried with backoff; fetch returns only errStopped, ctx's error or a
// *gapError.
func (f *fetcher) fetch(ctx context.Context, offset int64) (*kafka.Batch, error) {
	for {
		if f.attempt > 0 {
			d := min(50*time.Millisecond<<min(f.attempt-1, 5), time.Second)
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(d):
			}
		}
		conn, err := f.connect(ctx)
		if err != nil {
			if f.isStopped() {
				return nil, errStopped
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			f.failed("connect", offset, err)
			continue
		}
		conn.SetReadDeadline(time.Now().Add(f.cfg.MaxWait + readTimeout))
		if _, err = conn.Seek(offset, kafka.SeekAbsolute|kafka.SeekDontCheck); err == nil {
			b := conn.ReadBatchWith(f.cfg)
			if err = b.Err(); err == nil {
				f.attempt = 0
				return b, nil
			}
			b.Close()
		}
		if f.isStopped() {
			return nil, errStopped
		}
		// A failed fetch can leave the connection mid-answer: start afresh.
		f.drop(conn)
		if errors.Is(err, kafka.OffsetOutOfRange) {
			first, end, oerr := partitionOffsets(ctx, f.brokers, f.topic, f.partition)
			if oerr == nil && offset < first {
				return nil, &gapError{from: offset, first: first}
			}
			if oerr == nil && offset > end {
				err = fmt.Errorf("the lake resumes at %d but the partition ends at %d (was the broker's data lost?): %w", offset, end, err)
			}
		}
		f.failed("fetch", offset, err)
	}
}

// done closes a batch read to its end (or abandoned). A broken batch drops
// its connection so that the next fetch reconnects from the offset after the
// last record read.
func (f *fetcher) done(b *kafka.Batch) {
	err := b.Close()
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, kafka.RequestTimedOut) {
		// kafka-go reports a fetch that found nothing within MaxWait
		// as RequestTimedOut; the connection stays good.
		return
	}
	if f.isStopped() {
		return
	}
	f.failed("read batch", b.Offset(), err)
	f.mu.Lock()
	if f.conn != nil {
		f.conn.Close()
		f.conn = nil
	}
	f.mu.Unlock()
}

// extend pushes the read deadline on while a large batch is being read.
func (f *fetcher) extend() {
	f.mu.Lock()
	if f.conn != nil {
		f.conn.SetReadDeadline(time.Now().Add(readTimeout))
	}
	f.mu.Unlock()
}

func (f *fetcher) isStopped() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stopped
}

func (f *fetcher) failed(what string, offset int64, err error) {
	f.attempt++
	lvl := slog.LevelWarn
	if f.attempt > 1 {
		lvl = slog.LevelDebug // the first failure says it; retries say nothing new
	}
	f.log.Log(context.Background(), lvl, "kafka "+what+" failed; retrying", "offset", offset, "attempt", f.attempt, "err", err)
}

func (f *fetcher) drop(conn *kafka.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn == conn {
		f.conn = nil
	}
	conn.Close()
}

// connect returns the connection to the partition's leader, dialling it
// through each seed broker in turn when there is none.
func (f *fetcher) connect(ctx context.Context) (*kafka.Conn, error) {
	f.mu.Lock()
	if f.stopped {
		f.mu.Unlock()
		return nil, errStopped
	}
	if c := f.conn; c != nil {
		f.mu.Unlock()
		return c, nil
	}
	f.mu.Unlock()
	var errs []error
	for _, b := range f.brokers {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		c, err := kafka.DialLeader(dctx, "tcp", b, f.topic, f.partition)
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", b, err))
			continue
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.stopped {
			c.Close()
			return nil, errStopped
		}
		f.conn = c
		return c, nil
	}
	return nil, fmt.Errorf("dial leader of %s/%d: %w", f.topic, f.partition, errors.Join(errs...))
}
