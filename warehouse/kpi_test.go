package warehouse_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/pipelines/synth"
	"github.com/tayninh/ktxh/transform"
	"github.com/tayninh/ktxh/warehouse"
	"github.com/tayninh/ktxh/warehouse/lake"
)

// lt is a local (Asia/Ho_Chi_Minh) instant "2006-01-02 15:04[:05]" in
// Unix microseconds, 0 for "".
func lt(s string) int64 {
	if s == "" {
		return 0
	}
	layout := "2006-01-02 15:04"
	if len(s) > len(layout) {
		layout = "2006-01-02 15:04:05"
	}
	t, err := time.ParseInLocation(layout, s, ict)
	if err != nil {
		panic(err)
	}
	return t.UnixMicro()
}

// ksnap is one snapshot as it arrives, at Kafka timestamp kts.
type ksnap struct {
	kts string
	row transform.DossierSnapshot
}

// rsnap places a snapshot on Kafka partition part; item > 0 puts it in the
// same record (envelope) as the snapshot before it on that partition, at
// that index. ktsMicro, when set, replaces kts (sub-millisecond timestamps).
type rsnap struct {
	ksnap
	part     int32
	item     int32
	ktsMicro int64
}

func onPartition0(snaps []ksnap) []rsnap {
	out := make([]rsnap, len(snaps))
	for i, s := range snaps {
		out[i] = rsnap{ksnap: s}
	}
	return out
}

// lastEventAt is the decoder's latest event date (contract 4.1).
func lastEventAt(r *transform.DossierSnapshot) int64 {
	le := max(r.SubmittedAt, r.ReceivedAt, r.FinishedAt, r.ReturnedAt, r.RefusedAt)
	for _, s := range r.Supplements {
		le = max(le, s.RequestedAt, s.ReceivedAt)
	}
	for _, a := range r.Apologies {
		le = max(le, a.ApologyAt)
	}
	return le
}

// commitSnapshots writes snapshots to the lake through the ingester's
// batches, one batch per partition, in order. A partition the lake has not
// seen starts at offset firstOffset[partition].
func commitSnapshots(t testing.TB, dir string, snaps []rsnap, firstOffset map[int32]int64) (written []transform.DossierSnapshot) {
	t.Helper()
	l, err := lake.Open(dir, pipelines.Datasets(), lake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	byPart := map[int32][]rsnap{}
	var parts []int32
	for _, s := range snaps {
		if byPart[s.part] == nil {
			parts = append(parts, s.part)
		}
		byPart[s.part] = append(byPart[s.part], s)
	}
	for _, p := range parts {
		from, ok, err := l.Next("onestop.dossiers", int(p))
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			from = firstOffset[p]
		}
		b := l.NewBatch("onestop.dossiers", int(p), from)
		off := from - 1
		var kts time.Time
		for _, s := range byPart[p] {
			if s.item == 0 || off < from {
				off++
				kts = time.UnixMicro(lt(s.kts))
				if s.ktsMicro != 0 {
					kts = time.UnixMicro(s.ktsMicro)
				}
				b.Record(&transform.Record{Topic: "onestop.dossiers", Partition: p, Offset: off, Timestamp: kts, Value: []byte("x")})
			}
			r := s.row
			r.KafkaPartition, r.KafkaOffset, r.KafkaTimestamp, r.ItemIndex = p, off, kts.UnixMicro(), s.item
			r.LastEventAt = lastEventAt(&r)
			r.Month = transform.MonthOf(r.LastEventAt)
			if r.LastEventAt == 0 {
				r.Month = transform.MonthOf(r.KafkaTimestamp)
			}
			b.Row(transform.DatasetOnestopSnapshots, &r)
			written = append(written, r)
		}
		if _, err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	return written
}

const agencyA = "000.00.20.H53"

// dossier is a snapshot of dossier code in sector sector of agency A.
func dossier(code, sector string, status int32, received, due string) transform.DossierSnapshot {
	return transform.DossierSnapshot{DossierCode: code, SectorCode: sector, AgencyCode: agencyA,
		Status: status, ReceivedAt: lt(received), DueAt: lt(due), SubmittedAt: lt(received)}
}

func with(r transform.DossierSnapshot, f func(*transform.DossierSnapshot)) transform.DossierSnapshot {
	f(&r)
	return r
}

func supp(requested, received string) transform.Supplement {
	return transform.Supplement{RequestedAt: lt(requested), ReceivedAt: lt(received)}
}

// kpiCols are the counts checked by the fixtures, in this order.
const kpiCols = "received, carried_over, resolved, resolved_early, resolved_on_time, resolved_late, " +
	"open_end, open_paused, open_overdue, open_within, late_total, late_apologized"

// TestOnestopKPIRules checks every rule of contract 4.1 on hand-computed
// dossiers, one sector code each, so that each row of the result is one
// dossier's classification. The columns of want are kpiCols.
func TestOnestopKPIRules(t *testing.T) {
	type period struct{ view, month, want string }
	cases := []struct {
		name, sector string
		snaps        []ksnap
		want         []period // rows expected, by view and month; none elsewhere
	}{
		{
			name: "early by the local day although the UTC day is the same", sector: "T-01",
			// Due 10/5 06:00 local is 9/5 23:00 UTC; ended 9/5 23:30 local (16:30 UTC).
			snaps: []ksnap{
				{"2024-05-02 09:01", dossier("D01", "T-01", 2, "2024-05-02 09:00", "2024-05-10 06:00")},
				{"2024-05-10 08:01", with(dossier("D01", "T-01", 10, "2024-05-02 09:00", "2024-05-10 06:00"), func(r *transform.DossierSnapshot) {
					r.FinishedAt, r.ReturnedAt = lt("2024-05-09 23:30"), lt("2024-05-10 08:00")
				})},
			},
			want: []period{{"m", "2024-05", "1,0,1,1,0,0,0,0,0,0,0,0"}, {"r", "2024-05", "1,0,1,1,0,0,0,0,0,0,0,0"}},
		},
		{
			name: "on time: ended on the due date's local day, before the due time", sector: "T-02",
			snaps: []ksnap{
				{"2024-05-02 10:01", dossier("D02", "T-02", 2, "2024-05-02 10:00", "2024-05-10 17:00")},
				{"2024-05-10 16:59", with(dossier("D02", "T-02", 9, "2024-05-02 10:00", "2024-05-10 17:00"), func(r *transform.DossierSnapshot) {
					r.FinishedAt = lt("2024-05-10 16:59")
				})},
			},
			want: []period{{"m", "2024-05", "1,0,1,0,1,0,0,0,0,0,0,0"}, {"r", "2024-05", "1,0,1,0,1,0,0,0,0,0,0,0"}},
		},
		{
			name: "late: ended after the due time on the due date", sector: "T-03",
			snaps: []ksnap{
				{"2024-05-10 17:31", with(dossier("D03", "T-03", 9, "2024-05-02 11:00", "2024-05-10 17:00"), func(r *transform.DossierSnapshot) {
					r.FinishedAt = lt("2024-05-10 17:30")
				})},
			},
			want: []period{{"m", "2024-05", "1,0,1,0,0,1,0,0,0,0,1,0"}, {"r", "2024-05", "1,0,1,0,0,1,0,0,0,0,1,0"}},
		},
		{
			name: "on time: ended exactly at the due instant", sector: "T-04",
			snaps: []ksnap{
				{"2024-05-10 17:01", with(dossier("D04", "T-04", 10, "2024-05-02 12:00", "2024-05-10 17:00"), func(r *transform.DossierSnapshot) {
					r.FinishedAt, r.ReturnedAt = lt("2024-05-10 17:00"), lt("2024-05-11 08:00")
				})},
			},
			want: []period{{"m", "2024-05", "1,0,1,0,1,0,0,0,0,0,0,0"}, {"r", "2024-05", "1,0,1,0,1,0,0,0,0,0,0,0"}},
		},
		{
			name: "received 23:30 local on the month's last day: that month; open at its end", sector: "T-05",
			snaps: []ksnap{
				{"2024-05-31 23:31", dossier("D05", "T-05", 2, "2024-05-31 23:30", "2024-06-07 17:00")},
				{"2024-06-03 10:01", with(dossier("D05", "T-05", 9, "2024-05-31 23:30", "2024-06-07 17:00"), func(r *transform.DossierSnapshot) {
					r.FinishedAt = lt("2024-06-03 10:00")
				})},
			},
			want: []period{
				{"m", "2024-05", "1,0,0,0,0,0,1,0,0,1,0,0"},
				{"m", "2024-06", "0,1,1,1,0,0,0,0,0,0,0,0"},
				{"r", "2024-06", "1,0,1,1,0,0,0,0,0,0,0,0"},
			},
		},
		{
			name: "received 05:00 local on the 1st: that month, although UTC says the month before", sector: "T-06",
			snaps: []ksnap{{"2024-06-01 05:01", dossier("D06", "T-06", 2, "2024-06-01 05:00", "2024-06-20 17:00")}},
			// Due 20/6: overdue at the end of June, within at 15/6.
			want: []period{{"m", "2024-06", "1,0,0,0,0,0,1,0,1,0,1,0"}, {"r", "2024-06", "1,0,0,0,0,0,1,0,0,1,0,0"}},
		},
		{
			name: "two supplement requests: late although ended before the due date", sector: "T-07",
			snaps: []ksnap{
				{"2024-05-06 09:01", with(dossier("D07", "T-07", 5, "2024-05-03 08:00", "2024-05-20 17:00"), func(r *transform.DossierSnapshot) {
					r.Supplements = []transform.Supplement{supp("2024-05-06 09:00", "")}
				})},
				{"2024-05-15 15:01", with(dossier("D07", "T-07", 10, "2024-05-03 08:00", "2024-05-20 17:00"), func(r *transform.DossierSnapshot) {
					r.Supplements = []transform.Supplement{supp("2024-05-06 09:00", "2024-05-07 09:00"), supp("2024-05-08 09:00", "2024-05-09 09:00")}
					r.FinishedAt, r.ReturnedAt = lt("2024-05-15 10:00"), lt("2024-05-15 15:00")
				})},
			},
			// At 15/5 the dossier is open and overdue by its two requests.
			want: []period{
				{"m", "2024-05", "1,0,1,0,0,1,0,0,0,0,1,0"},
				{"r", "2024-05", "1,0,0,0,0,0,1,0,1,0,1,0"},
				{"r", "2024-06", "0,1,1,0,0,1,0,0,0,0,1,0"},
			},
		},
		{
			name: "an apology's re-appointment does not excuse lateness", sector: "T-08",
			snaps: []ksnap{
				{"2024-05-03 09:01", dossier("D08", "T-08", 2, "2024-05-03 09:00", "2024-05-13 17:00")},
				{"2024-05-13 10:01", with(dossier("D08", "T-08", 4, "2024-05-03 09:00", "2024-05-20 17:00"), func(r *transform.DossierSnapshot) {
					r.Apologies = []transform.Apology{{ApologyAt: lt("2024-05-13 10:00"), PrevDueAt: lt("2024-05-13 17:00"), NewDueAt: lt("2024-05-20 17:00")}}
				})},
				{"2024-05-17 10:01", with(dossier("D08", "T-08", 9, "2024-05-03 09:00", "2024-05-20 17:00"), func(r *transform.DossierSnapshot) {
					r.Apologies = []transform.Apology{{ApologyAt: lt("2024-05-13 10:00"), PrevDueAt: lt("2024-05-13 17:00"), NewDueAt: lt("2024-05-20 17:00")}}
					r.FinishedAt = lt("2024-05-17 10:00")
				})},
			},
			want: []period{
				{"m", "2024-05", "1,0,1,0,0,1,0,0,0,0,1,1"},
				{"r", "2024-05", "1,0,0,0,0,0,1,0,1,0,1,1"},
				{"r", "2024-06", "0,1,1,0,0,1,0,0,0,0,1,1"},
			},
		},
		{
			name: "paused at the period end: supplement requested, not received", sector: "T-09",
			snaps: []ksnap{
				{"2024-05-28 09:01", with(dossier("D09", "T-09", 5, "2024-05-20 09:00", "2024-06-10 17:00"), func(r *transform.DossierSnapshot) {
					r.Supplements = []transform.Supplement{supp("2024-05-28 09:00", "")}
				})},
			},
			want: []period{
				{"m", "2024-05", "1,0,0,0,0,0,1,1,0,0,0,0"},
				{"m", "2024-06", "0,1,0,0,0,0,1,1,0,0,0,0"},
				{"r", "2024-06", "1,0,0,0,0,0,1,1,0,0,0,0"},
			},
		},
		{
			name: "paused wins over overdue; supplement received exactly at the period end still pauses", sector: "T-10",
			snaps: []ksnap{
				{"2024-06-01 00:01", with(dossier("D10", "T-10", 4, "2024-05-21 09:00", "2024-05-24 17:00"), func(r *transform.DossierSnapshot) {
					r.Supplements = []transform.Supplement{supp("2024-05-23 09:00", "2024-06-01 00:00")}
				})},
			},
			want: []period{
				{"m", "2024-05", "1,0,0,0,0,0,1,1,0,0,0,0"},
				{"m", "2024-06", "0,1,0,0,0,0,1,0,1,0,1,0"},
				{"r", "2024-06", "1,0,0,0,0,0,1,0,1,0,1,0"},
			},
		},
		{
			name: "carried over and still open within its deadline", sector: "T-11",
			snaps: []ksnap{{"2024-04-15 09:01", dossier("D11", "T-11", 4, "2024-04-15 09:00", "2024-06-15 17:00")}},
			want: []period{
				{"m", "2024-04", "1,0,0,0,0,0,1,0,0,1,0,0"},
				{"m", "2024-05", "0,1,0,0,0,0,1,0,0,1,0,0"},
				{"m", "2024-06", "0,1,0,0,0,0,1,0,1,0,1,0"},
				{"r", "2024-05", "1,0,0,0,0,0,1,0,0,1,0,0"},
				{"r", "2024-06", "0,1,0,0,0,0,1,0,0,1,0,0"},
			},
		},
		{
			name: "carried over and resolved on the due date", sector: "T-12",
			snaps: []ksnap{
				{"2024-04-20 09:01", dossier("D12", "T-12", 2, "2024-04-20 09:00", "2024-05-06 17:00")},
				{"2024-05-06 10:01", with(dossier("D12", "T-12", 9, "2024-04-20 09:00", "2024-05-06 17:00"), func(r *transform.DossierSnapshot) {
					r.FinishedAt = lt("2024-05-06 10:00")
				})},
			},
			want: []period{
				{"m", "2024-04", "1,0,0,0,0,0,1,0,0,1,0,0"},
				{"m", "2024-05", "0,1,1,0,1,0,0,0,0,0,0,0"},
				{"r", "2024-05", "1,0,1,0,1,0,0,0,0,0,0,0"},
			},
		},
		{
			name: "no due date: on time when resolved", sector: "T-13",
			snaps: []ksnap{
				{"2024-05-20 10:01", with(dossier("D13", "T-13", 9, "2024-05-05 09:00", ""), func(r *transform.DossierSnapshot) {
					r.FinishedAt = lt("2024-05-20 10:00")
				})},
			},
			want: []period{{"m", "2024-05", "1,0,1,0,1,0,0,0,0,0,0,0"}, {"r", "2024-06", "0,1,1,0,1,0,0,0,0,0,0,0"}, {"r", "2024-05", "1,0,0,0,0,0,1,0,0,1,0,0"}},
		},
		{
			name: "no due date but two supplement requests: late", sector: "T-14",
			snaps: []ksnap{
				{"2024-05-25 10:01", with(dossier("D14", "T-14", 9, "2024-05-05 10:00", ""), func(r *transform.DossierSnapshot) {
					r.Supplements = []transform.Supplement{supp("2024-05-06 09:00", "2024-05-07 09:00"), supp("2024-05-08 09:00", "2024-05-09 09:00")}
					r.FinishedAt = lt("2024-05-25 10:00")
				})},
			},
			want: []period{
				{"m", "2024-05", "1,0,1,0,0,1,0,0,0,0,1,0"},
				{"r", "2024-05", "1,0,0,0,0,0,1,0,1,0,1,0"},
				{"r", "2024-06", "0,1,1,0,0,1,0,0,0,0,1,0"},
			},
		},
		{
			name: "no due date, open: within", sector: "T-15",
			snaps: []ksnap{{"2024-05-05 11:01", dossier("D15", "T-15", 4, "2024-05-05 11:00", "")}},
			want: []period{
				{"m", "2024-05", "1,0,0,0,0,0,1,0,0,1,0,0"},
				{"m", "2024-06", "0,1,0,0,0,0,1,0,0,1,0,0"},
				{"r", "2024-05", "1,0,0,0,0,0,1,0,0,1,0,0"},
				{"r", "2024-06", "0,1,0,0,0,0,1,0,0,1,0,0"},
			},
		},
		{
			name: "withdrawal without end dates ends at the Kafka timestamp of its record", sector: "T-16",
			snaps: []ksnap{
				{"2024-05-06 09:01", dossier("D16", "T-16", 2, "2024-05-06 09:00", "2024-05-20 17:00")},
				{"2024-05-12 10:00", dossier("D16", "T-16", 7, "2024-05-06 09:00", "2024-05-20 17:00")},
			},
			want: []period{{"m", "2024-05", "1,0,1,1,0,0,0,0,0,0,0,0"}, {"r", "2024-05", "1,0,1,1,0,0,0,0,0,0,0,0"}},
		},
		{
			name: "refused at reception: never counted, even with a reception date", sector: "T-17",
			snaps: []ksnap{
				{"2024-05-07 10:01", with(dossier("D17", "T-17", 3, "2024-05-07 09:00", ""), func(r *transform.DossierSnapshot) {
					r.RefusedAt = lt("2024-05-07 10:00")
				})},
			},
		},
		{
			name: "submitted, not yet accepted: not counted", sector: "T-18",
			snaps: []ksnap{{"2024-05-07 11:00", with(dossier("D18", "T-18", 1, "", ""), func(r *transform.DossierSnapshot) { r.SubmittedAt = lt("2024-05-07 11:00") })}},
		},
		{
			name: "open overdue with an apology before the period end", sector: "T-19",
			snaps: []ksnap{
				{"2024-05-25 10:01", with(dossier("D19", "T-19", 4, "2024-05-06 10:00", "2024-05-20 17:00"), func(r *transform.DossierSnapshot) {
					r.Apologies = []transform.Apology{{ApologyAt: lt("2024-05-25 10:00"), PrevDueAt: lt("2024-05-20 17:00"), NewDueAt: lt("2024-06-05 17:00")}}
				})},
			},
			want: []period{
				{"m", "2024-05", "1,0,0,0,0,0,1,0,1,0,1,1"},
				{"m", "2024-06", "0,1,0,0,0,0,1,0,1,0,1,1"},
				{"r", "2024-05", "1,0,0,0,0,0,1,0,0,1,0,0"},
				{"r", "2024-06", "0,1,0,0,0,0,1,0,1,0,1,1"},
			},
		},
		{
			name: "open overdue by two supplement requests before the period end", sector: "T-20",
			snaps: []ksnap{
				{"2024-05-15 09:01", with(dossier("D20", "T-20", 4, "2024-05-06 11:00", "2024-06-30 17:00"), func(r *transform.DossierSnapshot) {
					r.Supplements = []transform.Supplement{supp("2024-05-10 09:00", "2024-05-11 09:00"), supp("2024-05-14 09:00", "2024-05-15 09:00")}
				})},
			},
			want: []period{
				{"m", "2024-05", "1,0,0,0,0,0,1,0,1,0,1,0"},
				{"m", "2024-06", "0,1,0,0,0,0,1,0,1,0,1,0"},
				// At 15/5 00:00 the second request (14/5) is not yet answered.
				{"r", "2024-05", "1,0,0,0,0,0,1,1,0,0,0,0"},
				{"r", "2024-06", "0,1,0,0,0,0,1,0,1,0,1,0"},
			},
		},
		{
			name: "second supplement request after the period end: within, then paused", sector: "T-21",
			snaps: []ksnap{
				{"2024-06-02 09:01", with(dossier("D21", "T-21", 5, "2024-05-06 12:00", "2024-06-30 17:00"), func(r *transform.DossierSnapshot) {
					r.Supplements = []transform.Supplement{supp("2024-05-10 09:00", "2024-05-11 09:00"), supp("2024-06-02 09:00", "")}
				})},
			},
			want: []period{
				{"m", "2024-05", "1,0,0,0,0,0,1,0,0,1,0,0"},
				{"m", "2024-06", "0,1,0,0,0,0,1,1,0,0,0,0"},
				{"r", "2024-05", "1,0,0,0,0,0,1,0,0,1,0,0"},
				{"r", "2024-06", "0,1,0,0,0,0,1,1,0,0,0,0"},
			},
		},
		{
			name: "Decree 09 period: received 14th 23:59 local belongs to the period ending that month", sector: "T-22",
			snaps: []ksnap{{"2024-05-15 00:00", dossier("D22", "T-22", 2, "2024-05-14 23:59:59", "2024-06-20 17:00")}},
			want: []period{
				{"m", "2024-05", "1,0,0,0,0,0,1,0,0,1,0,0"},
				{"m", "2024-06", "0,1,0,0,0,0,1,0,1,0,1,0"},
				{"r", "2024-05", "1,0,0,0,0,0,1,0,0,1,0,0"},
				{"r", "2024-06", "0,1,0,0,0,0,1,0,0,1,0,0"},
			},
		},
		{
			name: "Decree 09 period: received 15th 00:00 local belongs to the next period", sector: "T-23",
			snaps: []ksnap{{"2024-05-15 00:01", dossier("D23", "T-23", 2, "2024-05-15 00:00", "2024-06-20 17:00")}},
			want: []period{
				{"m", "2024-05", "1,0,0,0,0,0,1,0,0,1,0,0"},
				{"m", "2024-06", "0,1,0,0,0,0,1,0,1,0,1,0"},
				{"r", "2024-06", "1,0,0,0,0,0,1,0,0,1,0,0"},
			},
		},
		{
			name: "ended exactly at the month's end: open at that end, resolved the next month", sector: "T-24",
			snaps: []ksnap{
				{"2024-06-01 00:01", with(dossier("D24", "T-24", 9, "2024-05-27 09:00", "2024-06-05 17:00"), func(r *transform.DossierSnapshot) {
					r.FinishedAt = lt("2024-06-01 00:00")
				})},
			},
			want: []period{
				{"m", "2024-05", "1,0,0,0,0,0,1,0,0,1,0,0"},
				{"m", "2024-06", "0,1,1,1,0,0,0,0,0,0,0,0"},
				{"r", "2024-06", "1,0,1,1,0,0,0,0,0,0,0,0"},
			},
		},
		{
			name: "Decree 09 period: ended the 15th 00:00 local is resolved in the next period", sector: "T-25",
			snaps: []ksnap{
				{"2024-05-15 00:01", with(dossier("D25", "T-25", 9, "2024-05-02 13:00", "2024-05-20 17:00"), func(r *transform.DossierSnapshot) {
					r.FinishedAt = lt("2024-05-15 00:00")
				})},
			},
			want: []period{
				{"m", "2024-05", "1,0,1,1,0,0,0,0,0,0,0,0"},
				{"r", "2024-05", "1,0,0,0,0,0,1,0,0,1,0,0"},
				{"r", "2024-06", "0,1,1,1,0,0,0,0,0,0,0,0"},
			},
		},
		{
			name: "a Tết week: 2 working days from 7/2 to 16/2/2024", sector: "W-TET",
			snaps: []ksnap{
				{"2024-02-16 15:01", with(dossier("W1", "W-TET", 9, "2024-02-07 10:00", "2024-02-20 17:00"), func(r *transform.DossierSnapshot) {
					r.FinishedAt = lt("2024-02-16 15:00")
				})},
			},
			// The reporting period ends on 15/2 00:00: open then, resolved in the next.
			want: []period{
				{"m", "2024-02", "1,0,1,1,0,0,0,0,0,0,0,0"},
				{"r", "2024-02", "1,0,0,0,0,0,1,0,0,1,0,0"},
				{"r", "2024-03", "0,1,1,1,0,0,0,0,0,0,0,0"},
			},
		},
		{
			name: "the 2024 weekend swap: 4 working days from 26/4 to 6/5/2024", sector: "W-SWAP",
			snaps: []ksnap{
				{"2024-05-06 15:01", with(dossier("W2", "W-SWAP", 9, "2024-04-26 10:00", "2024-05-10 17:00"), func(r *transform.DossierSnapshot) {
					r.FinishedAt = lt("2024-05-06 15:00")
				})},
			},
			want: []period{
				{"m", "2024-04", "1,0,0,0,0,0,1,0,0,1,0,0"},
				{"m", "2024-05", "0,1,1,1,0,0,0,0,0,0,0,0"},
				{"r", "2024-05", "1,0,1,1,0,0,0,0,0,0,0,0"},
			},
		},
	}

	dir := t.TempDir()
	var all []ksnap
	for _, c := range cases {
		all = append(all, c.snaps...)
	}
	// Arrival order must not matter: deliver newest first.
	sort.SliceStable(all, func(i, j int) bool { return all[i].kts > all[j].kts })
	commitSnapshots(t, dir, onPartition0(all), nil)
	w := open(t, dir)

	views := map[string]string{"m": "kpi_onestop_monthly", "r": "kpi_onestop_report_monthly"}
	months := map[string]bool{}
	for _, c := range cases {
		for _, p := range c.want {
			months[p.view+" "+p.month] = true
		}
	}
	for _, v := range []string{"m", "r"} {
		for _, m := range []string{"2024-02", "2024-03", "2024-04", "2024-05", "2024-06", "2024-07"} {
			months[v+" "+m] = true
		}
	}
	var keys []string
	for k := range months {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, m, _ := strings.Cut(k, " ")
		want := "sector_code, " + kpiCols + "\n"
		want = strings.ReplaceAll(want, ", ", ",")
		for _, c := range cases {
			for _, p := range c.want {
				if p.view == v && p.month == m {
					want += c.sector + "," + p.want + "\n"
				}
			}
		}
		got := query(t, w, fmt.Sprintf("SELECT sector_code, %s FROM %s WHERE month = '%s' ORDER BY sector_code", kpiCols, views[v], m))
		if got != want {
			t.Errorf("%s %s:\ngot\n%s\nwant\n%s", views[v], m, got, want)
		}
		if v == "m" && m <= "2024-06" {
			// The macro over the same month gives the same rows (the
			// monthly view stops at the last reception or end).
			from, _ := time.Parse("2006-01", m)
			got := query(t, w, fmt.Sprintf("SELECT sector_code, %s FROM kpi_onestop(DATE '%s', DATE '%s') ORDER BY sector_code",
				kpiCols, from.Format("2006-01-02"), from.AddDate(0, 1, 0).Format("2006-01-02")))
			if got != want {
				t.Errorf("kpi_onestop over %s:\ngot\n%s\nwant\n%s", m, got, want)
			}
		}
	}

	// Months run from the first reception (2024-02) to the last reception
	// or end (2024-06), with a row only where something is counted.
	if got := query(t, w, "SELECT DISTINCT month FROM kpi_onestop_monthly ORDER BY 1"); got != "month\n2024-02\n2024-04\n2024-05\n2024-06\n" {
		t.Errorf("months: %s", got)
	}

	// Working days and rates of single dossiers.
	nT := 0
	for _, c := range cases {
		for _, p := range c.want {
			if p.view == "m" && strings.HasPrefix(c.sector, "T-") {
				nT++
			}
		}
	}
	for _, c := range []struct{ q, want string }{
		{"SELECT avg_processing_workdays AS d FROM kpi_onestop_monthly WHERE sector_code = 'W-TET'", "d\n2\n"},
		{"SELECT avg_processing_workdays AS d FROM kpi_onestop_monthly WHERE sector_code = 'W-SWAP' AND month = '2024-05'", "d\n4\n"},
		// D01: from 2/5 09:00 to 9/5 23:30, the working days are 3, 4 (the
		// Saturday worked for 29/4), 6, 7, 8 and 9 May.
		{"SELECT avg_processing_workdays AS d FROM kpi_onestop_monthly WHERE sector_code = 'T-01'", "d\n6\n"},
		{"SELECT on_time_rate, progress_rate_766, online_share, apology_rate FROM kpi_onestop_monthly WHERE sector_code = 'T-08'", "on_time_rate,progress_rate_766,online_share,apology_rate\n0,0,0,1\n"},
		{"SELECT on_time_rate, progress_rate_766, apology_rate, avg_processing_workdays FROM kpi_onestop_monthly WHERE sector_code = 'T-09' AND month = '2024-05'", "on_time_rate,progress_rate_766,apology_rate,avg_processing_workdays\n,1,,\n"},
		{"SELECT sector_group, count(*) AS n FROM kpi_onestop_monthly WHERE sector_code LIKE 'T-%' GROUP BY 1", fmt.Sprintf("sector_group,n\nT,%d\n", nT)},
	} {
		if got := query(t, w, c.q); got != c.want {
			t.Errorf("%s:\ngot\n%s\nwant\n%s", c.q, got, c.want)
		}
	}

	// The province's May (hand count: 20 received, D11, D12 and W2 carried
	// over, 12 resolved, 11 open; late D03, D07, D08, D14 and D19, D20, of
	// which D08 and D19 apologised): the counts sum across sectors and the
	// identity holds.
	got := query(t, w, `SELECT sum(received)::BIGINT AS rec, sum(carried_over)::BIGINT AS co, sum(resolved)::BIGINT AS res,
		sum(open_end)::BIGINT AS open, sum(late_total)::BIGINT AS late, sum(late_apologized)::BIGINT AS apol,
		(sum(received_online) + sum(received_direct) + sum(received_postal))::BIGINT AS by_channel
		FROM kpi_onestop_monthly WHERE month = '2024-05'`)
	if want := "rec,co,res,open,late,apol,by_channel\n20,3,12,11,6,2,20\n"; got != want {
		t.Errorf("May totals:\ngot\n%s\nwant\n%s", got, want)
	}
}

// genSnapshots makes n dossiers' snapshots, deterministic for seed: every
// status, channels, supplements (some unanswered), apologies before and
// after the due date, replays of old snapshots, out-of-order delivery,
// status-only changes, envelopes with the same dossier twice, instants on
// the month and Decree 09 boundaries, and a partition whose offsets (and a
// few sub-millisecond Kafka timestamps) the packed current-state key cannot
// hold.
func genSnapshots(seed uint64, n int) []rsnap {
	rng := rand.New(rand.NewPCG(seed, 7))
	start := time.Date(2023, 11, 1, 0, 0, 0, 0, ict)
	now := time.Date(2024, 9, 30, 0, 0, 0, 0, ict)
	agencies := []string{"000.00.20.H53", "000.00.21.H53", "000.20.01.H53", "KHONG-RO"}
	sectors := []string{"G13-TN02", "G13-TN09", "G15-TP07", "X-01", "LOCAL"}
	us := func(t time.Time) int64 { return t.UnixMicro() }
	var out [][]rsnap // records
	for i := range n {
		code := fmt.Sprintf("%s-%06d", agencies[i%len(agencies)], i)
		base := transform.DossierSnapshot{DossierCode: code, AgencyCode: agencies[rng.IntN(len(agencies))], SectorCode: sectors[rng.IntN(len(sectors))]}
		if c := rng.IntN(5); c < 3 {
			base.Channel = &[]int32{1, 2, 3}[c]
		}
		recv := start.Add(time.Duration(rng.Int64N(int64(now.Sub(start)) * 9 / 10))).Truncate(time.Second)
		switch rng.IntN(20) { // boundaries
		case 0:
			recv = time.Date(recv.Year(), recv.Month(), 1, 0, 0, 0, 0, ict)
		case 1:
			recv = time.Date(recv.Year(), recv.Month(), 15, 0, 0, 0, 0, ict)
		case 2:
			recv = time.Date(recv.Year(), recv.Month()+1, 0, 23, 30, 0, 0, ict)
		case 3:
			recv = time.Date(recv.Year(), recv.Month(), 14, 23, 59, 59, 0, ict)
		}
		var due time.Time
		if rng.IntN(20) > 0 {
			due = time.Date(recv.Year(), recv.Month(), recv.Day()+3+rng.IntN(18), 17, 0, 0, 0, ict)
		}
		end := recv.Add(time.Duration(rng.Int64N(int64(40 * 24 * time.Hour)))).Truncate(time.Second)
		if rng.IntN(10) == 0 && !due.IsZero() {
			end = due // exactly at the due instant
		}
		if rng.IntN(15) == 0 {
			end = time.Date(end.Year(), end.Month()+1, 1, 0, 0, 0, 0, ict)
		}
		kind := rng.IntN(100)
		final := int32(10)
		switch {
		case kind < 3:
			final = 1
		case kind < 5:
			final = 3
		case kind < 60:
			final = 10
		case kind < 70:
			final = 9
		case kind < 75:
			final = 7
		case kind < 78:
			final = 8
		default:
			final = []int32{2, 4, 5, 6}[rng.IntN(4)]
		}
		if end.After(now) && final >= 7 {
			final = 4
		}
		type event struct {
			at     time.Time
			status int32
			apply  func(r *transform.DossierSnapshot)
		}
		var evs []event
		sub := recv.Add(-time.Duration(rng.IntN(3600)) * time.Second)
		evs = append(evs, event{sub, 1, func(r *transform.DossierSnapshot) { r.SubmittedAt = us(sub) }})
		if final == 1 {
			goto emit
		}
		if final == 3 {
			evs = append(evs, event{recv, 3, func(r *transform.DossierSnapshot) {
				r.RefusedAt = us(recv)
				if rng.IntN(2) == 0 {
					r.ReceivedAt = us(recv)
				}
			}})
			goto emit
		}
		evs = append(evs, event{recv, 2, func(r *transform.DossierSnapshot) {
			r.ReceivedAt = us(recv)
			if !due.IsZero() {
				r.DueAt = us(due)
			}
		}})
		{
			limit := end
			if final < 7 {
				limit = now
			}
			nsup := []int{0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 3}[rng.IntN(15)]
			at := recv
			for k := range nsup {
				req := at.Add(time.Duration(1+rng.Int64N(int64(limit.Sub(at)/time.Second)/int64(nsup-k+1)+1)) * time.Second)
				if !req.Before(limit) {
					break
				}
				back := req.Add(time.Duration(1+rng.Int64N(int64(5*24*time.Hour/time.Second))) * time.Second)
				idx := k
				evs = append(evs, event{req, 5, func(r *transform.DossierSnapshot) {
					r.Supplements = append(r.Supplements[:idx:idx], transform.Supplement{RequestedAt: us(req)})
				}})
				if back.Before(limit) && !(final == 5 && k == nsup-1) {
					evs = append(evs, event{back, 4, func(r *transform.DossierSnapshot) {
						s := append([]transform.Supplement(nil), r.Supplements...)
						s[idx].ReceivedAt = us(back)
						r.Supplements = s
					}})
					at = back
				} else {
					break
				}
			}
			late := !due.IsZero() && (limit.After(due) || final < 7)
			if late && rng.IntN(10) < 6 {
				for k := range 1 + rng.IntN(2) {
					apo := due.Add(time.Duration(rng.IntN(72)-36)*time.Hour + time.Duration(k)*72*time.Hour)
					if apo.Before(recv) || !apo.Before(limit) {
						continue
					}
					prev := due.Add(time.Duration(k) * 7 * 24 * time.Hour)
					evs = append(evs, event{apo, 4, func(r *transform.DossierSnapshot) {
						r.Apologies = append(append([]transform.Apology(nil), r.Apologies...),
							transform.Apology{ApologyAt: us(apo), PrevDueAt: us(prev), NewDueAt: us(prev.Add(7 * 24 * time.Hour)), Reason: "quá tải"})
						r.DueAt = us(prev.Add(7 * 24 * time.Hour))
					}})
				}
			}
			if final >= 7 {
				withDates := final != 7 || rng.IntN(2) == 0
				evs = append(evs, event{end, final, func(r *transform.DossierSnapshot) {
					if withDates {
						r.FinishedAt = us(end)
					}
				}})
				if final == 10 {
					ret := end.Add(time.Duration(rng.IntN(48)) * time.Hour)
					evs = append(evs, event{ret, 10, func(r *transform.DossierSnapshot) {
						if rng.IntN(5) == 0 {
							r.FinishedAt = 0 // only the return date: end_at falls back to it
						}
						r.ReturnedAt = us(ret)
					}})
				}
			}
		}
	emit:
		sort.SliceStable(evs, func(a, b int) bool { return evs[a].at.Before(evs[b].at) })
		r := base
		part := int32(i % 3)
		if i%97 == 0 {
			part = 3 // offsets from 2^30: the exact path
		}
		var snaps []rsnap
		for k, ev := range evs {
			ev.apply(&r)
			r.Status = ev.status
			if k == len(evs)-1 && final < 7 {
				r.Status = final
			}
			kts := ev.at.Add(time.Duration(rng.IntN(120000)) * time.Millisecond)
			s := rsnap{ksnap: ksnap{kts: "", row: r}, part: part, ktsMicro: kts.UnixMicro()}
			if i%101 == 0 {
				s.ktsMicro += int64(rng.IntN(999) + 1) // sub-millisecond
			}
			snaps = append(snaps, s)
		}
		last := snaps[len(snaps)-1]
		var envelope *rsnap
		switch rng.IntN(12) {
		case 0: // an old snapshot replayed later
			old := snaps[rng.IntN(len(snaps))]
			old.ktsMicro = last.ktsMicro + int64(rng.IntN(86400))*1e6
			snaps = append(snaps, old)
		case 1: // a status-only change: same events, later Kafka timestamp
			if last.row.Status == 4 {
				c := last
				c.row.Status = 6
				c.ktsMicro += 60e6
				snaps = append(snaps, c)
			}
		case 2: // the same dossier twice in one envelope: the later item wins
			if last.row.Status == 4 {
				c := last
				c.row.Status = 6
				c.item = 1
				envelope = &c
			}
		}
		for k, s := range snaps {
			rec := []rsnap{s}
			if k == len(snaps)-1 && envelope != nil {
				rec = append(rec, *envelope)
			}
			out = append(out, rec)
		}
	}
	// Deliver by Kafka timestamp, with some neighbours swapped.
	sort.SliceStable(out, func(a, b int) bool {
		if out[a][0].part != out[b][0].part {
			return out[a][0].part < out[b][0].part
		}
		return out[a][0].ktsMicro < out[b][0].ktsMicro
	})
	for k := 1; k < len(out); k++ {
		if out[k][0].part == out[k-1][0].part && rng.IntN(10) == 0 {
			out[k], out[k-1] = out[k-1], out[k]
		}
	}
	var flat []rsnap
	for _, rec := range out {
		flat = append(flat, rec...)
	}
	return flat
}

// oracle computes contract 4.1 directly from the snapshots written, as an
// independent check of the SQL: current states, then every period's counts.
type oracle struct {
	states   map[string]transform.DossierSnapshot
	calendar map[string]string // date -> holiday | workday
}

func newOracle(t testing.TB, rows []transform.DossierSnapshot) *oracle {
	o := &oracle{states: map[string]transform.DossierSnapshot{}, calendar: map[string]string{}}
	rank := func(s int32) int {
		switch s {
		case 10:
			return 2
		case 3, 7, 8, 9:
			return 1
		}
		return 0
	}
	newer := func(a, b *transform.DossierSnapshot) bool {
		ka := [6]int64{a.LastEventAt, int64(rank(a.Status)), a.KafkaTimestamp, int64(a.KafkaPartition), a.KafkaOffset, int64(a.ItemIndex)}
		kb := [6]int64{b.LastEventAt, int64(rank(b.Status)), b.KafkaTimestamp, int64(b.KafkaPartition), b.KafkaOffset, int64(b.ItemIndex)}
		for i := range ka {
			if ka[i] != kb[i] {
				return ka[i] > kb[i]
			}
		}
		return false
	}
	for _, r := range rows {
		if cur, ok := o.states[r.DossierCode]; !ok || newer(&r, &cur) {
			o.states[r.DossierCode] = r
		}
	}
	b, err := os.ReadFile(filepath.Join("dimdata", "calendar.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		if f := strings.SplitN(line, ",", 3); len(f) == 3 {
			o.calendar[f[0]] = f[1]
		}
	}
	return o
}

func (o *oracle) workday(d time.Time) bool {
	switch o.calendar[d.Format("2006-01-02")] {
	case "holiday":
		return false
	case "workday":
		return true
	}
	return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
}

func localDate(us int64) time.Time {
	t := time.UnixMicro(us).In(ict)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, ict)
}

// periodOf numbers periods 12*year+month-1 by the month they end in.
func periodOf(kind string, us int64) int {
	t := time.UnixMicro(us).In(ict)
	k := t.Year()*12 + int(t.Month()) - 1
	if kind == "report" && t.Day() >= 15 {
		k++
	}
	return k
}

func periodStart(kind string, k int) int64 {
	if kind == "report" {
		return time.Date((k-1)/12, time.Month((k-1)%12+1), 15, 0, 0, 0, 0, ict).UnixMicro()
	}
	return time.Date(k/12, time.Month(k%12+1), 1, 0, 0, 0, 0, ict).UnixMicro()
}

// states is "code,status,partition,offset,item" per dossier, sorted.
func (o *oracle) statesCSV() string {
	var lines []string
	for code, s := range o.states {
		lines = append(lines, fmt.Sprintf("%s,%d,%d,%d,%d\n", code, s.Status, s.KafkaPartition, s.KafkaOffset, s.ItemIndex))
	}
	sort.Strings(lines)
	return "dossier_code,status,kafka_partition,kafka_offset,item_index\n" + strings.Join(lines, "")
}

const oracleCols = "agency_code, sector_code, sector_group, received, received_online, received_direct, received_postal, " +
	"carried_over, resolved, resolved_early, resolved_on_time, resolved_late, open_end, open_paused, open_overdue, open_within, " +
	"late_total, late_apologized, processing_workdays_total"

// periods returns the rows of kpi_onestop_monthly (kind "month") or
// kpi_onestop_report_monthly ("report") as CSV: month, then oracleCols.
func (o *oracle) periods(kind string) string {
	type fact struct {
		agency, sector, group             string
		channel                           *int32
		recv, end, due, second, firstApol int64
		supplements                       []transform.Supplement
		late, early                       bool
		workdays                          int64
	}
	var facts []fact
	k0, k1 := 1<<30, -1
	for _, s := range o.states {
		if s.ReceivedAt == 0 || s.Status == 1 || s.Status == 3 {
			continue
		}
		f := fact{agency: s.AgencyCode, sector: s.SectorCode, channel: s.Channel, recv: s.ReceivedAt, due: s.DueAt, supplements: s.Supplements}
		f.group = f.sector
		if i := strings.Index(f.sector, "-"); i >= 0 {
			f.group = f.sector[:i]
		}
		if s.Status >= 7 {
			f.end = cmp.Or(s.FinishedAt, s.ReturnedAt, s.KafkaTimestamp)
		}
		var apos []transform.Apology
		for _, a := range s.Apologies {
			if a.ApologyAt != 0 {
				apos = append(apos, a)
			}
		}
		sort.Slice(apos, func(i, j int) bool { return apos[i].ApologyAt < apos[j].ApologyAt })
		if len(apos) > 0 {
			f.firstApol = apos[0].ApologyAt
			if apos[0].PrevDueAt != 0 {
				f.due = apos[0].PrevDueAt
			}
		}
		var reqs []int64
		for _, x := range s.Supplements {
			if x.RequestedAt != 0 {
				reqs = append(reqs, x.RequestedAt)
			}
		}
		slices.Sort(reqs)
		if len(reqs) >= 2 {
			f.second = reqs[1]
		}
		if f.end != 0 {
			f.late = len(s.Supplements) >= 2 || (f.due != 0 && f.end > f.due)
			f.early = !f.late && f.due != 0 && localDate(f.end).Before(localDate(f.due))
			for d := localDate(f.recv).AddDate(0, 0, 1); !d.After(localDate(f.end)); d = d.AddDate(0, 0, 1) {
				if o.workday(d) {
					f.workdays++
				}
			}
			k1 = max(k1, periodOf(kind, f.end))
		}
		k0, k1 = min(k0, periodOf(kind, f.recv)), max(k1, periodOf(kind, f.recv))
		facts = append(facts, f)
	}
	type key struct{ agency, sector, group string }
	var out strings.Builder
	for k := k0; k <= k1; k++ {
		t0, t1 := periodStart(kind, k), periodStart(kind, k+1)
		rows := map[key]*[16]int64{}
		for _, f := range facts {
			c := rows[key{f.agency, f.sector, f.group}]
			if c == nil {
				c = new([16]int64)
			}
			touched := false
			if f.recv >= t0 && f.recv < t1 {
				touched = true
				c[0]++
				switch {
				case f.channel != nil && *f.channel == 2:
					c[1]++
				case f.channel != nil && *f.channel == 3:
					c[3]++
				default:
					c[2]++
				}
			}
			if f.recv < t0 && (f.end == 0 || f.end >= t0) {
				touched = true
				c[4]++
			}
			if f.end != 0 && f.end >= t0 && f.end < t1 {
				touched = true
				c[5]++
				switch {
				case f.late:
					c[8]++
					c[13]++
					if f.firstApol != 0 && f.firstApol < t1 {
						c[14]++
					}
				case f.early:
					c[6]++
				default:
					c[7]++
				}
				c[15] += f.workdays
			}
			if f.recv < t1 && (f.end == 0 || f.end >= t1) {
				touched = true
				c[9]++
				paused := false
				for _, x := range f.supplements {
					if x.RequestedAt != 0 && x.RequestedAt < t1 && (x.ReceivedAt == 0 || x.ReceivedAt >= t1) {
						paused = true
					}
				}
				overdue := (f.due != 0 && f.due < t1) || (f.second != 0 && f.second < t1)
				switch {
				case paused:
					c[10]++
				case overdue:
					c[11]++
					c[13]++
					if f.firstApol != 0 && f.firstApol < t1 {
						c[14]++
					}
				default:
					c[12]++
				}
			}
			if touched {
				rows[key{f.agency, f.sector, f.group}] = c
			}
		}
		var keys []key
		for k := range rows {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if keys[i].agency != keys[j].agency {
				return keys[i].agency < keys[j].agency
			}
			return keys[i].sector < keys[j].sector
		})
		for _, kk := range keys {
			c := rows[kk]
			fmt.Fprintf(&out, "%04d-%02d,%s,%s,%s", k/12, k%12+1, kk.agency, kk.sector, kk.group)
			// received..received_postal, carried, resolved, early, on time, late, open, paused, overdue, within, late_total, apologized, workdays
			for _, i := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15} {
				fmt.Fprintf(&out, ",%d", c[i])
			}
			out.WriteString("\n")
		}
	}
	return out.String()
}

// TestOnestopKPIMatchesOracle checks the warehouse against the oracle on a
// generated province, and the identity received + carried_over = resolved +
// open_end on every row.
func TestOnestopKPIMatchesOracle(t *testing.T) {
	dir := t.TempDir()
	written := commitSnapshots(t, dir, genSnapshots(1, 3000), map[int32]int64{3: 1 << 30})
	o := newOracle(t, written)
	w := open(t, dir)

	if got, want := query(t, w, "SELECT dossier_code, status, kafka_partition, kafka_offset, item_index FROM dossier_current ORDER BY 1"), o.statesCSV(); got != want {
		t.Errorf("current states differ from the oracle:\n%s", firstDiff(got, want))
	}
	header := "month," + strings.ReplaceAll(oracleCols, ", ", ",") + "\n"
	for _, v := range []struct{ view, kind string }{{"kpi_onestop_monthly", "month"}, {"kpi_onestop_report_monthly", "report"}} {
		got := query(t, w, fmt.Sprintf("SELECT month, %s FROM %s ORDER BY month, agency_code, sector_code", oracleCols, v.view))
		if want := header + o.periods(v.kind); got != want {
			t.Errorf("%s differs from the oracle:\n%s", v.view, firstDiff(got, want))
		}
		if got := query(t, w, "SELECT count(*) AS broken FROM "+v.view+" WHERE received + carried_over <> resolved + open_end"); got != "broken\n0\n" {
			t.Errorf("%s: identity broken: %s", v.view, got)
		}
	}
	// kpi_onestop over each calendar month gives that month's rows.
	got := query(t, w, fmt.Sprintf(`SELECT m.month, k.*
		FROM (SELECT DISTINCT month FROM kpi_onestop_monthly) m,
		LATERAL (SELECT %s FROM kpi_onestop(CAST(m.month || '-01' AS DATE), CAST(m.month || '-01' AS DATE) + INTERVAL 1 MONTH)) k
		ORDER BY 1, 2, 3`, oracleCols))
	if want := header + o.periods("month"); got != want {
		t.Errorf("kpi_onestop differs from the oracle:\n%s", firstDiff(got, want))
	}
	// Rates from the counts.
	if got := query(t, w, `SELECT count(*) AS n FROM kpi_onestop_monthly WHERE
		on_time_rate IS DISTINCT FROM (resolved_early + resolved_on_time) / nullif(resolved, 0)
		OR progress_rate_766 IS DISTINCT FROM (resolved_early + resolved_on_time + open_within + open_paused) / nullif(resolved + open_end, 0)
		OR online_share IS DISTINCT FROM received_online / nullif(received, 0)
		OR apology_rate IS DISTINCT FROM late_apologized / nullif(late_total, 0)
		OR avg_processing_workdays IS DISTINCT FROM processing_workdays_total / nullif(resolved, 0)
		OR NOT (on_time_rate BETWEEN 0 AND 1 OR on_time_rate IS NULL)`); got != "n\n0\n" {
		t.Errorf("rates: %s", got)
	}
}

// firstDiff shows the first differing line of two CSV texts.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d (of %d got, %d want):\n got  %s\n want %s", i+1, len(g), len(w), gl, wl)
		}
	}
	return "identical"
}

// recordingSink forwards to the lake batch and keeps the dossier rows.
type recordingSink struct {
	*lake.Batch
	rows []transform.DossierSnapshot
}

func (s *recordingSink) Row(dataset string, row any) {
	if r, ok := row.(*transform.DossierSnapshot); ok {
		s.rows = append(s.rows, *r)
	}
	s.Batch.Row(dataset, row)
}

// TestOnestopKPIOnSyntheticProvince runs the synthetic province's dossier
// messages through the real decoder into a lake, then checks the identity on
// every row and the counts against the oracle.
func TestOnestopKPIOnSyntheticProvince(t *testing.T) {
	dir := t.TempDir()
	l, err := lake.Open(dir, pipelines.Datasets(), lake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := transform.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	dec := transform.NewOnestopDecoder(h)
	sink := &recordingSink{Batch: l.NewBatch("onestop.dossiers", 0, 0)}
	var off int64
	cfg := synth.Config{Seed: 7, From: time.Date(2024, 11, 1, 0, 0, 0, 0, ict), To: time.Date(2025, 2, 1, 0, 0, 0, 0, ict), Scale: 0.01}
	err = synth.Generate(context.Background(), cfg, func(m synth.Message) error {
		if m.Topic != synth.DefaultDossiers {
			return nil
		}
		rec := &transform.Record{Topic: m.Topic, Partition: 0, Offset: off, Timestamp: m.Time, Value: m.Value}
		off++
		sink.Record(rec)
		if m.Value != nil {
			dec.Decode(rec, sink)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sink.Commit(); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if len(sink.rows) < 1000 {
		t.Fatalf("only %d snapshots generated", len(sink.rows))
	}
	w := open(t, dir)
	o := newOracle(t, sink.rows)
	header := "month," + strings.ReplaceAll(oracleCols, ", ", ",") + "\n"
	for _, v := range []struct{ view, kind string }{{"kpi_onestop_monthly", "month"}, {"kpi_onestop_report_monthly", "report"}} {
		if got := query(t, w, "SELECT count(*) AS broken FROM "+v.view+" WHERE received + carried_over <> resolved + open_end"); got != "broken\n0\n" {
			t.Errorf("%s: identity broken: %s", v.view, got)
		}
		got := query(t, w, fmt.Sprintf("SELECT month, %s FROM %s ORDER BY month, agency_code, sector_code", oracleCols, v.view))
		if want := header + o.periods(v.kind); got != want {
			t.Errorf("%s differs from the oracle:\n%s", v.view, firstDiff(got, want))
		}
	}
	// The generated province has land dossiers, late ones and apologies.
	got := query(t, w, `SELECT sum(received) > 0 AND sum(resolved_late) > 0 AND sum(late_apologized) > 0 AS ok
		FROM kpi_onestop_monthly WHERE sector_group = 'G13'`)
	if got != "ok\ntrue\n" {
		t.Errorf("synthetic province looks empty: %s", got)
	}
}

// TestCalendarOverride replaces the built-in calendar with dims/calendar.csv:
// the working days change with it.
func TestCalendarOverride(t *testing.T) {
	dir := t.TempDir()
	commitSnapshots(t, dir, onPartition0([]ksnap{
		{"2024-05-06 15:01", with(dossier("W2", "W-SWAP", 9, "2024-04-26 10:00", "2024-05-10 17:00"), func(r *transform.DossierSnapshot) {
			r.FinishedAt = lt("2024-05-06 15:00")
		})},
	}), nil)
	const q = `SELECT avg_processing_workdays AS d, workdays_between(TIMESTAMPTZ '2024-04-26 10:00:00+07', TIMESTAMPTZ '2024-05-06 15:00:00+07') AS m
		FROM kpi_onestop_monthly WHERE month = '2024-05'`
	// Built in: 29/4 (swapped), 30/4 and 1/5 off, Saturday 4/5 worked.
	if got := query(t, open(t, dir), q); got != "d,m\n4,4\n" {
		t.Errorf("built-in calendar: %s", got)
	}
	// A calendar knowing only 3/5 as a holiday: 29, 30/4, 1, 2 and 6/5.
	os.MkdirAll(filepath.Join(dir, "dims"), 0o755)
	os.WriteFile(filepath.Join(dir, "dims", "calendar.csv"), []byte("date,kind,name\n2024-05-03,holiday,Test\n"), 0o644)
	w := open(t, dir)
	if got := query(t, w, q); got != "d,m\n5,5\n" {
		t.Errorf("overridden calendar: %s", got)
	}
	// dim_calendar still spans 2015-2027 and shows the override.
	if got := query(t, w, `SELECT count(*) AS n, min(date) AS lo, max(date) AS hi, count(*) FILTER (WHERE kind = 'holiday') AS h FROM dim_calendar`); got != "n,lo,hi,h\n4748,2015-01-01,2027-12-31,1\n" {
		t.Errorf("dim_calendar: %s", got)
	}
	os.WriteFile(filepath.Join(dir, "dims", "calendar.csv"), []byte("date,kind,name\n2024-05-03,vacation,Test\n"), 0o644)
	if _, err := warehouse.Open(dir, pipelines.Datasets(), warehouse.Options{}); err == nil || !strings.Contains(err.Error(), "want holiday or workday") {
		t.Errorf("bad kind: %v", err)
	}
}

// TestWorkingDays counts working days across the announced holidays and
// weekend swaps of the built-in calendar (contract 4: the first day is not
// counted, the last is).
func TestWorkingDays(t *testing.T) {
	w := open(t, t.TempDir())
	for _, c := range []struct {
		from, to string
		want     int
		why      string
	}{
		{"2024-02-07 10:00", "2024-02-16 15:00", 2, "Tết Giáp Thìn: 8-14/2 off"},
		{"2024-04-26 10:00", "2024-05-06 15:00", 4, "29/4 swapped for Saturday 4/5, 30/4, 1/5"},
		{"2019-04-26 10:00", "2019-05-06 08:00", 4, "2019: 29/4 swapped for Saturday 4/5"},
		{"2025-04-25 10:00", "2025-05-05 08:00", 4, "2025: Saturday 26/4 worked for 2/5; 30/4, 1/5, 2/5 off"},
		{"2026-01-01 10:00", "2026-01-12 08:00", 7, "2026: 2/1 swapped for Saturday 10/1"},
		{"2026-08-21 10:00", "2026-09-04 08:00", 8, "2026: Saturday 22/8 worked for 31/8; 1/9, 2/9 off"},
		{"2025-01-24 17:00", "2025-02-03 08:00", 1, "Tết Ất Tỵ: 27-31/1 off"},
		{"2024-05-06 08:00", "2024-05-06 17:00", 0, "same day"},
		{"2024-05-10 23:30", "2024-05-13 00:30", 1, "Friday night to Monday"},
		{"2030-01-04 10:00", "2030-01-14 10:00", 6, "beyond the calendar: weekends only"},
	} {
		q := fmt.Sprintf("SELECT workdays_between(TIMESTAMPTZ '%s:00+07', TIMESTAMPTZ '%s:00+07') AS n", c.from, c.to)
		if got, want := query(t, w, q), fmt.Sprintf("n\n%d\n", c.want); got != want {
			t.Errorf("%s (%s): got %s", c.why, q, got)
		}
	}
	// Every year of the built-in calendar has its 11 holidays (10 before
	// 2021) on weekdays or compensated, and a swap worked is a weekend day.
	got := query(t, w, `SELECT count(*) FILTER (WHERE kind = 'holiday' AND day_of_week > 5) AS weekend_holidays,
		count(*) FILTER (WHERE kind = 'workday' AND day_of_week <= 5) AS weekday_workdays,
		count(DISTINCT year) AS years FROM dim_calendar`)
	if got != "weekend_holidays,weekday_workdays,years\n0,0,13\n" {
		t.Errorf("dim_calendar: %s", got)
	}
}

// TestDimensions checks the built-in sector dimension, the prefix rule for
// codes it does not list, agency successors and their overrides.
func TestDimensions(t *testing.T) {
	dir := t.TempDir()
	commitSnapshots(t, dir, onPartition0([]ksnap{
		{"2024-05-02 09:01", with(dossier("S1", "G13-TN02", 2, "2024-05-02 09:00", ""), func(r *transform.DossierSnapshot) { r.AgencyCode = "000.20.01.H53" })},
		{"2024-05-02 09:02", with(dossier("S2", "G13-TN99", 2, "2024-05-02 09:00", ""), func(r *transform.DossierSnapshot) { r.SectorName = "Mới" })},
		{"2024-05-02 09:03", dossier("S3", "LOCAL", 2, "2024-05-02 09:00", "")},
	}), nil)
	w := open(t, dir)
	if got := query(t, w, "SELECT sector_code, name, sector_group, group_name FROM dim_sector WHERE sector_code IN ('G13-TN02', 'G15-TP07')"); got != "sector_code,name,sector_group,group_name\nG13-TN02,Đất đai,G13,Tài nguyên và Môi trường\nG15-TP07,Hộ tịch,G15,Tư pháp\n" {
		t.Errorf("dim_sector: %s", got)
	}
	if got := query(t, w, "SELECT dossier_code, sector_name, sector_group, sector_group_name FROM dossiers ORDER BY 1"); got != "dossier_code,sector_name,sector_group,sector_group_name\nS1,Đất đai,G13,Tài nguyên và Môi trường\nS2,Mới,G13,Tài nguyên và Môi trường\nS3,,LOCAL,\n" {
		t.Errorf("dossiers' sectors: %s", got)
	}
	// Overrides: a chain A -> B -> C, a cycle X <-> Y, a sector group renamed.
	os.MkdirAll(filepath.Join(dir, "dims"), 0o755)
	os.WriteFile(filepath.Join(dir, "dims", "agencies.csv"), []byte(`agency_code,name,level,parent_code,valid_from,valid_to,successor_code
A,Huyện A,district,P,,2025-06-30,B
B,Xã B,commune,P,2025-07-01,2025-12-31,C
C,Xã C,commune,P,2026-01-01,,
X,X,department,P,,2025-02-28,Y
Y,Y,department,P,,2025-02-28,X
P,Tỉnh,province,,,,
`), 0o644)
	os.WriteFile(filepath.Join(dir, "dims", "sectors.csv"), []byte("sector_code,name,sector_group,group_name\nLOCAL,Địa phương,,\nG13-TN02,Đất đai,G13,TN&MT\n"), 0o644)
	w = open(t, dir)
	if got := query(t, w, "SELECT agency_code, level, parent_code, current_agency_code, current_agency_name FROM dim_agency ORDER BY 1"); got != "agency_code,level,parent_code,current_agency_code,current_agency_name\nA,district,P,C,Xã C\nB,commune,P,C,Xã C\nC,commune,P,C,Xã C\nP,province,,P,Tỉnh\nX,department,P,Y,Y\nY,department,P,X,X\n" {
		t.Errorf("dim_agency: %s", got)
	}
	if got := query(t, w, "SELECT dossier_code, sector_name, sector_group, sector_group_name FROM dossiers ORDER BY 1"); got != "dossier_code,sector_name,sector_group,sector_group_name\nS1,Đất đai,G13,TN&MT\nS2,Mới,G13,TN&MT\nS3,Địa phương,LOCAL,\n" {
		t.Errorf("dossiers' sectors with sectors.csv: %s", got)
	}
}

// TestKPIRefresh: files committed after Open reach the KPI views on the next
// query.
func TestKPIRefresh(t *testing.T) {
	dir := t.TempDir()
	w := open(t, dir)
	if got := query(t, w, "SELECT count(*) AS n FROM kpi_onestop_monthly"); got != "n\n0\n" {
		t.Errorf("empty lake: %s", got)
	}
	commitSnapshots(t, dir, onPartition0([]ksnap{{"2024-05-02 09:01", dossier("R1", "G13-TN02", 2, "2024-05-02 09:00", "2024-05-10 17:00")}}), nil)
	if got := query(t, w, "SELECT month, received, open_end FROM kpi_onestop_monthly"); got != "month,received,open_end\n2024-05,1,1\n" {
		t.Errorf("after the first files: %s", got)
	}
	commitSnapshots(t, dir, onPartition0([]ksnap{{"2024-05-09 10:01", with(dossier("R1", "G13-TN02", 9, "2024-05-02 09:00", "2024-05-10 17:00"), func(r *transform.DossierSnapshot) {
		r.FinishedAt = lt("2024-05-09 10:00")
	})}}), nil)
	if got := query(t, w, "SELECT month, received, resolved_early, open_end FROM kpi_onestop_monthly"); got != "month,received,resolved_early,open_end\n2024-05,1,1,0\n" {
		t.Errorf("after more files: %s", got)
	}
}

// TestKPIColumns: the macro and both monthly views have the same columns,
// the views with month first; counts are BIGINT, rates DOUBLE.
func TestKPIColumns(t *testing.T) {
	w := open(t, t.TempDir())
	cols := func(rel string) string {
		return query(t, w, "SELECT string_agg(column_name || ' ' || column_type, '; ') AS c FROM (DESCRIBE SELECT * FROM "+rel+")")
	}
	want := "c\nagency_code VARCHAR; sector_code VARCHAR; sector_group VARCHAR; received BIGINT; received_online BIGINT; " +
		"received_direct BIGINT; received_postal BIGINT; carried_over BIGINT; resolved BIGINT; resolved_early BIGINT; " +
		"resolved_on_time BIGINT; resolved_late BIGINT; open_end BIGINT; open_paused BIGINT; open_overdue BIGINT; " +
		"open_within BIGINT; late_total BIGINT; late_apologized BIGINT; on_time_rate DOUBLE; progress_rate_766 DOUBLE; " +
		"online_share DOUBLE; apology_rate DOUBLE; avg_processing_workdays DOUBLE; processing_workdays_total BIGINT\n"
	if got := cols("kpi_onestop(DATE '2024-05-01', DATE '2024-06-01')"); got != want {
		t.Errorf("kpi_onestop columns:\n%s\nwant\n%s", got, want)
	}
	for _, v := range []string{"kpi_onestop_monthly", "kpi_onestop_report_monthly"} {
		if got := cols(v); got != strings.Replace(want, "c\n", "c\nmonth VARCHAR; ", 1) {
			t.Errorf("%s columns:\n%s", v, got)
		}
	}
}
