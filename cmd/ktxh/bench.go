package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tayninh/ktxh/ingest/broker"
	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/pipelines/synth"
	"github.com/tayninh/ktxh/warehouse/lake"
)

func benchCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Benchmarks of the hot paths, printing figures"}
	cmd.AddCommand(benchIngestCmd())
	return cmd
}

func benchIngestCmd() *cobra.Command {
	var records int
	var partitions int32
	var keep string
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Preload the embedded broker with N dossier snapshots, then time consume → durable Parquet in a separate ingest process",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return benchIngest(cmd.Context(), records, partitions, keep)
		},
	}
	cmd.Flags().IntVar(&records, "records", 1_000_000, "dossier records to preload")
	cmd.Flags().Int32Var(&partitions, "partitions", 3, "partitions of the dossier topic")
	cmd.Flags().StringVar(&keep, "lake", "", "lake directory to keep (default: a temporary one, removed)")
	return cmd
}

func benchIngest(ctx context.Context, n int, partitions int32, lakeDir string) error {
	topics := pipelines.DefaultTopics()
	b, err := broker.Start(broker.Options{Listen: "127.0.0.1:0", Topics: topics.All(), Partitions: partitions})
	if err != nil {
		return err
	}
	defer b.Close()

	// Preload with realistic snapshots from the generator, one dossier
	// object per record.
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.ProducerLinger(5*time.Millisecond),
		kgo.ProducerBatchCompression(kgo.Lz4Compression()), kgo.MaxBufferedRecords(100_000),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	if err != nil {
		return err
	}
	start := time.Now()
	var produced, bytes int64
	var perr error
	cfg := synth.Config{Seed: 7, From: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Scale: 10, SingleObjects: true}
	cfg.Topics.Dossiers, cfg.Topics.Progress, cfg.Topics.Documents, cfg.Topics.Staffing = topics.Dossiers, topics.Progress, topics.Documents, topics.Staffing
	gctx, stop := context.WithCancel(ctx)
	err = synth.Generate(gctx, cfg, func(m synth.Message) error {
		if m.Topic != topics.Dossiers {
			return nil
		}
		bytes += int64(len(m.Value))
		cl.Produce(gctx, &kgo.Record{Topic: m.Topic, Key: m.Key, Value: m.Value, Timestamp: m.Time}, func(_ *kgo.Record, err error) {
			if err != nil && perr == nil {
				perr = err
			}
		})
		if produced++; produced >= int64(n) {
			stop()
		}
		return nil
	})
	stop()
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	cl.Close()
	if perr != nil {
		return fmt.Errorf("preload: %w", perr)
	}
	if err != nil && ctx.Err() != nil {
		return err
	}
	fmt.Printf("preloaded %d records (%.0f bytes avg) in %.1fs\n", produced, float64(bytes)/float64(produced), time.Since(start).Seconds())

	if lakeDir == "" {
		tmp, err := os.MkdirTemp("", "ktxh-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		lakeDir = filepath.Join(tmp, "lake")
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	c := exec.CommandContext(ctx, self, "ingest", "--brokers", b.Addr(), "--lake", lakeDir, "--group", "bench-"+strconv.FormatInt(time.Now().UnixNano(), 36), "--exit-when-caught-up")
	c.Env = append(os.Environ(), "KTXH_PII_KEY=bench-key-0123456789abcdef")
	c.Stderr = os.Stderr
	start = time.Now()
	if err := c.Run(); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	wall := time.Since(start)
	ru := c.ProcessState.SysUsage().(*syscall.Rusage)

	var recs, rows int64
	var first, last time.Time
	for p := 0; p < int(partitions); p++ {
		l := &lakeReader{dir: lakeDir}
		ms, err := l.manifests(topics.Dossiers, p)
		if err != nil {
			return err
		}
		for _, m := range ms {
			recs += m.Records
			for _, f := range m.Files {
				rows += f.Rows
			}
			if first.IsZero() || m.Committed.Before(first) {
				first = m.Committed
			}
			if m.Committed.After(last) {
				last = m.Committed
			}
		}
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	fmt.Printf("ingest: %d records, %d rows in %.2fs wall (process start to exit, group join included)\n", recs, rows, wall.Seconds())
	fmt.Printf("throughput: %.0f records/s (wall), %.0f records/s (first to last batch commit)\n",
		float64(recs)/wall.Seconds(), float64(recs)/max(last.Sub(first).Seconds(), 1e-9))
	fmt.Printf("peak RSS: %.1f MiB; CPU %.2fs (%.1f µs/record)\n", float64(ru.Maxrss)/1024, cpu.Seconds(), float64(cpu.Microseconds())/float64(recs))
	return nil
}

// lakeReader reads manifests without opening the lake for writing.
type lakeReader struct{ dir string }

func (r *lakeReader) manifests(topic string, partition int) ([]*lake.Manifest, error) {
	return lake.ReadManifests(r.dir, topic, partition)
}
