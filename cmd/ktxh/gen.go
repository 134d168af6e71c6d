package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/spf13/cobra"

	"github.com/tayninh/ktxh/ingest/broker"
	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/pipelines/synth"
)

type genFlags struct {
	brokers  string
	seed     int64
	from, to string
	scale    float64
	bad      float64
	topics   pipelines.Topics
}

func genCmd() *cobra.Command {
	f := &genFlags{topics: pipelines.DefaultTopics()}
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Produce realistic synthetic data for every topic (deterministic for a seed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := runGen(cmd.Context(), f, logger())
			if err != nil {
				return err
			}
			fmt.Printf("produced %d messages\n", n)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.brokers, "brokers", "127.0.0.1:9092", "bootstrap brokers host:port[,...]")
	fl.Int64Var(&f.seed, "seed", 1, "random seed")
	fl.StringVar(&f.from, "from", "2025-01", "first month YYYY-MM")
	fl.StringVar(&f.to, "to", "2025-12", "last month YYYY-MM")
	fl.Float64Var(&f.scale, "scale", 1, "volume relative to a real province (1 = a few hundred thousand dossiers a year)")
	fl.Float64Var(&f.bad, "bad-fraction", 0, "fraction of deliberately broken records (for quarantine demos)")
	topicFlags(cmd, &f.topics)
	return cmd
}

func parseMonth(s string) (time.Time, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return t, fmt.Errorf("month %q: want YYYY-MM", s)
	}
	return t, nil
}

func runGen(ctx context.Context, f *genFlags, log *slog.Logger) (int64, error) {
	from, err := parseMonth(f.from)
	if err != nil {
		return 0, err
	}
	to, err := parseMonth(f.to)
	if err != nil {
		return 0, err
	}
	if to.Before(from) {
		return 0, fmt.Errorf("--to %s is before --from %s", f.to, f.from)
	}
	if f.scale <= 0 {
		return 0, fmt.Errorf("--scale must be positive")
	}
	w := &kafka.Writer{
		Addr:         kafka.TCP(splitList(f.brokers)...),
		Balancer:     &kafka.Hash{},
		BatchSize:    2000,
		BatchBytes:   broker.MaxMessageBytes,
		BatchTimeout: 5 * time.Millisecond,
		RequiredAcks: kafka.RequireAll,
		Compression:  kafka.Lz4,
	}
	defer w.Close()
	cfg := synth.Config{Seed: f.seed, From: from, To: to, Scale: f.scale, BadFraction: f.bad}
	cfg.Topics.Dossiers, cfg.Topics.Progress, cfg.Topics.Documents, cfg.Topics.Staffing = f.topics.Dossiers, f.topics.Progress, f.topics.Documents, f.topics.Staffing

	buf := make([]kafka.Message, 0, 8192)
	var n int64
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		if err := w.WriteMessages(ctx, buf...); err != nil {
			return fmt.Errorf("produce: %w", err)
		}
		n += int64(len(buf))
		buf = buf[:0]
		return nil
	}
	start := time.Now()
	err = synth.Generate(ctx, cfg, func(m synth.Message) error {
		buf = append(buf, kafka.Message{Topic: m.Topic, Key: m.Key, Value: m.Value, Time: m.Time})
		if len(buf) == cap(buf) {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return n, err
	}
	log.Info("generated", "messages", n, "seconds", time.Since(start).Seconds())
	return n, nil
}
