package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/tayninh/ktxh/dashboards"
	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/warehouse"
)

func serveCmd() *cobra.Command {
	var lakeDir, listen string
	var feed *feedFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the dashboards and the HTTP API (read-only SQL, KPIs, health, metrics) over the lake",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lakeDir == "" {
				return fmt.Errorf("--lake is required")
			}
			return runServe(cmd.Context(), lakeDir, listen, feed, logger(), func(url string) {
				fmt.Printf("dashboards: %s\n", url)
			})
		},
	}
	cmd.Flags().StringVar(&lakeDir, "lake", "", "lake directory (required)")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "address to serve on")
	feed = addServeFeedFlags(cmd)
	return cmd
}

// runServe serves the dashboards over the lake at lakeDir until ctx ends,
// running the KT-XH feed on its schedule when feed names a target; ready
// gets the URL once the listener is open.
func runServe(ctx context.Context, lakeDir, listen string, feed *feedFlags, log *slog.Logger, ready func(url string)) error {
	w, err := warehouse.Open(lakeDir, pipelines.Datasets(), warehouse.Options{Logger: log})
	if err != nil {
		return err
	}
	defer w.Close()
	stopFeed, err := feed.startScheduled(ctx, w, lakeDir, log)
	if err != nil {
		return err
	}
	defer stopFeed()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv, err := dashboards.New(w, dashboards.Options{Logger: log, Registry: reg})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	// Load the views now, so that the first reader does not wait.
	wctx, cancelWarm := context.WithCancel(ctx)
	defer cancelWarm()
	go srv.Warm(wctx)
	ready(urlOf(ln.Addr()))
	log.Info("serving dashboards", "addr", ln.Addr().String(), "lake", w.LakeDir())
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// urlOf is the address a browser on this machine opens.
func urlOf(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return "http://" + a.String() + "/"
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(tcp.Port)) + "/"
}
