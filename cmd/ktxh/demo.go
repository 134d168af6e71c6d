package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/tayninh/ktxh/ingest/broker"
	"github.com/tayninh/ktxh/pipelines"
)

func demoCmd() *cobra.Command {
	var listen, data, from, to string
	var scale float64
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "The whole system on one machine: embedded broker, a synthetic year, ingest, dashboards",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			log := logger()
			lakeDir := filepath.Join(data, "lake")
			b, err := broker.Start(broker.Options{Listen: "127.0.0.1:0", DataDir: filepath.Join(data, "broker"), Topics: pipelines.DefaultTopics().All(), Logger: log})
			if err != nil {
				return err
			}
			defer b.Close()
			log.Info("broker started", "addr", b.Addr())

			marker := filepath.Join(data, "generated")
			if _, err := os.Stat(marker); err != nil {
				g := &genFlags{brokers: b.Addr(), seed: 1, from: from, to: to, scale: scale, topics: pipelines.DefaultTopics()}
				fmt.Printf("generating a synthetic year (%s to %s) into the broker...\n", from, to)
				n, err := runGen(ctx, g, log)
				if err != nil {
					return err
				}
				if err := os.WriteFile(marker, []byte(fmt.Sprintf("%d messages %s\n", n, time.Now().Format(time.RFC3339))), 0o644); err != nil {
					return err
				}
			}
			f := &ingestFlags{brokers: b.Addr(), lake: lakeDir, group: "ktxh-demo",
				piiKeyFile: filepath.Join(data, "pii.key"), exit: true, topics: pipelines.DefaultTopics()}
			f.opts = ingestDefaults()
			fmt.Println("ingesting into", lakeDir, "...")
			start := time.Now()
			if err := runIngest(ctx, f, nil); err != nil {
				return err
			}
			fmt.Printf("lake ready in %.1fs\n\n", time.Since(start).Seconds())

			// Keep ingesting what arrives while the demo runs.
			f.exit = false
			ictx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- runIngest(ictx, f, nil) }()
			defer func() { cancel(); <-done }()

			// Serve the dashboards over the lake until Ctrl-C.
			return runServe(ctx, lakeDir, listen, nil, log, func(url string) {
				fmt.Printf(`ktxh demo is running.
  dashboards: %s
  broker:     %s   (any Kafka client; e.g. kcat -b %s -L)
  lake:       %s
  query:      ktxh sql --lake %s "SELECT status, count(*) FROM dossiers GROUP BY ALL ORDER BY 1"
  api:        curl '%sapi/sql?q=SELECT+count(*)+FROM+dossiers'
Press Ctrl-C to stop.
`, url, b.Addr(), b.Addr(), lakeDir, lakeDir, url)
			})
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "dashboard address")
	cmd.Flags().StringVar(&data, "data", "./ktxh-data", "directory for the broker log, the lake and the key")
	cmd.Flags().StringVar(&from, "from", "2025-01", "first month of synthetic data")
	cmd.Flags().StringVar(&to, "to", "2025-12", "last month of synthetic data")
	cmd.Flags().Float64Var(&scale, "scale", 0.25, "synthetic volume (1 = a real province, about 3 million messages a year)")
	return cmd
}
