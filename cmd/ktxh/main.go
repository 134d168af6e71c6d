// Command ktxh is the KT-XH reporting pipeline: an embedded broker, a
// synthetic data generator, the Kafka-to-lake ingester, SQL over the lake,
// dashboards, reports and the feed to the KT-XH information system.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := rootCmd()
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "ktxh: "+firstLine(err.Error()))
		os.Exit(1)
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

var logLevel = new(slog.LevelVar)

func logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel}))
}

func rootCmd() *cobra.Command {
	var verbose bool
	root := &cobra.Command{
		Use:           "ktxh",
		Short:         "Streaming analytics and data warehouse for the province's KT-XH reporting",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if verbose {
				logLevel.Set(slog.LevelDebug)
			}
			return flagsFromEnv(cmd)
		},
	}
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "debug logging")
	root.AddCommand(brokerCmd(), genCmd(), ingestCmd(), sqlCmd(), demoCmd(), benchCmd())
	return root
}

// flagsFromEnv sets every flag not given on the command line from
// KTXH_<FLAG> (dashes become underscores), as contract section 1 says.
func flagsFromEnv(cmd *cobra.Command) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed {
			return
		}
		name := "KTXH_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok {
			if serr := cmd.Flags().Set(f.Name, v); serr != nil {
				err = fmt.Errorf("%s=%q: %w", name, v, serr)
			}
		}
	})
	return err
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
