package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/tayninh/ktxh/ingest/broker"
	"github.com/tayninh/ktxh/pipelines"
)

func brokerCmd() *cobra.Command {
	var o broker.Options
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "Run the embedded single-node Kafka-protocol broker (for a laptop or tests)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.DataDir == "" {
				return fmt.Errorf("--data-dir is required")
			}
			o.Topics = pipelines.DefaultTopics().All()
			o.Logger = logger()
			b, err := broker.Start(o)
			if err != nil {
				return err
			}
			defer b.Close()
			fmt.Fprintf(os.Stdout, "broker listening on %s (data in %s)\n", b.Addr(), o.DataDir)
			o.Logger.Info("broker started", "addr", b.Addr(), "data_dir", o.DataDir, "partitions", o.Partitions)
			<-cmd.Context().Done()
			o.Logger.Info("broker stopping")
			return nil
		},
	}
	cmd.Flags().StringVar(&o.Listen, "listen", "127.0.0.1:9092", "host:port to listen on")
	cmd.Flags().StringVar(&o.DataDir, "data-dir", "", "directory persisting the broker's log (required)")
	cmd.Flags().Int32Var(&o.Partitions, "partitions", 3, "partitions per topic")
	return cmd
}
