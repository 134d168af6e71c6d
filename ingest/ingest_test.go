package ingest_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/tayninh/ktxh/ingest"
	"github.com/tayninh/ktxh/internal/testkafka"
	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/transform"
	"github.com/tayninh/ktxh/warehouse/lake"
)

const topic = pipelines.TopicDossiers

var piiKey = []byte("ingest-test-key-0123456789")

func run(t *testing.T, ctx context.Context, brokers []string, dir, group string, mod func(*ingest.Options)) error {
	t.Helper()
	l, err := lake.Open(dir, pipelines.Datasets(), lake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	o := ingest.DefaultOptions()
	o.Brokers = brokers
	o.Group = group
	o.Lake = l
	o.ExitWhenCaughtUp = true
	o.Sources = pipelines.Sources(pipelines.Topics{Dossiers: topic}, piiKey)[:1]
	if mod != nil {
		mod(&o)
	}
	return ingest.Run(ctx, o)
}

type landed struct {
	snapshots  []transform.DossierSnapshot
	quarantine []lake.QuarantineRow
}

func readLake(t *testing.T, dir string) landed {
	t.Helper()
	var out landed
	files, _ := filepath.Glob(filepath.Join(dir, transform.DatasetOnestopSnapshots, "month=*", "*.parquet"))
	for _, f := range files {
		rows, err := parquet.ReadFile[transform.DossierSnapshot](f)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		out.snapshots = append(out.snapshots, rows...)
	}
	files, _ = filepath.Glob(filepath.Join(dir, "quarantine", "topic=*", "*.parquet"))
	for _, f := range files {
		rows, err := parquet.ReadFile[lake.QuarantineRow](f)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		out.quarantine = append(out.quarantine, rows...)
	}
	return out
}

// landedOnce checks that the lake at dir holds want distinct records, each
// once.
func landedOnce(t *testing.T, dir string, want int) {
	t.Helper()
	seen := map[[2]int64]int{}
	for _, s := range readLake(t, dir).snapshots {
		seen[[2]int64{int64(s.KafkaPartition), s.KafkaOffset}]++
	}
	if len(seen) != want {
		t.Errorf("landed %d distinct records, want %d", len(seen), want)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("record %v landed %d times", k, n)
		}
	}
}

func dossier(code string, status int) []byte {
	return []byte(fmt.Sprintf(`{"MaHoSo":%q,"TrangThaiHoSo":%d,"MaLinhVuc":"G13-TN02","NgayTiepNhan":"20190913080000","SoGiayToChuHoSo":"072090001234","ChuHoSo":"Trần Thị Bình"}`, code, status))
}

func TestIngestLandsEveryShapeAndQuarantines(t *testing.T) {
	brokers := testkafka.Broker(t, 2, topic)
	ts := time.Date(2019, 9, 13, 10, 0, 0, 0, time.UTC)
	msgs := []testkafka.Msg{
		{Partition: 0, Value: dossier("A-1", 2), Time: ts},
		{Partition: 0, Value: []byte(`[` + string(dossier("A-2", 2)) + `,{"MaHoSo":"A-3"},` + string(dossier("A-4", 4)) + `]`), Time: ts},
		{Partition: 0, Value: []byte(`{"service":"DongBoHoSoMC","madonvi":"000.00.31.H53","data":[` + string(dossier("A-5", 9)) + `]}`), Time: ts},
		{Partition: 0, Value: nil, Time: ts}, // tombstone
		{Partition: 1, Value: []byte(`{not json`), Time: ts},
		{Partition: 1, Value: []byte{}, Time: ts},
		{Partition: 1, Value: []byte("{\"MaHoSo\":\"\xff\"}"), Time: ts},
		{Partition: 1, Value: dossier("B-1", 11), Time: ts},
		{Partition: 1, Value: []byte(`[]`), Time: ts},
		{Partition: 1, Value: []byte(`{"MaHoSo":"B-3","TrangThaiHoSo":2,"TenTTHC":"` + strings.Repeat("x", 1<<20) + `"}`), Time: ts},
		{Partition: 1, Value: []byte(`"just a string"`), Time: ts},
		{Partition: 1, Value: dossier("B-2", 10), Time: ts}, // still flows after the bad ones
	}
	testkafka.Produce(t, brokers, topic, msgs...)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := run(t, ctx, brokers, dir, "g1", nil); err != nil {
		t.Fatal(err)
	}
	got := readLake(t, dir)
	var codes []string
	for _, s := range got.snapshots {
		codes = append(codes, s.DossierCode)
		if s.ApplicantHash == "" {
			t.Errorf("%s: no applicant hash", s.DossierCode)
		}
	}
	sort.Strings(codes)
	if want := "A-1 A-2 A-4 A-5 B-1? B-2"; strings.Join(codes, " ") != "A-1 A-2 A-4 A-5 B-2" {
		t.Errorf("landed %v, want %s without B-1", codes, want)
	}
	reasons := map[string]string{}
	for _, q := range got.quarantine {
		reasons[fmt.Sprintf("%d/%d", q.Partition, q.Offset)] = strings.SplitN(q.Reason, ":", 2)[0]
		if strings.Contains(q.Excerpt, "Trần Thị Bình") || strings.Contains(q.Excerpt, "072090001234") {
			t.Errorf("personal data in quarantine excerpt: %s", q.Excerpt)
		}
	}
	want := map[string]string{"0/1": "missing_field", "1/0": "invalid_json", "1/1": "invalid_json", "1/2": "invalid_utf8", "1/3": "out_of_range",
		"1/5": "too_large", "1/6": "not_an_object"}
	if fmt.Sprint(reasons) != fmt.Sprint(want) {
		t.Errorf("quarantine = %v, want %v", reasons, want)
	}
	ms, err := lake.ReadManifests(dir, topic, 0)
	if err != nil {
		t.Fatal(err)
	}
	var tomb, recs int64
	for _, m := range ms {
		tomb += m.Tombstones
		recs += m.Records
	}
	if tomb != 1 || recs != 4 {
		t.Errorf("partition 0: %d records, %d tombstones; want 4 and 1", recs, tomb)
	}
}

// Two consumers of one group share the partitions, and a second run over
// the same lake adds nothing: every record lands exactly once.
func TestTwoConsumersExactlyOnce(t *testing.T) {
	const parts, perPart = 4, 3000
	brokers := testkafka.Broker(t, parts, topic)
	produceDossiers(t, brokers, parts, perPart, "P")
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	small := func(o *ingest.Options) { o.FlushRecords = 500 }
	runTogether(t, func(int) error { return run(t, ctx, brokers, dir, "shared", small) })
	if err := run(t, ctx, brokers, dir, "other-group", small); err != nil {
		t.Fatal(err)
	}
	landedOnce(t, dir, parts*perPart)
}

// Two consumer groups writing one lake race to commit the same offset
// ranges. The loser of each race learns of it from its background commit,
// drops the batch it was filling and resumes where the lake says: every
// record lands once.
func TestTwoGroupsOneLakeExactlyOnce(t *testing.T) {
	const parts, perPart = 2, 4000
	brokers := testkafka.Broker(t, parts, topic)
	produceDossiers(t, brokers, parts, perPart, "P")
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	conflicts := &countingHandler{match: "another writer committed first; resuming from the lake"}
	runTogether(t, func(i int) error {
		return run(t, ctx, brokers, dir, fmt.Sprintf("group-%d", i), func(o *ingest.Options) {
			o.FlushRecords = 200
			o.Logger = slog.New(conflicts)
		})
	})
	if conflicts.n.Load() == 0 {
		t.Fatal("the two groups never raced for a commit; the test did not test anything")
	}
	t.Logf("%d lost commit races", conflicts.n.Load())
	landedOnce(t, dir, parts*perPart)
}

// runTogether runs two ingests at once and fails on either's error.
func runTogether(t *testing.T, ingest func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = ingest(i)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// countingHandler counts log records whose message is match.
type countingHandler struct {
	match string
	n     atomic.Int64
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.match {
		h.n.Add(1)
	}
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

// A backfill in time order commits a batch whenever it has FlushFiles
// Parquet files open, keeping memory low; records scattered over many
// months still make batches of at least FlushRecords/10. Nothing is lost or
// repeated across those commits.
func TestBatchFilesBounded(t *testing.T) {
	for _, tc := range []struct {
		name  string
		month func(i int) int
	}{
		{"in time order", func(i int) int { return 1 + i/25 }},
		{"scattered", func(i int) int { return 1 + i%12 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			brokers := testkafka.Broker(t, 1, topic)
			var msgs []testkafka.Msg
			for i := 0; i < 300; i++ {
				v := fmt.Sprintf(`{"MaHoSo":"M-%d","TrangThaiHoSo":2,"NgayTiepNhan":"2019%02d13080000"}`, i, tc.month(i))
				msgs = append(msgs, testkafka.Msg{Partition: 0, Value: []byte(v), Time: time.Now()})
			}
			testkafka.Produce(t, brokers, topic, msgs...)
			dir := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := run(t, ctx, brokers, dir, "files", func(o *ingest.Options) { o.FlushFiles, o.FlushRecords = 3, 200 }); err != nil {
				t.Fatal(err)
			}
			ms, err := lake.ReadManifests(dir, topic, 0)
			if err != nil {
				t.Fatal(err)
			}
			for i, m := range ms {
				last := i == len(ms)-1
				if tc.name == "in time order" && len(m.Files) > 3 {
					t.Errorf("batch [%d,%d) has %d files, want at most 3", m.From, m.Next, len(m.Files))
				}
				if !last && m.Records < 20 {
					t.Errorf("batch [%d,%d) has %d records, want at least FlushRecords/10 = 20", m.From, m.Next, m.Records)
				}
			}
			if tc.name == "in time order" && len(ms) < 4 {
				t.Errorf("%d batches for 12 months in order with FlushFiles 3", len(ms))
			}
			if n := len(readLake(t, dir).snapshots); n != 300 {
				t.Errorf("landed %d snapshots, want 300", n)
			}
		})
	}
}
