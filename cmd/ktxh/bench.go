package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
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
	var records, runs int
	var partitions int32
	var keep string
	var profiles []string // flags passed to the ingest process
	var cpuprofile, memprofile string
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Preload the embedded broker with N dossier snapshots, then time consume → durable Parquet in a separate ingest process",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cpuprofile != "" {
				profiles = append(profiles, "--cpuprofile", cpuprofile)
			}
			if memprofile != "" {
				profiles = append(profiles, "--memprofile", memprofile)
			}
			return benchIngest(cmd.Context(), records, runs, partitions, keep, profiles)
		},
	}
	cmd.Flags().IntVar(&records, "records", 1_000_000, "dossier records to preload")
	cmd.Flags().IntVar(&runs, "runs", 1, "ingest runs over the same preload, each into a fresh lake and group; the median is reported")
	cmd.Flags().Int32Var(&partitions, "partitions", 3, "partitions of the dossier topic")
	cmd.Flags().StringVar(&keep, "lake", "", "lake directory to keep (default: a temporary one, removed)")
	cmd.Flags().StringVar(&cpuprofile, "ingest-cpuprofile", "", "write the ingest process's CPU profile to this file")
	cmd.Flags().StringVar(&memprofile, "ingest-memprofile", "", "write the ingest process's allocation profile to this file")
	return cmd
}

func benchIngest(ctx context.Context, n, runs int, partitions int32, lakeDir string, profiles []string) error {
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
		lakeDir = tmp
	}
	var results []ingestRun
	for i := range max(runs, 1) {
		// The preload, and serving the previous run, left garbage in this
		// process: collect it now rather than while the run is timed.
		debug.FreeOSMemory()
		r, err := benchIngestOnce(ctx, b.Addr(), filepath.Join(lakeDir, fmt.Sprintf("lake-%d", i+1)), topics.Dossiers, int(partitions), profiles)
		if err != nil {
			return err
		}
		results = append(results, r)
		if r.records != int64(n) {
			return fmt.Errorf("run %d: the lake holds %d of the %d records preloaded", i+1, r.records, n)
		}
		fmt.Printf("run %d: %d records in %.2fs wall (process start to exit, group join included): %.0f records/s; last batch committed %.2fs after start\n",
			i+1, r.records, r.wall.Seconds(), r.rate(), r.lastCommit.Seconds())
		fmt.Printf("       peak RSS %.1f MiB; CPU %.2fs (%.1f µs/record, %.0f%% in the kernel, %d page faults); the embedded broker serving it used %.2fs CPU\n",
			float64(r.peakRSS)/(1<<20), r.cpu.Seconds(), float64(r.cpu.Microseconds())/float64(r.records),
			100*r.sys.Seconds()/r.cpu.Seconds(), r.minflt, r.brokerCPU.Seconds())
	}
	slices.SortFunc(results, func(a, b ingestRun) int { return cmp.Compare(a.rate(), b.rate()) })
	med := results[len(results)/2]
	var peak int64
	for _, r := range results {
		peak = max(peak, r.peakRSS)
	}
	fmt.Printf("throughput: %.0f records/s (median of %d runs; best %.0f, worst %.0f); peak RSS %.1f MiB (largest); CPU %.1f µs/record (median run)\n",
		med.rate(), len(results), results[len(results)-1].rate(), results[0].rate(), float64(peak)/(1<<20),
		float64(med.cpu.Microseconds())/float64(med.records))
	return nil
}

// ingestRun is what one ingest process did.
type ingestRun struct {
	records    int64
	wall       time.Duration // process start to exit
	lastCommit time.Duration // process start to its last batch committed
	cpu, sys   time.Duration // of the ingest process; sys is the kernel's share
	brokerCPU  time.Duration // of this process (the broker) meanwhile
	peakRSS    int64
	minflt     int64
}

func (r ingestRun) rate() float64 { return float64(r.records) / r.wall.Seconds() }

// benchIngestOnce runs one `ktxh ingest --exit-when-caught-up` process into
// a fresh lake and consumer group, and reads back what it committed.
func benchIngestOnce(ctx context.Context, addr, lakeDir, topic string, partitions int, profiles []string) (ingestRun, error) {
	var r ingestRun
	self, err := os.Executable()
	if err != nil {
		return r, err
	}
	args := []string{"ingest", "--brokers", addr, "--lake", lakeDir, "--group", "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36), "--exit-when-caught-up"}
	args = append(args, profiles...)
	c := exec.CommandContext(ctx, self, args...)
	c.Env = append(os.Environ(), "KTXH_PII_KEY=bench-key-0123456789abcdef")
	c.Stderr = os.Stderr
	var before syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	start := time.Now()
	if err := c.Start(); err != nil {
		return r, fmt.Errorf("ingest: %w", err)
	}
	stop := make(chan struct{})
	peak := watchPeakRSS(c.Process.Pid, stop)
	err = c.Wait()
	close(stop)
	r.peakRSS = <-peak
	if err != nil {
		return r, fmt.Errorf("ingest: %w", err)
	}
	r.wall = time.Since(start)
	ru := c.ProcessState.SysUsage().(*syscall.Rusage)
	var after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	r.brokerCPU = time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
	r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	r.sys = time.Duration(ru.Stime.Nano())
	r.minflt = ru.Minflt

	// The broker is fresh, so each partition's offsets start at 0 and the
	// lake's last manifest says how many records it holds (older
	// manifests may have been pruned).
	var last time.Time
	for p := 0; p < partitions; p++ {
		ms, err := lake.ReadManifests(lakeDir, topic, p)
		if err != nil {
			return r, err
		}
		if len(ms) > 0 {
			m := ms[len(ms)-1]
			r.records += m.Next
			if m.Committed.After(last) {
				last = m.Committed
			}
		}
	}
	r.lastCommit = last.Sub(start)
	return r, nil
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
