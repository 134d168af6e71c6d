package ingest_test

import (
	"testing"
	"time"

	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/pipelines/synth"
	"github.com/tayninh/ktxh/transform"
	"github.com/tayninh/ktxh/warehouse/lake"
)

// BenchmarkDecodeAndCommit measures the CPU path of ingest without the
// network: decode records into a batch and commit it as durable Parquet.
func BenchmarkDecodeAndCommit(b *testing.B) {
	const perBatch = 100_000
	// More distinct applicants than the hasher caches, as in ktxh bench.
	values := make([][]byte, 120_000)
	for i := range values {
		values[i] = synth.BenchSnapshot(i)
	}
	dir := b.TempDir()
	l, err := lake.Open(dir, pipelines.Datasets(), lake.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	h, _ := transform.NewHasher(piiKey)
	dec := transform.NewOnestopDecoder(h)
	b.SetBytes(int64(len(values[0])))
	b.ReportAllocs()
	var off, lakeBytes int64
	batch := l.NewBatch("t", 0, 0)
	rec := transform.Record{Topic: "t", Timestamp: time.Now()}
	for b.Loop() {
		rec.Offset = off
		rec.Value = values[off%int64(len(values))]
		batch.Record(&rec)
		dec.Decode(&rec, batch)
		off++
		if off%perBatch == 0 {
			m, err := batch.Commit()
			if err != nil {
				b.Fatal(err)
			}
			for _, f := range m.Files {
				lakeBytes += f.Bytes
			}
			batch = l.NewBatch("t", 0, off)
		}
	}
	m, err := batch.Commit()
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range m.Files {
		lakeBytes += f.Bytes
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(lakeBytes)/float64(b.N), "parquet-B/record")
}
