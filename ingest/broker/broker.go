// Package broker runs the embedded single-node Kafka-protocol broker
// (franz-go's kfake) that ktxh uses on a laptop and in tests: a real Kafka
// wire protocol over TCP, persistent in a directory, so any Kafka client
// (kafka-go, franz-go, librdkafka's kcat) works against it.
package broker

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
)

// MaxMessageBytes is the largest record batch accepted: eGov packages carry
// attachments (contract section 1).
const MaxMessageBytes = 64<<20 + 1<<20

// Options configure Start.
type Options struct {
	// Listen is host:port; port 0 picks a free port.
	Listen string
	// DataDir persists the log and group state; empty keeps it in memory.
	DataDir string
	// Topics are created (if missing) with Partitions partitions (default 3).
	Topics     []string
	Partitions int32
	// MinSessionTimeout is the shortest group session a consumer may ask
	// for (Kafka's default 6 s); tests lower it so that a killed consumer's
	// partitions move quickly.
	MinSessionTimeout time.Duration
	Logger            *slog.Logger
}

// Broker is a running embedded broker.
type Broker struct {
	c    *kfake.Cluster
	addr string
}

// Start starts the broker and creates its topics.
func Start(o Options) (*Broker, error) {
	if o.Partitions <= 0 {
		o.Partitions = 3
	}
	host, port, err := net.SplitHostPort(o.Listen)
	if err != nil {
		return nil, fmt.Errorf("broker listen address %q: %w", o.Listen, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("broker listen port %q: %w", port, err)
	}
	if p == 0 {
		// kfake takes ports, not listeners: find a free one.
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("find free port: %w", err)
		}
		p = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(p),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, net.JoinHostPort(host, strconv.Itoa(p)))
		}),
		kfake.DefaultNumPartitions(int(o.Partitions)),
		kfake.BrokerConfigs(map[string]string{
			"message.max.bytes": strconv.Itoa(MaxMessageBytes),
		}),
	}
	if o.MinSessionTimeout > 0 {
		opts = append(opts, kfake.GroupMinSessionTimeout(o.MinSessionTimeout))
	}
	if o.DataDir != "" {
		opts = append(opts, kfake.DataDir(o.DataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start broker: %w", err)
	}
	b := &Broker{c: c, addr: net.JoinHostPort(host, strconv.Itoa(p))}
	for _, t := range o.Topics {
		err := c.CreateTopic(t, o.Partitions, map[string]string{"max.message.bytes": strconv.Itoa(MaxMessageBytes)})
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			c.Close()
			return nil, fmt.Errorf("create topic %s: %w", t, err)
		}
	}
	return b, nil
}

// Addr is the bootstrap address.
func (b *Broker) Addr() string { return b.addr }

// Cluster exposes kfake for fault injection in tests.
func (b *Broker) Cluster() *kfake.Cluster { return b.c }

// Close stops the broker, flushing its data directory.
func (b *Broker) Close() { b.c.Close() }
