package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// feedCmd is replaced by its real implementation.
func feedCmd() *cobra.Command {
	return &cobra.Command{Use: "feed", Short: "not built yet", RunE: func(*cobra.Command, []string) error { return errors.New("feed: not built yet") }}
}
