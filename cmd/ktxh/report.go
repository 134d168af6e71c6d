package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/pipelines/ktxhfeed"
	"github.com/tayninh/ktxh/warehouse"
)

func reportCmd() *cobra.Command {
	var lakeDir, period, kind, format, out string
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write one period's KT-XH indicators for every agency and the province (json, csv or xlsx)",
		Long: `Write one period's KT-XH reform indicators (the catalogue in pipelines/ktxhfeed/catalogue.yaml)
for every agency valid in the period and the province total.

  json  one document, schema pipelines/ktxhfeed/schema/ktxh.schema.json
  csv   long format: a header row, then one row per unit and indicator
        (period_kind,period,first_day,last_day,scope,agency_code,agency_name,level,
        parent_code,indicator_code,indicator_name,unit,value); NULL is empty
  xlsx  sheet II.06a in the layout of form II.06a/VPCP/KSTT, a sheet per other
        indicator group, and the catalogue

--period-kind month is the calendar month; report is the Decree 09/2019 period
(15th of the previous month to the 14th), named by its last month; indicator groups
without a view for that kind (eGov, staffing: calendar months only) are left out.`,
		Example: "  ktxh report --lake ./ktxh-data/lake --period 2019-09 --format xlsx --out bao-cao-2019-09.xlsx",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lakeDir == "" {
				return fmt.Errorf("--lake is required")
			}
			p, err := ktxhfeed.ParsePeriod(ktxhfeed.Kind(kind), period)
			if err != nil {
				return fmt.Errorf("--period/--period-kind: %w", err)
			}
			var write func(io.Writer, *ktxhfeed.Report, *ktxhfeed.Catalogue) error
			switch format {
			case "json":
				write = ktxhfeed.WriteJSON
			case "csv":
				write = func(w io.Writer, r *ktxhfeed.Report, _ *ktxhfeed.Catalogue) error { return ktxhfeed.WriteCSV(w, r) }
			case "xlsx":
				if out == "" || out == "-" {
					return fmt.Errorf("--format xlsx needs --out FILE")
				}
				write = ktxhfeed.WriteXLSX
			default:
				return fmt.Errorf("unknown --format %q (json, csv or xlsx)", format)
			}
			log := logger()
			w, err := warehouse.Open(lakeDir, pipelines.Datasets(), warehouse.Options{Logger: log})
			if err != nil {
				return err
			}
			defer w.Close()
			cat := ktxhfeed.DefaultCatalogue()
			r, err := ktxhfeed.Build(cmd.Context(), w, cat, p)
			if err != nil {
				return fmt.Errorf("report %s: %w", p, err)
			}
			if out == "" || out == "-" {
				bw := bufio.NewWriter(os.Stdout)
				if err := write(bw, r, cat); err != nil {
					return err
				}
				return bw.Flush()
			}
			if err := writeFileAtomic(out, func(f io.Writer) error { return write(f, r, cat) }); err != nil {
				return err
			}
			log.Info("report written", "period", p.String(), "units", len(r.Units), "indicators", len(r.Indicators), "out", out)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&lakeDir, "lake", "", "lake directory (required)")
	fl.StringVar(&period, "period", "", "period YYYY-MM (required)")
	fl.StringVar(&kind, "period-kind", "month", "month (calendar) or report (Decree 09/2019: 15th of the previous month to the 14th)")
	fl.StringVar(&format, "format", "json", "json, csv or xlsx")
	fl.StringVar(&out, "out", "-", "output file (- for stdout; xlsx needs a file)")
	return cmd
}

// writeFileAtomic writes path through a temporary file in the same
// directory, fsynced and renamed: a failed report leaves no partial file.
func writeFileAtomic(path string, fill func(io.Writer) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	bw := bufio.NewWriter(f)
	if err := fill(bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename to %s: %w", path, err)
	}
	return nil
}
