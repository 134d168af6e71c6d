package broker_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tayninh/ktxh/ingest/broker"
)

func start(t *testing.T, dir, listen string) *broker.Broker {
	t.Helper()
	b, err := broker.Start(broker.Options{Listen: listen, DataDir: dir, Topics: []string{"a", "b"}, Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readAll reads a partition up to its end offset.
func readAll(t *testing.T, addr, topic string, partition int) []string {
	t.Helper()
	conn, err := kafka.DialLeader(context.Background(), "tcp", addr, topic, partition)
	if err != nil {
		t.Fatal(err)
	}
	end, err := conn.ReadLastOffset()
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: topic, Partition: partition, MaxWait: 100 * time.Millisecond, MaxBytes: broker.MaxMessageBytes})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []string
	for int64(len(out)) < end {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read %s/%d: %v after %d of %d records", topic, partition, err, len(out), end)
		}
		out = append(out, string(m.Value))
	}
	return out
}

// The log survives a restart in the same directory, topics included, and
// a record batch of tens of megabytes is accepted.
func TestPersistsAcrossRestartAndTakesLargeBatches(t *testing.T) {
	dir := t.TempDir()
	b := start(t, dir, "127.0.0.1:0")
	addr := b.Addr()
	w := &kafka.Writer{Addr: kafka.TCP(addr), Topic: "a", Balancer: &kafka.RoundRobin{}, BatchBytes: broker.MaxMessageBytes, RequiredAcks: kafka.RequireAll}
	big := strings.Repeat("x", 40<<20)
	err := w.WriteMessages(context.Background(), kafka.Message{Partition: 0, Value: []byte("one")}, kafka.Message{Value: []byte(big)})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	b.Close()

	b = start(t, dir, addr)
	defer b.Close()
	var got int
	for p := 0; p < 2; p++ {
		for _, v := range readAll(t, addr, "a", p) {
			if v == "one" || v == big {
				got++
			}
		}
	}
	if got != 2 {
		t.Errorf("after restart read %d of 2 records", got)
	}
}

// librdkafka's kcat works against it (CI installs kcat).
func TestKcat(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("kcat missing in CI")
		}
		t.Skip("kcat not installed")
	}
	b := start(t, t.TempDir(), "127.0.0.1:0")
	defer b.Close()
	produce := exec.Command(kcat, "-b", b.Addr(), "-P", "-t", "b", "-k", "k1", "-p", "1")
	produce.Stdin = strings.NewReader("hello from librdkafka\n")
	if out, err := produce.CombinedOutput(); err != nil {
		t.Fatalf("kcat produce: %v\n%s", err, out)
	}
	out, err := exec.Command(kcat, "-b", b.Addr(), "-C", "-t", "b", "-p", "1", "-e", "-q", "-f", "%k=%s\n").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat consume: %v\n%s", err, out)
	}
	if string(out) != "k1=hello from librdkafka\n" {
		t.Errorf("kcat read %q", out)
	}
	if got := readAll(t, b.Addr(), "b", 1); len(got) != 1 || got[0] != "hello from librdkafka" {
		t.Errorf("kafka-go read %q", got)
	}
}
