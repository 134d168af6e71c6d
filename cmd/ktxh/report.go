package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// reportCmd is replaced by its real implementation.
func reportCmd() *cobra.Command {
	return &cobra.Command{Use: "report", Short: "not built yet", RunE: func(*cobra.Command, []string) error { return errors.New("report: not built yet") }}
}
