package warehouse_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/transform"
	"github.com/tayninh/ktxh/warehouse"
	"github.com/tayninh/ktxh/warehouse/lake"
)

// Agencies of the fixtures. A1 and A2 are districts closed on 30 Jun 2025
// whose work passed to C, a new agency from 1 Jul 2025.
const (
	agS  = "000.00.12.H53"
	agR  = "000.00.31.H53"
	agR2 = "000.00.32.H53"
	agA1 = "000.20.41.H53"
	agA2 = "000.20.42.H53"
	agC  = "000.20.50.H53"
)

const esAgencies = `agency_code,name,level,parent_code,valid_from,valid_to,successor_code
000.00.00.H53,UBND tỉnh,province,,,,
000.00.12.H53,Sở Tư pháp,department,000.00.00.H53,,,
000.00.31.H53,Sở A,department,000.00.00.H53,,,
000.00.32.H53,Sở B,department,000.00.00.H53,,,
000.20.41.H53,Huyện 1,district,000.00.00.H53,,2025-06-30,000.20.50.H53
000.20.42.H53,Huyện 2,district,000.00.00.H53,,2025-06-30,000.20.50.H53
000.20.50.H53,Xã mới,commune,000.00.00.H53,2025-07-01,,
`

// Holidays of the fixtures: 2 and 3 Sep 2024 (Monday, Tuesday).
const esCalendar = `date,kind,name
2024-09-02,holiday,Quốc khánh
2024-09-03,holiday,Quốc khánh
`

// esMsg is one Kafka record of a fixture and the row it decodes to. Offsets
// are given in order of appearance within each topic partition.
type esMsg struct {
	partition int32
	kafkaTS   string
	row       any
}

// writeESLake commits the rows through the ingester's batches, one batch per
// topic partition, after the fixture dimensions.
func writeESLake(t *testing.T, dir string, msgs []esMsg) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "dims"), 0o755); err != nil {
		t.Fatal(err)
	}
	for f, s := range map[string]string{"agencies.csv": esAgencies, "calendar.csv": esCalendar} {
		if err := os.WriteFile(warehouse.DimOverride(dir, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, err := lake.Open(dir, pipelines.Datasets(), lake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type tp struct {
		topic     string
		partition int32
	}
	var order []tp
	byTP := map[tp][]esMsg{}
	for _, m := range msgs {
		topic := pipelines.TopicDocuments
		if _, ok := m.row.(*transform.StaffRecord); ok {
			topic = pipelines.TopicStaffing
		} else if _, ok := m.row.(*transform.StaffQuota); ok {
			topic = pipelines.TopicStaffing
		}
		k := tp{topic, m.partition}
		if _, ok := byTP[k]; !ok {
			order = append(order, k)
		}
		byTP[k] = append(byTP[k], m)
	}
	for _, k := range order {
		from, _, err := l.Next(k.topic, int(k.partition))
		if err != nil {
			t.Fatal(err)
		}
		b := l.NewBatch(k.topic, int(k.partition), from)
		for i, m := range byTP[k] {
			off := from + int64(i)
			ts := time.UnixMicro(at(m.kafkaTS))
			b.Record(&transform.Record{Topic: k.topic, Partition: k.partition, Offset: off, Timestamp: ts, Value: []byte("x")})
			p, us := k.partition, ts.UnixMicro()
			switch r := m.row.(type) {
			case *transform.EgovDocument:
				r.KafkaPartition, r.KafkaOffset, r.KafkaTimestamp = p, off, us
				r.Month = transform.MonthOf(r.PromulgationDate)
				b.Row(transform.DatasetEgovDocuments, r)
			case *transform.EgovStatus:
				r.KafkaPartition, r.KafkaOffset, r.KafkaTimestamp = p, off, us
				r.Month = transform.MonthOf(r.StatusAt)
				b.Row(transform.DatasetEgovStatus, r)
			case *transform.StaffRecord:
				r.KafkaPartition, r.KafkaOffset, r.KafkaTimestamp = p, off, us
				r.Year = strconv.Itoa(time.Unix(int64(r.StartDate)*86400, 0).UTC().Year())
				b.Row(transform.DatasetStaffRecords, r)
			case *transform.StaffQuota:
				r.KafkaPartition, r.KafkaOffset, r.KafkaTimestamp = p, off, us
				b.Row(transform.DatasetStaffQuota, r)
			default:
				t.Fatalf("fixture row %T", m.row)
			}
		}
		if _, err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

func openESWith(t *testing.T, dir string, opts warehouse.Options) *warehouse.Warehouse {
	t.Helper()
	w, err := warehouse.Open(dir, pipelines.Datasets(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// esDocOpt sets an optional part of a document package.
type esDocOpt func(*transform.EgovDocument)

func esSigned(d *transform.EgovDocument) { d.Signed = true }
func esPaper(d *transform.EgovDocument)  { d.Paper = true }
func esDue(day string) esDocOpt {
	return func(d *transform.EgovDocument) { d.DueDate = at(day + " 00:00") }
}
func esRevokePackage(d *transform.EgovDocument) {
	one := int32(1)
	d.BusinessDocType = &one
}

// esDoc is a document package sent by from, promulgated on day, arriving in
// Kafka at 08:00 that day.
func esDoc(id, from, day string, opts ...esDocOpt) esMsg {
	d := &transform.EgovDocument{DocumentID: id, FromOrganID: from, PromulgationDate: at(day + " 00:00"), Format: "json"}
	for _, o := range opts {
		o(d)
	}
	return esMsg{0, day + " 08:00", d}
}

// esStatus is a status package reported by organ at instant when (local time),
// arriving in Kafka at that instant.
func esStatus(id, organ, code, when string) esMsg {
	return esMsg{1, when, &transform.EgovStatus{DocumentID: id, OrganID: organ, StatusCode: code, StatusAt: at(when), Format: "json"}}
}

// esReplayed is m received again later on another partition.
func esReplayed(m esMsg, kafkaTS string) esMsg {
	m.partition, m.kafkaTS = 2, kafkaTS
	switch r := m.row.(type) {
	case *transform.EgovDocument:
		c := *r
		m.row = &c
	case *transform.EgovStatus:
		c := *r
		m.row = &c
	}
	return m
}

func TestKPIEgovMonthly(t *testing.T) {
	dir := t.TempDir()
	doc1 := esDoc("DOC1", agS, "2024-08-29", esSigned, esDue("2024-09-10"))
	doc5 := esDoc("DOC5", agS, "2024-09-09", esSigned, esDue("2024-09-15"))
	revoke5 := esDoc("DOC5", agS, "2024-09-09", esRevokePackage, esPaper)
	revoke5.kafkaTS = "2024-09-11 09:00"
	writeESLake(t, dir, []esMsg{
		// DOC3's package comes first: in one Parquet file, an absent due
		// date, a present one, then absent ones (DOC2) is the order in
		// which parquet-go stored an absent value as the epoch
		// (third_party/README.md). The views take the lake's NULLs as
		// they are: DOC3 must not fall due on 1 Jan 1970.
		esDoc("DOC3", agS, "2024-08-31"),
		// DOC1: signed, electronic only; received Friday 30 Aug, completed
		// Wednesday 4 Sep across a weekend and the 2-3 Sep holidays: 1
		// working day. Its package and statuses are replayed; a second 01
		// with a later time is a resend, not a second arrival.
		doc1,
		esStatus("DOC1", agR, "01", "2024-08-30 09:00"),
		esStatus("DOC1", agR, "03", "2024-08-30 10:00"),
		esStatus("DOC1", agR, "06", "2024-09-04 10:00"),
		esReplayed(doc1, "2024-09-05 08:00"),
		esReplayed(esStatus("DOC1", agR, "06", "2024-09-04 10:00"), "2024-09-05 08:00"),
		esReplayed(esStatus("DOC1", agR, "01", "2024-09-02 08:00"), "2024-09-05 08:00"),
		// DOC2: with a paper copy, unsigned; arrives at 23:59 on 31 Aug
		// (August), completed Friday 6 Sep: 3 working days.
		esDoc("DOC2", agS, "2024-08-30", esPaper),
		esStatus("DOC2", agR, "01", "2024-08-31 23:59"),
		esStatus("DOC2", agR, "06", "2024-09-06 15:00"),
		// DOC3: electronic only, unsigned; arrives at 00:00 on 1 Sep
		// (September), completed Monday 9 Sep: 4 working days.
		esStatus("DOC3", agR, "01", "2024-09-01 00:00"),
		esStatus("DOC3", agR, "06", "2024-09-09 11:00"),
		// DOC4: due 20 Sep, open and overdue at the end of September and
		// October; an update accepted (15 with no revoke request) closes
		// nothing; completed on 5 Nov after 42 working days.
		esDoc("DOC4", agS, "2024-09-05", esSigned, esDue("2024-09-20")),
		esStatus("DOC4", agR, "01", "2024-09-06 10:00"),
		esStatus("DOC4", agR, "15", "2024-09-12 10:00"),
		esStatus("DOC4", agR, "06", "2024-11-05 09:00"),
		// DOC5: due 15 Sep, sent to R and R2, revoked by the sender: R
		// accepts (15), R2 refuses (16) and keeps it open and overdue. The
		// revoke package does not replace the document sent.
		doc5,
		esStatus("DOC5", agR, "01", "2024-09-10 08:00"),
		esStatus("DOC5", agR2, "01", "2024-09-10 08:30"),
		esStatus("DOC5", agS, "13", "2024-09-11 09:00"),
		esStatus("DOC5", agR, "15", "2024-09-11 10:00"),
		esStatus("DOC5", agR2, "16", "2024-09-11 10:30"),
		revoke5,
		// A revoke package of a document sent before the lake began is not
		// a document sent.
		esDoc("DOC0", agS, "2024-09-20", esRevokePackage),
		// DOC16: due 13 Sep; an update accepted (15) on 5 Sep, then the
		// sender's revoke request and R's acceptance (15 again, reported
		// twice): revoked on 11 Sep, not overdue.
		esDoc("DOC16", agS, "2024-09-02", esSigned, esDue("2024-09-13")),
		esStatus("DOC16", agR, "01", "2024-09-04 08:00"),
		esStatus("DOC16", agR, "15", "2024-09-05 08:00"),
		esStatus("DOC16", agS, "13", "2024-09-10 08:00"),
		esStatus("DOC16", agR, "15", "2024-09-11 08:00"),
		esReplayed(esStatus("DOC16", agR, "15", "2024-09-11 08:00"), "2024-09-12 08:00"),
		// DOC7: due 25 Sep, completed 3 Oct: overdue at the end of
		// September only; 12 working days.
		esDoc("DOC7", agS, "2024-09-16", esPaper, esDue("2024-09-25")),
		esStatus("DOC7", agR, "01", "2024-09-17 09:00"),
		esStatus("DOC7", agR, "06", "2024-10-03 14:00"),
		// DOC6: R sends to S in October.
		esDoc("DOC6", agR, "2024-10-02", esSigned),
		esStatus("DOC6", agS, "01", "2024-10-02 15:00"),
	})
	w := openESWith(t, dir, warehouse.Options{})

	tests := []struct {
		name, query, want string
	}{
		{
			name:  "kpi_egov_monthly",
			query: "SELECT * FROM kpi_egov_monthly ORDER BY month, agency_code",
			want: `month,agency_code,sent,sent_electronic_only,sent_signed,received,completed,avg_completion_workdays,open_overdue,electronic_share,signed_share
2024-08,000.00.12.H53,3,2,1,0,0,,0,0.6666666666666666,0.3333333333333333
2024-08,000.00.31.H53,0,0,0,2,0,,0,,
2024-09,000.00.12.H53,4,3,3,0,0,,0,0.75,0.75
2024-09,000.00.31.H53,0,0,0,5,3,2.6666666666666665,2,,
2024-09,000.00.32.H53,0,0,0,1,0,,1,,
2024-10,000.00.12.H53,0,0,0,1,0,,0,,
2024-10,000.00.31.H53,1,1,1,0,1,12,1,1,1
2024-10,000.00.32.H53,0,0,0,0,0,,1,,
2024-11,000.00.31.H53,0,0,0,0,1,42,0,,
2024-11,000.00.32.H53,0,0,0,0,0,,1,,
`,
		},
		{
			name:  "documents deduplicated",
			query: "SELECT document_id, paper, package_count FROM egov_documents WHERE document_id IN ('DOC1', 'DOC5') ORDER BY 1",
			want:  "document_id,paper,package_count\nDOC1,false,2\nDOC5,false,2\n",
		},
		{
			name:  "statuses deduplicated",
			query: "SELECT status_code, status_at, report_count FROM egov_status WHERE document_id = 'DOC1' ORDER BY status_at",
			want:  "status_code,status_at,report_count\n01,2024-08-30 09:00:00+07,2\n03,2024-08-30 10:00:00+07,1\n06,2024-09-04 10:00:00+07,2\n",
		},
		{
			name:  "revocation",
			query: "SELECT document_id, agency_code, revoked_at, closed_at FROM egov_arrivals WHERE revoked_at IS NOT NULL ORDER BY 1",
			want:  "document_id,agency_code,revoked_at,closed_at\nDOC16,000.00.31.H53,2024-09-11 08:00:00+07,2024-09-11 08:00:00+07\nDOC5,000.00.31.H53,2024-09-11 10:00:00+07,2024-09-11 10:00:00+07\n",
		},
		{
			name:  "lake rows kept",
			query: "SELECT (SELECT count(*) FROM lake_egov_documents) AS documents, (SELECT count(*) FROM lake_egov_status) AS statuses",
			want:  "documents,statuses\n11,25\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := query(t, w, tc.query); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestKPIEgovRestated(t *testing.T) {
	dir := t.TempDir()
	writeESLake(t, dir, []esMsg{
		// DOC8 goes to A1 and A2. A2 completes it in June (2 working days);
		// A1 closes on 30 Jun with it open and overdue, and C, its
		// successor, completes it on 3 Jul (9 working days from A1's 01).
		esDoc("DOC8", agS, "2025-06-19", esSigned, esDue("2025-06-27")),
		esStatus("DOC8", agA1, "01", "2025-06-20 09:00"),
		esStatus("DOC8", agA2, "01", "2025-06-20 10:00"),
		esStatus("DOC8", agA2, "06", "2025-06-24 16:00"),
		esStatus("DOC8", agC, "06", "2025-07-03 10:00"),
		// DOC11: to A1, never finished: overdue at A1 from June on.
		esDoc("DOC11", agS, "2025-06-25", esDue("2025-06-26")),
		esStatus("DOC11", agA1, "01", "2025-06-25 09:00"),
		// DOC14, DOC15: completed by A1 in 3 and 8 working days.
		esDoc("DOC14", agS, "2025-06-02"),
		esStatus("DOC14", agA1, "01", "2025-06-02 09:00"),
		esStatus("DOC14", agA1, "06", "2025-06-05 09:00"),
		esDoc("DOC15", agS, "2025-06-02"),
		esStatus("DOC15", agA1, "01", "2025-06-02 09:00"),
		esStatus("DOC15", agA1, "06", "2025-06-12 09:00"),
		// Sent by A1 (paper) before the merger, by C after.
		esDoc("DOC9", agA1, "2025-06-10", esPaper),
		esDoc("DOC10", agC, "2025-07-15", esSigned),
	})
	w := openESWith(t, dir, warehouse.Options{})
	tests := []struct {
		name, query, want string
	}{
		{
			name:  "as reported",
			query: "SELECT * FROM kpi_egov_monthly ORDER BY month, agency_code",
			want: `month,agency_code,sent,sent_electronic_only,sent_signed,received,completed,avg_completion_workdays,open_overdue,electronic_share,signed_share
2025-06,000.00.12.H53,4,4,1,0,0,,0,1,0.25
2025-06,000.20.41.H53,1,0,0,4,2,5.5,2,0,0
2025-06,000.20.42.H53,0,0,0,1,1,2,0,,
2025-07,000.20.41.H53,0,0,0,0,0,,1,,
2025-07,000.20.50.H53,1,1,1,0,1,9,0,1,1
`,
		},
		{
			// The average is recomputed from the summed parts, (3+8+2)/3,
			// not the mean of 5.5 and 2.
			name:  "restated",
			query: "SELECT * FROM kpi_egov_monthly_current ORDER BY month, agency_code",
			want: `month,agency_code,sent,sent_electronic_only,sent_signed,received,completed,avg_completion_workdays,open_overdue,electronic_share,signed_share
2025-06,000.00.12.H53,4,4,1,0,0,,0,1,0.25
2025-06,000.20.50.H53,1,0,0,5,3,4.333333333333333,2,0,0
2025-07,000.20.50.H53,1,1,1,0,1,9,1,1,1
`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := query(t, w, tc.query); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// esDay is a civil date as a Parquet DATE: days since 1970-01-01.
func esDay(s string) int32 {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return int32(t.Unix() / 86400)
}

// esRec is an employment record received at kafkaTS on partition p.
func esRec(p int32, kafkaTS, no, agency, class, start, end, reason string) esMsg {
	r := &transform.StaffRecord{RecordNo: no, AgencyCode: agency, StaffClass: class, StartDate: esDay(start), EndReason: reason}
	if end != "" {
		r.EndDate = esDay(end)
	}
	return esMsg{p, kafkaTS, r}
}

// esQuota is a quota record received at kafkaTS.
func esQuota(kafkaTS, agency, class string, year int, n int32) esMsg {
	return esMsg{0, kafkaTS, &transform.StaffQuota{AgencyCode: agency, StaffClass: class, Year: strconv.Itoa(year), Quota: n}}
}

func TestKPIStaffingMonthly(t *testing.T) {
	dir := t.TempDir()
	const x, y = agS, agR
	const k = "2024-08-05 10:00" // when most records arrive
	writeESLake(t, dir, []esMsg{
		esRec(0, k, "X-1", x, "CC", "2015-03-01", "", ""),
		esRec(0, k, "X-2", x, "CC", "2015-03-01", "2024-05-31", "NGHI_HUU"),
		esRec(0, k, "X-3", x, "CC", "2020-01-15", "2024-05-10", "THOI_VIEC"),
		esRec(0, k, "X-4", x, "CC", "2018-07-01", "2024-06-30", "TINH_GIAN"),
		// A transfer: a departure from X, a hire at Y.
		esRec(0, k, "X-5", x, "CC", "2016-01-01", "2024-06-15", "CHUYEN_CONG_TAC"),
		esRec(0, k, "Y-1", y, "CC", "2024-06-16", "", ""),
		esRec(0, k, "X-6", x, "CC", "2024-06-03", "", ""),
		// Upserted: the version with the later Kafka timestamp stands
		// (end 31 Jul, retirement) although its offset is smaller.
		esRec(0, "2024-05-21 10:00", "X-7", x, "CC", "2017-01-01", "2024-05-20", "THOI_VIEC"),
		esRec(1, "2024-06-01 10:00", "X-7", x, "CC", "2017-01-01", "2024-07-31", "NGHI_HUU"),
		// A contract end planned for 2027 is not a fact yet: the months
		// stop at August 2024, the month of the latest record received.
		esRec(0, k, "X-10", x, "CC", "2024-07-01", "2027-12-31", "KHAC"),
		esRec(0, k, "X-8", x, "VC", "2015-05-01", "", ""),
		esRec(0, k, "X-9", x, "HD", "2023-01-01", "", ""),
		// The 2015 quota of X/CC is upserted from 10 to 8.
		esQuota("2015-01-10 10:00", x, "CC", 2015, 10),
		esQuota("2015-02-10 10:00", x, "CC", 2015, 8),
		esQuota("2015-01-10 10:00", x, "VC", 2015, 2),
		esQuota("2015-01-10 10:00", y, "CC", 2015, 4),
		esQuota("2024-01-10 10:00", x, "CC", 2024, 6),
		esQuota("2024-01-10 10:00", x, "VC", 2024, 2),
		esQuota("2024-01-10 10:00", y, "CC", 2024, 4),
	})
	w := openESWith(t, dir, warehouse.Options{})
	tests := []struct {
		name, query, want string
	}{
		{
			name:  "months",
			query: "SELECT min(month) AS first, max(month) AS last, count(DISTINCT month) AS n FROM kpi_staffing_monthly",
			want:  "first,last,n\n2015-01,2024-08,116\n",
		},
		{
			name:  "headcount persists",
			query: "SELECT month, agency_code, staff_class, headcount_end, quota, quota_base FROM kpi_staffing_monthly WHERE month IN ('2015-01', '2019-06') ORDER BY 1, 2, 3",
			want: `month,agency_code,staff_class,headcount_end,quota,quota_base
2015-01,000.00.12.H53,CC,0,8,8
2015-01,000.00.12.H53,VC,0,2,2
2015-01,000.00.31.H53,CC,0,4,4
2019-06,000.00.12.H53,CC,5,,8
2019-06,000.00.12.H53,VC,1,,2
`,
		},
		{
			name:  "kpi_staffing_monthly",
			query: "SELECT * FROM kpi_staffing_monthly WHERE month BETWEEN '2024-04' AND '2024-08' ORDER BY month, agency_code, staff_class",
			want: `month,agency_code,staff_class,headcount_end,hires,departures,departures_tinh_gian,departures_nghi_huu,departures_thoi_viec,quota,quota_base,quota_reduction_vs_base,headcount_reduction_vs_base
2024-04,000.00.12.H53,CC,6,0,0,0,0,0,6,8,0.25,0.25
2024-04,000.00.12.H53,HD,1,0,0,0,0,0,,,,
2024-04,000.00.12.H53,VC,1,0,0,0,0,0,2,2,0,0.5
2024-04,000.00.31.H53,CC,0,0,0,0,0,0,4,4,0,1
2024-05,000.00.12.H53,CC,4,0,2,0,1,1,6,8,0.25,0.5
2024-05,000.00.12.H53,HD,1,0,0,0,0,0,,,,
2024-05,000.00.12.H53,VC,1,0,0,0,0,0,2,2,0,0.5
2024-05,000.00.31.H53,CC,0,0,0,0,0,0,4,4,0,1
2024-06,000.00.12.H53,CC,3,1,2,1,0,0,6,8,0.25,0.625
2024-06,000.00.12.H53,HD,1,0,0,0,0,0,,,,
2024-06,000.00.12.H53,VC,1,0,0,0,0,0,2,2,0,0.5
2024-06,000.00.31.H53,CC,1,1,0,0,0,0,4,4,0,0.75
2024-07,000.00.12.H53,CC,3,1,1,0,1,0,6,8,0.25,0.625
2024-07,000.00.12.H53,HD,1,0,0,0,0,0,,,,
2024-07,000.00.12.H53,VC,1,0,0,0,0,0,2,2,0,0.5
2024-07,000.00.31.H53,CC,1,0,0,0,0,0,4,4,0,0.75
2024-08,000.00.12.H53,CC,3,0,0,0,0,0,6,8,0.25,0.625
2024-08,000.00.12.H53,HD,1,0,0,0,0,0,,,,
2024-08,000.00.12.H53,VC,1,0,0,0,0,0,2,2,0,0.5
2024-08,000.00.31.H53,CC,1,0,0,0,0,0,4,4,0,0.75
`,
		},
		{
			name:  "upserted state",
			query: "SELECT record_no, end_date, end_reason, version_count FROM staff_records WHERE record_no = 'X-7'",
			want:  "record_no,end_date,end_reason,version_count\nX-7,2024-07-31,NGHI_HUU,2\n",
		},
		{
			name:  "quota upserted",
			query: "SELECT year, agency_code, staff_class, quota, version_count FROM staff_quota WHERE year = 2015 ORDER BY 2, 3",
			want:  "year,agency_code,staff_class,quota,version_count\n2015,000.00.12.H53,CC,8,2\n2015,000.00.12.H53,VC,2,1\n2015,000.00.31.H53,CC,4,1\n",
		},
		{
			name:  "default targets",
			query: "SELECT * FROM staffing_targets ORDER BY period_from_year, staff_class",
			want: `target_name,staff_class,period_from_year,period_to_year,base_year,target_reduction
39-NQ/TW,CC,2015,2021,2015,0.1
39-NQ/TW,VC,2015,2021,2015,0.1
40-KL/TW,CC,2022,2026,2021,0.05
40-KL/TW,VC,2022,2026,2021,0.1
`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := query(t, w, tc.query); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestKPIStaffingRestated(t *testing.T) {
	dir := t.TempDir()
	const k = "2025-07-10 10:00"
	writeESLake(t, dir, []esMsg{
		// A1 and A2 close on 30 Jun 2025: two staff move to C, one is cut
		// (TINH_GIAN), one retires.
		esRec(0, k, "A1-1", agA1, "CC", "2015-01-01", "2025-06-30", "CHUYEN_CONG_TAC"),
		esRec(0, k, "A1-2", agA1, "CC", "2015-01-01", "2025-06-30", "TINH_GIAN"),
		esRec(0, k, "A2-1", agA2, "CC", "2015-01-01", "2025-06-30", "CHUYEN_CONG_TAC"),
		esRec(0, k, "A2-2", agA2, "CC", "2015-01-01", "2025-06-30", "NGHI_HUU"),
		esRec(0, k, "C-1", agC, "CC", "2025-07-01", "", ""),
		esRec(0, k, "C-2", agC, "CC", "2025-07-01", "", ""),
		esQuota(k, agA1, "CC", 2015, 4),
		esQuota(k, agA2, "CC", 2015, 4),
		esQuota(k, agA1, "CC", 2025, 2),
		esQuota(k, agA2, "CC", 2025, 3),
		esQuota(k, agC, "CC", 2025, 4),
	})
	w := openESWith(t, dir, warehouse.Options{})
	cols := "month,agency_code,staff_class,headcount_end,hires,departures,departures_tinh_gian,departures_nghi_huu,departures_thoi_viec,quota,quota_base,quota_reduction_vs_base,headcount_reduction_vs_base\n"
	tests := []struct {
		name, query, want string
	}{
		{
			// A closed agency's quota stops with it; C has no 2015 quota.
			name:  "as reported",
			query: "SELECT * FROM kpi_staffing_monthly WHERE month >= '2025-05' ORDER BY month, agency_code",
			want: cols + `2025-05,000.20.41.H53,CC,2,0,0,0,0,0,2,4,0.5,0.5
2025-05,000.20.42.H53,CC,2,0,0,0,0,0,3,4,0.25,0.5
2025-06,000.20.41.H53,CC,0,0,2,1,0,0,2,4,0.5,1
2025-06,000.20.42.H53,CC,0,0,2,0,1,0,3,4,0.25,1
2025-07,000.20.50.H53,CC,2,2,0,0,0,0,4,,,
`,
		},
		{
			// Restated on C, measured against the 2015 quotas of A1 and A2.
			name:  "restated",
			query: "SELECT * FROM kpi_staffing_monthly_current WHERE month >= '2025-05' ORDER BY month, agency_code",
			want: cols + `2025-05,000.20.50.H53,CC,4,0,0,0,0,0,5,8,0.375,0.5
2025-06,000.20.50.H53,CC,0,0,4,1,1,0,5,8,0.375,1
2025-07,000.20.50.H53,CC,2,2,0,0,0,0,4,8,0.5,0.75
`,
		},
		{
			// The 2025 quota is C's alone: A1 and A2 closed during the year.
			// No 2021 quota: 40-KL/TW has no base.
			name:  "targets restated",
			query: "SELECT target_name, agency_code, year, quota, quota_base, quota_reduction_vs_base, target_met FROM kpi_staffing_targets ORDER BY 1, 3",
			want: `target_name,agency_code,year,quota,quota_base,quota_reduction_vs_base,target_met
39-NQ/TW,000.20.50.H53,2015,8,8,0,false
40-KL/TW,000.20.50.H53,2025,4,,,
`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := query(t, w, tc.query); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestStaffingTargetsFromOptions(t *testing.T) {
	dir := t.TempDir()
	writeESLake(t, dir, []esMsg{
		esRec(0, "2021-03-01 10:00", "X-1", agS, "CC", "2019-01-01", "", ""),
		esQuota("2020-01-10 10:00", agS, "CC", 2015, 8),
		esQuota("2020-01-10 10:00", agS, "CC", 2020, 4),
		esQuota("2021-01-10 10:00", agS, "CC", 2021, 3),
	})
	opts := warehouse.Options{Staffing: warehouse.StaffingOptions{
		BaseYear: 2020,
		Targets: []warehouse.StaffingTarget{
			{Name: "KH-1", StaffClass: "CC", FromYear: 2021, ToYear: 2025, Reduction: 0.25},
			{Name: "KH-2", StaffClass: "VC", FromYear: 2021, ToYear: 2025, BaseYear: 2019, Reduction: 0.1},
		},
	}}
	w := openESWith(t, dir, opts)
	tests := []struct {
		name, query, want string
	}{
		{
			name:  "targets",
			query: "SELECT * FROM staffing_targets ORDER BY target_name",
			want:  "target_name,staff_class,period_from_year,period_to_year,base_year,target_reduction\nKH-1,CC,2021,2025,2020,0.25\nKH-2,VC,2021,2025,2019,0.1\n",
		},
		{
			name:  "settings",
			query: "SELECT * FROM staffing_settings",
			want:  "base_year\n2020\n",
		},
		{
			name:  "progress toward the targets",
			query: "SELECT target_name, agency_code, year, quota, quota_base, quota_reduction_vs_base, target_met FROM kpi_staffing_targets ORDER BY 1, 3",
			want:  "target_name,agency_code,year,quota,quota_base,quota_reduction_vs_base,target_met\nKH-1,000.00.12.H53,2021,3,4,0.25,true\n",
		},
		{
			name:  "quota base follows the base year",
			query: "SELECT month, quota, quota_base, quota_reduction_vs_base, headcount_reduction_vs_base FROM kpi_staffing_monthly WHERE month = '2021-01'",
			want:  "month,quota,quota_base,quota_reduction_vs_base,headcount_reduction_vs_base\n2021-01,3,4,0.25,0.75\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := query(t, w, tc.query); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}

	t.Run("invalid target", func(t *testing.T) {
		bad := warehouse.Options{Staffing: warehouse.StaffingOptions{Targets: []warehouse.StaffingTarget{
			{Name: "X", StaffClass: "CC", FromYear: 2022, ToYear: 2026, Reduction: 1.5},
		}}}
		w, err := warehouse.Open(dir, pipelines.Datasets(), bad)
		if err == nil {
			w.Close()
			t.Fatal("opened with a reduction of 150 %")
		}
		if !strings.Contains(err.Error(), "reduction") {
			t.Errorf("error: %v", err)
		}
	})
}

func TestEgovStaffingViewsOnEmptyLake(t *testing.T) {
	dir := t.TempDir()
	w := openESWith(t, dir, warehouse.Options{})
	for _, v := range []string{
		"egov_documents", "egov_status", "kpi_egov_monthly", "kpi_egov_monthly_current",
		"staff_records", "staff_quota", "kpi_staffing_monthly", "kpi_staffing_monthly_current",
		"kpi_staffing_targets",
	} {
		if got := query(t, w, "SELECT count(*) AS n FROM "+v); got != "n\n0\n" {
			t.Errorf("%s: %s", v, got)
		}
	}
	// Files appear: the views built on the dataset views follow them.
	writeESLake(t, dir, []esMsg{
		esRec(0, "2024-03-05 10:00", "X-1", agS, "CC", "2024-03-01", "", ""),
		esDoc("DOC1", agS, "2024-03-04"),
	})
	got := query(t, w, "SELECT (SELECT count(*) FROM kpi_staffing_monthly) AS staffing, (SELECT count(*) FROM kpi_egov_monthly) AS egov")
	if got != "staffing,egov\n1,1\n" {
		t.Errorf("after files appeared: %s", got)
	}
}
