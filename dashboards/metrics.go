package dashboards

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus collectors.
type metrics struct {
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	loads     *prometheus.CounterVec
	loadTime  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ktxh", Subsystem: "dashboards", Name: "http_requests_total",
			Help: "HTTP requests served, by route and status code.",
		}, []string{"route", "code"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "ktxh", Subsystem: "dashboards", Name: "http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
		loads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ktxh", Subsystem: "dashboards", Name: "view_loads_total",
			Help: "Loads of a KPI view into memory (once per lake version), by view and result.",
		}, []string{"view", "result"}),
		loadTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "ktxh", Subsystem: "dashboards", Name: "view_load_duration_seconds",
			Help:    "Time to load a KPI view into memory, by view.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 10),
		}, []string{"view"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.durations, m.loads, m.loadTime)
	}
	return m
}

func (m *metrics) load(view string, d time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.loads.WithLabelValues(view, result).Inc()
	m.loadTime.WithLabelValues(view).Observe(d.Seconds())
}

// instrument counts and times the requests of one route.
func (m *metrics) instrument(route string, h http.Handler) http.Handler {
	dur := m.durations.WithLabelValues(route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		defer func() {
			dur.Observe(time.Since(start).Seconds())
			m.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
		}()
		h.ServeHTTP(sw, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
