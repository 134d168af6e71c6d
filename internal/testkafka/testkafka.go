// Package testkafka gives tests a real Kafka-protocol broker over TCP (the
// embedded kfake broker) or, when KTXH_TEST_BROKERS is set, a real cluster,
// and a producer for raw records.
package testkafka

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tayninh/ktxh/ingest/broker"
)

// Broker returns bootstrap addresses with the given topics created.
func Broker(t testing.TB, partitions int32, topics ...string) []string {
	t.Helper()
	if env := os.Getenv("KTXH_TEST_BROKERS"); env != "" {
		brokers := strings.Split(env, ",")
		c := &kafka.Client{Addr: kafka.TCP(brokers...)}
		var cfgs []kafka.TopicConfig
		for _, tp := range topics {
			cfgs = append(cfgs, kafka.TopicConfig{Topic: tp, NumPartitions: int(partitions), ReplicationFactor: 1})
		}
		if _, err := c.CreateTopics(context.Background(), &kafka.CreateTopicsRequest{Topics: cfgs}); err != nil {
			t.Fatal(err)
		}
		return brokers
	}
	b, err := broker.Start(broker.Options{Listen: "127.0.0.1:0", Topics: topics, Partitions: partitions, MinSessionTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return []string{b.Addr()}
}

// Msg is a record to produce; Partition < 0 lets the key pick it.
type Msg struct {
	Partition int
	Key       string
	Value     []byte // nil is a tombstone
	Time      time.Time
}

// Produce writes msgs to topic in order, each to its partition.
func Produce(t testing.TB, brokers []string, topic string, msgs ...Msg) {
	t.Helper()
	w := &kafka.Writer{
		Addr:         kafka.TCP(brokers...),
		Topic:        topic,
		Balancer:     manual{},
		BatchSize:    1000,
		BatchBytes:   broker.MaxMessageBytes,
		BatchTimeout: 2 * time.Millisecond,
		RequiredAcks: kafka.RequireAll,
	}
	defer w.Close()
	out := make([]kafka.Message, 0, len(msgs))
	for _, m := range msgs {
		km := kafka.Message{Key: []byte(m.Key), Value: m.Value, Time: m.Time}
		if m.Key == "" {
			km.Key = nil
		}
		// The balancer reads the partition from the first header.
		km.Headers = []kafka.Header{{Key: "p", Value: []byte{byte(m.Partition)}}}
		out = append(out, km)
	}
	for len(out) > 0 {
		n := min(len(out), 5000)
		if err := w.WriteMessages(context.Background(), out[:n]...); err != nil {
			t.Fatalf("produce to %s: %v", topic, err)
		}
		out = out[n:]
	}
}

type manual struct{}

func (manual) Balance(m kafka.Message, partitions ...int) int {
	p := int(m.Headers[0].Value[0])
	for _, x := range partitions {
		if x == p {
			return p
		}
	}
	return partitions[0]
}
