package ktxhfeed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// action is what to do with an answer from the target.
type action int

const (
	actAck    action = iota // acknowledged: record and never send again
	actReject               // refused for good: record, do not retry
	actRetry                // transient: retry after a backoff
)

// classify decides, in one place, what an HTTP answer or transport error
// means. 2xx acknowledges; 409 Conflict means the target already has the
// key, which acknowledges too; 408, 429 and 5xx are transient; any other
// 4xx (and 1xx/3xx, which the client does not follow) is permanent; a
// transport error (refused connection, reset, timeout) is transient.
func classify(status int, err error) action {
	if err != nil {
		return actRetry
	}
	switch {
	case status >= 200 && status < 300, status == http.StatusConflict:
		return actAck
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests, status >= 500:
		return actRetry
	}
	return actReject
}

// result is the outcome of sending one document.
type result struct {
	outcome  string // OutcomeAcked or OutcomeRejected
	status   int
	attempts int
	detail   string
}

// ErrRetriesExhausted is returned when a document got only transient
// failures for every attempt: it stays unacknowledged and the next run
// sends it again.
type ErrRetriesExhausted struct {
	Key      string
	Attempts int
	Last     error
}

func (e *ErrRetriesExhausted) Error() string {
	return fmt.Sprintf("key %s: no acknowledgement after %d attempts: %v", e.Key[:12], e.Attempts, e.Last)
}

func (e *ErrRetriesExhausted) Unwrap() error { return e.Last }

// errStatus is a transient HTTP answer.
type errStatus struct {
	status int
	body   string
}

func (e *errStatus) Error() string {
	if e.body == "" {
		return fmt.Sprintf("HTTP %d", e.status)
	}
	return fmt.Sprintf("HTTP %d: %s", e.status, e.body)
}

// send posts body until it is acknowledged or rejected, retrying transient
// failures with exponential backoff and jitter, at most maxAttempts times.
// It returns ctx's error when ctx ends first.
func (f *Feeder) send(ctx context.Context, key string, body []byte) (result, error) {
	var last error
	for attempt := 1; ; attempt++ {
		status, detail, retryAfter, err := f.post(ctx, key, body)
		if ctx.Err() != nil {
			return result{}, ctx.Err()
		}
		switch classify(status, err) {
		case actAck:
			return result{outcome: OutcomeAcked, status: status, attempts: attempt}, nil
		case actReject:
			return result{outcome: OutcomeRejected, status: status, attempts: attempt, detail: detail}, nil
		}
		if err == nil {
			err = &errStatus{status, detail}
		}
		last = err
		if attempt >= f.cfg.maxAttempts {
			return result{}, &ErrRetriesExhausted{Key: key, Attempts: attempt, Last: last}
		}
		wait := f.backoff(attempt, retryAfter)
		f.cfg.logger.Debug("feed: retrying", "key", key[:12], "attempt", attempt, "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return result{}, ctx.Err()
		case <-t.C:
		}
	}
}

// post makes one attempt, bounded by the request timeout.
func (f *Feeder) post(ctx context.Context, key string, body []byte) (status int, detail string, retryAfter time.Duration, err error) {
	actx, cancel := context.WithTimeout(ctx, f.cfg.requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, f.target, bytes.NewReader(body))
	if err != nil {
		return 0, "", 0, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Idempotency-Key", key)
	req.Header.Set("User-Agent", "ktxh-feed/1")
	if f.cfg.token != "" {
		req.Header.Set("Authorization", "Bearer "+f.cfg.token)
	}
	resp, err := f.cfg.client.Do(req)
	if err != nil {
		return 0, "", 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if err != nil && resp.StatusCode >= 300 {
		return 0, "", 0, err // the answer was cut: treat as transient
	}
	return resp.StatusCode, strings.TrimSpace(string(b)), parseRetryAfter(resp.Header.Get("Retry-After")), nil
}

// backoff is the wait before attempt+1: base·2^(attempt-1) capped at max,
// half of it fixed and half random (so that concurrent senders spread
// out), or the target's Retry-After when longer (still capped).
func (f *Feeder) backoff(attempt int, retryAfter time.Duration) time.Duration {
	d := f.cfg.backoffBase
	for i := 1; i < attempt && d < f.cfg.backoffMax; i++ {
		d *= 2
	}
	d = min(d, f.cfg.backoffMax)
	d = d/2 + rand.N(d/2+1)
	if retryAfter > d {
		d = min(retryAfter, f.cfg.backoffMax)
	}
	return d
}

func parseRetryAfter(s string) time.Duration {
	if s == "" {
		return 0
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(s); err == nil {
		return time.Until(t)
	}
	return 0
}

// isTransient reports whether err leaves a document to be sent again.
func isTransient(err error) bool {
	var ex *ErrRetriesExhausted
	return errors.As(err, &ex)
}
