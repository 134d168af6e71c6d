package ingest

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tayninh/ktxh/warehouse/lake"
)

type metrics struct {
	records    *prometheus.CounterVec
	tombstones *prometheus.CounterVec
	lost       *prometheus.CounterVec
	rejected   *prometheus.CounterVec
	rows       *prometheus.CounterVec
	flushes    *prometheus.CounterVec
	flushTime  prometheus.Histogram
	next       *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		records:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ktxh_ingest_records_total", Help: "Kafka records committed to the lake."}, []string{"topic"}),
		tombstones: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ktxh_ingest_tombstones_total", Help: "Tombstone records skipped."}, []string{"topic"}),
		lost:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ktxh_ingest_lost_offsets_total", Help: "Offsets deleted by the broker (retention) before they were consumed."}, []string{"topic"}),
		rejected:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ktxh_ingest_rejected_total", Help: "Records or items quarantined."}, []string{"topic"}),
		rows:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ktxh_ingest_rows_total", Help: "Rows written to the lake."}, []string{"dataset"}),
		flushes:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ktxh_ingest_batches_total", Help: "Batches committed to the lake."}, []string{"topic"}),
		flushTime:  prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ktxh_ingest_commit_seconds", Help: "Time to make a batch durable.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}),
		next:       prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ktxh_ingest_lake_offset", Help: "Next offset the lake resumes from."}, []string{"topic", "partition"}),
	}
	if reg != nil {
		reg.MustRegister(m.records, m.tombstones, m.lost, m.rejected, m.rows, m.flushes, m.flushTime, m.next)
	}
	return m
}

func (m *metrics) flushed(man *lake.Manifest, d time.Duration) {
	m.records.WithLabelValues(man.Topic).Add(float64(man.Records))
	m.tombstones.WithLabelValues(man.Topic).Add(float64(man.Tombstones))
	m.rejected.WithLabelValues(man.Topic).Add(float64(man.Rejected))
	m.flushes.WithLabelValues(man.Topic).Inc()
	for _, f := range man.Files {
		m.rows.WithLabelValues(f.Dataset).Add(float64(f.Rows))
	}
	m.flushTime.Observe(d.Seconds())
	m.next.WithLabelValues(man.Topic, strconv.Itoa(man.Partition)).Set(float64(man.Next))
}
