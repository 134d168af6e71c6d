package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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
	var keep, profile string
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Preload the embedded broker with N dossier snapshots, then time consume → durable Parquet in a separate ingest process",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return benchIngest(cmd.Context(), records, partitions, keep, profile)
		},
	}
	cmd.Flags().IntVar(&records, "records", 1_000_000, "dossier records to preload")
	cmd.Flags().Int32Var(&partitions, "partitions", 3, "partitions of the dossier topic")
	cmd.Flags().StringVar(&keep, "lake", "", "lake directory to keep (default: a temporary one, removed)")
	cmd.Flags().StringVar(&profile, "ingest-cpuprofile", "", "write the ingest process's CPU profile to this file")
	return cmd
}

func benchIngest(ctx context.Context, n int, partitions int32, lakeDir, profile string) error {
	topics := pipelines.DefaultTopics()
	b, err := broker.Start(broker.Options{Listen: "127.0.0.1:0", Topics: topics.All(), Partitions: partitions})
	if err != nil {
		return err
	}
	defer b.Close()

	// Preload with realistic snapshots: ~600 bytes, ~20 fields, statuses,
	// sectors, agencies, channels and dates varying as in the province.
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.ProducerLinger(5*time.Millisecond),
		kgo.ProducerBatchCompression(kgo.Lz4Compression()), kgo.MaxBufferedRecords(100_000),
		kgo.ProducerBatchMaxBytes(1<<20))
	if err != nil {
		return err
	}
	start := time.Now()
	var bytes int64
	var perr error
	var mu sync.Mutex
	for i := 0; i < n; i++ {
		v := synth.BenchSnapshot(i)
		bytes += int64(len(v))
		cl.Produce(ctx, &kgo.Record{Topic: topics.Dossiers, Partition: int32(i % int(partitions)), Value: v, Timestamp: time.Now()}, func(_ *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				perr = errors.Join(perr, err)
				mu.Unlock()
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	cl.Close()
	if perr != nil {
		return fmt.Errorf("preload: %w", perr)
	}
	fmt.Printf("preloaded %d records (%.0f bytes avg) in %.1fs\n", n, float64(bytes)/float64(n), time.Since(start).Seconds())

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
	args := []string{"ingest", "--brokers", b.Addr(), "--lake", lakeDir, "--group", "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36), "--exit-when-caught-up"}
	if profile != "" {
		args = append(args, "--cpuprofile", profile)
	}
	c := exec.CommandContext(ctx, self, args...)
	c.Env = append(os.Environ(), "KTXH_PII_KEY=bench-key-0123456789abcdef")
	c.Stderr = os.Stderr
	var before syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	start = time.Now()
	if err := c.Start(); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	stop := make(chan struct{})
	peak := watchPeakRSS(c.Process.Pid, stop)
	err = c.Wait()
	close(stop)
	peakRSS := <-peak
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	wall := time.Since(start)
	ru := c.ProcessState.SysUsage().(*syscall.Rusage)
	var after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	brokerCPU := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())

	var recs, rows int64
	var last time.Time
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
			if m.Committed.After(last) {
				last = m.Committed
			}
		}
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	fmt.Printf("ingest: %d records, %d rows in %.2fs wall (process start to exit, group join included)\n", recs, rows, wall.Seconds())
	fmt.Printf("throughput: %.0f records/s (wall, process start to exit); last batch committed %.2fs after start\n",
		float64(recs)/wall.Seconds(), last.Sub(start).Seconds())
	fmt.Printf("peak RSS: %.1f MiB; CPU %.2fs (%.1f µs/record, %.0f%% in the kernel, %d page faults); the embedded broker serving it used %.2fs CPU\n",
		float64(peakRSS)/(1<<20), cpu.Seconds(), float64(cpu.Microseconds())/float64(recs),
		100*float64(ru.Stime.Nano())/float64(cpu.Nanoseconds()), ru.Minflt, brokerCPU.Seconds())
	return nil
}

// watchPeakRSS polls the process's high-water RSS (VmHWM) until stop is
// closed, then sends the largest seen. The rusage of a child is no use:
// it counts the parent's memory, shared at fork until exec, and the
// parent here holds the broker's whole preload.
func watchPeakRSS(pid int, stop <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var peak int64
		path := fmt.Sprintf("/proc/%d/status", pid)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if b, err := os.ReadFile(path); err == nil {
				for _, line := range strings.Split(string(b), "\n") {
					if kb, ok := strings.CutPrefix(line, "VmHWM:"); ok {
						if v, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB")), 10, 64); err == nil {
							peak = max(peak, v<<10)
						}
					}
				}
			}
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// lakeReader reads manifests without opening the lake for writing.
type lakeReader struct{ dir string }

func (r *lakeReader) manifests(topic string, partition int) ([]*lake.Manifest, error) {
	return lake.ReadManifests(r.dir, topic, partition)
}
