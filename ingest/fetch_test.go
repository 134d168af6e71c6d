package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tayninh/ktxh/ingest"
	"github.com/tayninh/ktxh/ingest/broker"
	"github.com/tayninh/ktxh/internal/testkafka"
	"github.com/tayninh/ktxh/warehouse/lake"
)

// embedded starts the embedded broker: fault injection needs kfake itself,
// so these tests do not run against KTXH_TEST_BROKERS.
func embedded(t *testing.T, partitions int32) *broker.Broker {
	t.Helper()
	b, err := broker.Start(broker.Options{Listen: "127.0.0.1:0", Topics: []string{topic}, Partitions: partitions, MinSessionTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

func produceDossiers(t *testing.T, brokers []string, partitions, perPart int, prefix string) {
	t.Helper()
	var msgs []testkafka.Msg
	for i := 0; i < perPart; i++ {
		for p := 0; p < partitions; p++ {
			msgs = append(msgs, testkafka.Msg{Partition: p, Value: dossier(fmt.Sprintf("%s%d-%d", prefix, p, i), 2), Time: time.Now()})
		}
	}
	testkafka.Produce(t, brokers, topic, msgs...)
}

// Fetches failing with partition errors, and connections dropped in the
// middle of consumption, cost retries, not records: each lands once.
func TestFetchFaultsLoseNothing(t *testing.T) {
	const parts, perPart = 2, 4000
	b := embedded(t, parts)
	brokers := []string{b.Addr()}
	produceDossiers(t, brokers, parts, perPart, "F")

	c := b.Cluster()
	faults := c.Fault(
		kfake.Fault{Keys: []kmsg.Key{kmsg.Fetch}, Topic: topic, Err: kerr.NotLeaderForPartition, Count: 3},
		kfake.Fault{Keys: []kmsg.Key{kmsg.Fetch}, Topic: topic, Err: kerr.UnknownServerError, Count: 3},
	)
	defer faults.Remove()
	// The two fetches after the faulted ones have their connection closed
	// under them: a worker must be reading then, so both happen.
	fetches, drops := 0, 0
	c.ControlKey(int16(kmsg.Fetch), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		fetches++
		if fetches > 6 && drops < 2 {
			drops++
			return nil, errors.New("connection dropped by the test"), true
		}
		return nil, nil, false
	})

	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := run(t, ctx, brokers, dir, "faults", func(o *ingest.Options) { o.FlushRecords = 700 }); err != nil {
		t.Fatal(err)
	}
	if faults.Hits() < 6 {
		t.Errorf("only %d of 6 faults were hit: the test did not test anything", faults.Hits())
	}
	if drops < 2 {
		t.Errorf("%d of 2 connections dropped: the test did not test anything", drops)
	}
	landedOnce(t, dir, parts*perPart)
}

// Records deleted by the broker before ingest read them cannot be landed;
// ingest skips them, says so and counts them, and lands the rest.
func TestRetentionGapIsCountedAndSkipped(t *testing.T) {
	b := embedded(t, 1)
	brokers := []string{b.Addr()}
	produceDossiers(t, brokers, 1, 100, "A")
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := run(t, ctx, brokers, dir, "gap", nil); err != nil {
		t.Fatal(err)
	}
	produceDossiers(t, brokers, 1, 100, "B")
	deleteBefore(t, b.Addr(), 150)

	reg := prometheus.NewRegistry()
	if err := run(t, ctx, brokers, dir, "gap", func(o *ingest.Options) { o.Registerer = reg }); err != nil {
		t.Fatal(err)
	}
	var offsets []int64
	for _, s := range readLake(t, dir).snapshots {
		offsets = append(offsets, s.KafkaOffset)
	}
	want := 100 + 50
	if len(offsets) != want {
		t.Fatalf("landed %d records, want %d (0..99 and 150..199)", len(offsets), want)
	}
	for _, o := range offsets {
		if o >= 100 && o < 150 {
			t.Errorf("offset %d was deleted, yet landed", o)
		}
	}
	if got := counter(t, reg, "ktxh_ingest_lost_offsets_total"); got != 50 {
		t.Errorf("ktxh_ingest_lost_offsets_total = %v, want 50", got)
	}
	next, _, err := openNext(dir)
	if err != nil || next != 200 {
		t.Errorf("lake resumes at %d (%v), want 200", next, err)
	}
}

// deleteBefore advances the partition's log start offset, as retention does.
func deleteBefore(t *testing.T, addr string, offset int64) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrDeleteRecordsRequest()
	rt := kmsg.NewDeleteRecordsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewDeleteRecordsRequestTopicPartition()
	rp.Partition, rp.Offset = 0, offset
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 10_000
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil {
		t.Fatal(err)
	}
	if err := kerr.ErrorForCode(resp.Topics[0].Partitions[0].ErrorCode); err != nil {
		t.Fatal(err)
	}
}

// counter sums a counter family of reg over its labels.
func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			var sum float64
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
			return sum
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

func openNext(dir string) (int64, bool, error) {
	ms, err := lake.ReadManifests(dir, topic, 0)
	if err != nil || len(ms) == 0 {
		return 0, false, err
	}
	return ms[len(ms)-1].Next, true, nil
}
