package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/warehouse"
)

func sqlCmd() *cobra.Command {
	var lakeDir, format string
	cmd := &cobra.Command{
		Use:   "sql [QUERY]",
		Short: "Run read-only SQL over the warehouse views (QUERY, or ;-terminated statements on stdin)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if lakeDir == "" {
				return fmt.Errorf("--lake is required")
			}
			enc, err := warehouse.NewEncoder(format)
			if err != nil {
				return err
			}
			w, err := warehouse.Open(lakeDir, pipelines.Datasets(), warehouse.Options{Logger: logger()})
			if err != nil {
				return err
			}
			defer w.Close()
			var stmts []string
			if len(args) == 1 {
				stmts = []string{args[0]}
			} else {
				b, err := io.ReadAll(bufio.NewReader(os.Stdin))
				if err != nil {
					return fmt.Errorf("read stdin: %w", err)
				}
				stmts = warehouse.SplitStatements(string(b))
			}
			out := bufio.NewWriter(os.Stdout)
			defer out.Flush()
			for _, q := range stmts {
				if err := runQuery(cmd.Context(), w, q, enc, out); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&lakeDir, "lake", "", "lake directory (required)")
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, csv or json")
	return cmd
}

func runQuery(ctx context.Context, w *warehouse.Warehouse, q string, enc warehouse.Encoder, out io.Writer) error {
	rows, err := w.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: %w", abbrev(q), err)
	}
	defer rows.Close()
	return enc.Encode(out, rows)
}

func abbrev(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 60 {
		q = q[:57] + "..."
	}
	return q
}
