package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/warehouse/lake"
)

func compactCmd() *cobra.Command {
	var lakeDir, target string
	opts := lake.DefaultCompactOptions()
	cmd := &cobra.Command{
		Use:   "compact",
		Short: "Merge the lake's small Parquet files and delete those merged a grace period ago",
		Long: `Merge runs of small files of each topic partition in each Hive directory of the
lake into files of up to --target-size, and delete the files a merged file
supersedes once it is --grace old. Files younger than --min-age are left to the
writers. Safe to run while ingest writes and the warehouse reads; one compactor
works at a time (another exits at once). Run it from cron or a systemd timer.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lakeDir == "" {
				return fmt.Errorf("--lake is required")
			}
			n, err := parseSize(target)
			if err != nil {
				return fmt.Errorf("--target-size %q: %w", target, err)
			}
			opts.TargetBytes = n
			start := time.Now()
			st, err := lake.Compact(cmd.Context(), lakeDir, pipelines.Datasets(), lake.Options{Logger: logger()}, opts)
			printCompaction(cmd.OutOrStdout(), st, time.Since(start))
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&lakeDir, "lake", "", "lake directory (required)")
	fl.DurationVar(&opts.MinAge, "min-age", opts.MinAge, "merge only files older than this")
	fl.DurationVar(&opts.Grace, "grace", opts.Grace, "delete merged files once the file superseding them is this old")
	fl.StringVar(&target, "target-size", "128MiB", "largest total size of the files one merge takes")
	return cmd
}

func printCompaction(out io.Writer, st lake.CompactStats, took time.Duration) {
	if st.Busy {
		fmt.Fprintln(out, "another compactor is working on this lake: nothing done")
		return
	}
	var files int
	var in, outBytes int64
	for _, m := range st.Merges {
		fmt.Fprintf(out, "merged %d files (%d rows, %d bytes) into %s (%d bytes) in %v\n",
			m.Files, m.Rows, m.InBytes, m.Path, m.OutBytes, m.Took.Round(time.Millisecond))
		files += m.Files
		in += m.InBytes
		outBytes += m.OutBytes
	}
	fmt.Fprintf(out, "merged %d files (%d bytes) into %d (%d bytes); deleted %d superseded files (%d bytes); in %v\n",
		files, in, len(st.Merges), outBytes, st.Deleted, st.DeletedBytes, took.Round(time.Millisecond))
}
