package transform

import (
	"bytes"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

func decodeStaffing(t testing.TB, value string) *recSink {
	t.Helper()
	d := NewStaffingDecoder(testHasher(t))
	sink := newRecSink()
	rec := &Record{Topic: "staffing.records", Partition: 0, Offset: 12, Timestamp: time.UnixMilli(1577836800000), Value: []byte(value)}
	if Precheck(rec, 1<<20, sink) {
		d.Decode(rec, sink)
	}
	return sink
}

func staffRecords(s *recSink) []*StaffRecord {
	var out []*StaffRecord
	for _, r := range s.rows[DatasetStaffRecords] {
		out = append(out, r.(*StaffRecord))
	}
	return out
}

func staffQuotas(s *recSink) []*StaffQuota {
	var out []*StaffQuota
	for _, r := range s.rows[DatasetStaffQuota] {
		out = append(out, r.(*StaffQuota))
	}
	return out
}

func day(y int, m time.Month, d int) int32 {
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func TestStaffingFixture(t *testing.T) {
	b, err := os.ReadFile("testdata/staffing/records.json")
	if err != nil {
		t.Fatal(err)
	}
	s := decodeStaffing(t, string(b))
	if len(s.rejects) != 0 {
		t.Fatalf("rejects %+v", s.rejects)
	}
	h := testHasher(t)
	kafka := func(r StaffRecord, item int32) StaffRecord {
		r.KafkaOffset, r.KafkaTimestamp, r.ItemIndex = 12, time.UnixMilli(1577836800000).UnixMicro(), item
		return r
	}
	wantRecords := []StaffRecord{
		kafka(StaffRecord{Year: "2012", RecordNo: "TNI-STP-000123", PersonHash: h.Hash([]byte("072085001122")), AgencyCode: "000.00.12.H53",
			StaffClass: "CC", JobPosition: "Chuyên viên kiểm soát thủ tục hành chính", Rank: "01.003", StartDate: day(2012, 8, 1)}, 0),
		kafka(StaffRecord{Year: "1995", RecordNo: "TNI-HT-004512", PersonHash: h.Hash([]byte("072070003344")), AgencyCode: "000.00.20.H53",
			StaffClass: "VC", JobPosition: "Giáo viên trung học cơ sở", Rank: "V.07.04.32", StartDate: day(1995, 9, 1),
			EndDate: day(2019, 8, 31), EndReason: "NGHI_HUU"}, 1),
		kafka(StaffRecord{Year: "2016", RecordNo: "TNI-STNMT-000871", PersonHash: h.Hash([]byte("072090005566")), AgencyCode: "000.00.31.H53",
			StaffClass: "CC", JobPosition: "Chuyên viên quản lý đất đai", Rank: "01.003", StartDate: day(2016, 3, 15),
			EndDate: day(2019, 12, 31), EndReason: "TINH_GIAN"}, 2),
		kafka(StaffRecord{Year: "2018", RecordNo: "TNI-GD-000045", AgencyCode: "000.00.21.H53", StaffClass: "HD",
			JobPosition: "Bảo vệ", StartDate: day(2018, 1, 2)}, 3),
	}
	quota := func(year, agency, class string, n, item int32) StaffQuota {
		return StaffQuota{Year: year, KafkaOffset: 12, KafkaTimestamp: time.UnixMilli(1577836800000).UnixMicro(), ItemIndex: item,
			AgencyCode: agency, StaffClass: class, Quota: n}
	}
	wantQuotas := []StaffQuota{
		quota("2015", "000.00.12.H53", "CC", 48, 4),
		quota("2019", "000.00.12.H53", "CC", 42, 5),
		quota("2019", "000.00.20.H53", "VC", 1260, 6),
	}
	var gotRecords []StaffRecord
	for _, r := range staffRecords(s) {
		gotRecords = append(gotRecords, *r)
	}
	var gotQuotas []StaffQuota
	for _, r := range staffQuotas(s) {
		gotQuotas = append(gotQuotas, *r)
	}
	if !reflect.DeepEqual(gotRecords, wantRecords) {
		t.Errorf("records\n got %+v\nwant %+v", gotRecords, wantRecords)
	}
	if !reflect.DeepEqual(gotQuotas, wantQuotas) {
		t.Errorf("quotas\n got %+v\nwant %+v", gotQuotas, wantQuotas)
	}
}

func TestStaffingRules(t *testing.T) {
	rec := func(over ...string) string {
		return jsonObject(append([]string{"SoHieu", `"R-1"`, "MaDonVi", `"000.00.12.H53"`, "LoaiHinh", `"CC"`, "NgayBatDau", `"20190401"`}, over...)...)
	}
	quota := func(over ...string) string {
		return jsonObject(append([]string{"Loai", `"BienCheGiao"`, "MaDonVi", `"000.00.12.H53"`, "Nam", "2019", "LoaiHinh", `"CC"`, "SoLuong", "42"}, over...)...)
	}
	cases := []struct {
		name    string
		value   string
		records int
		quotas  int
		rejects []string // reason prefixes
		items   []int32
		check   func(t *testing.T, rs []*StaffRecord, qs []*StaffQuota)
	}{
		{name: "record", value: rec(), records: 1},
		{name: "without SoHieu", value: `{"MaDonVi":"X","LoaiHinh":"CC","NgayBatDau":"20190401"}`, rejects: []string{"missing_field: SoHieu"}, items: []int32{0}},
		{name: "blank SoHieu", value: rec("SoHieu", `"  "`), rejects: []string{"missing_field: SoHieu"}, items: []int32{0}},
		{name: "without MaDonVi", value: rec("MaDonVi", `null`), rejects: []string{"missing_field: MaDonVi"}, items: []int32{0}},
		{name: "without LoaiHinh", value: rec("LoaiHinh", `""`), rejects: []string{"missing_field: LoaiHinh"}, items: []int32{0}},
		{name: "LoaiHinh out of range", value: rec("LoaiHinh", `"CB"`), rejects: []string{`out_of_range: LoaiHinh "CB"`}, items: []int32{0}},
		{name: "LoaiHinh lower case", value: rec("LoaiHinh", `" vc "`), records: 1,
			check: func(t *testing.T, rs []*StaffRecord, _ []*StaffQuota) {
				if rs[0].StaffClass != "VC" {
					t.Errorf("class %q", rs[0].StaffClass)
				}
			}},
		{name: "without NgayBatDau", value: `{"SoHieu":"R-1","MaDonVi":"X","LoaiHinh":"CC"}`, rejects: []string{"missing_field: NgayBatDau"}, items: []int32{0}},
		{name: "bad NgayBatDau", value: rec("NgayBatDau", `"2019-04-01"`), rejects: []string{`bad_date: NgayBatDau "2019-04-01"`}, items: []int32{0}},
		{name: "31 April", value: rec("NgayBatDau", `"20190431"`), rejects: []string{"bad_date: NgayBatDau"}, items: []int32{0}},
		{name: "bad NgayKetThuc is NULL", value: rec("NgayKetThuc", `"31/12/2019"`, "LyDoKetThuc", `"THOI_VIEC"`), records: 1,
			check: func(t *testing.T, rs []*StaffRecord, _ []*StaffQuota) {
				if rs[0].EndDate != 0 || rs[0].EndReason != "THOI_VIEC" {
					t.Errorf("end %d reason %q", rs[0].EndDate, rs[0].EndReason)
				}
			}},
		{name: "unknown end reason is NULL", value: rec("NgayKetThuc", `20191231`, "LyDoKetThuc", `"MAT"`), records: 1,
			check: func(t *testing.T, rs []*StaffRecord, _ []*StaffQuota) {
				if rs[0].EndDate != day(2019, 12, 31) || rs[0].EndReason != "" {
					t.Errorf("end %d reason %q", rs[0].EndDate, rs[0].EndReason)
				}
			}},
		{name: "every end reason", value: "[" + rec("LyDoKetThuc", `"NGHI_HUU"`) + "," + rec("LyDoKetThuc", `"THOI_VIEC"`) + "," +
			rec("LyDoKetThuc", `"TINH_GIAN"`) + "," + rec("LyDoKetThuc", `"CHUYEN_CONG_TAC"`) + "," + rec("LyDoKetThuc", `"KHAC"`) + "]", records: 5,
			check: func(t *testing.T, rs []*StaffRecord, _ []*StaffQuota) {
				var got []string
				for _, r := range rs {
					got = append(got, r.EndReason)
				}
				if want := []string{"NGHI_HUU", "THOI_VIEC", "TINH_GIAN", "CHUYEN_CONG_TAC", "KHAC"}; !reflect.DeepEqual(got, want) {
					t.Errorf("reasons %v", got)
				}
			}},
		{name: "ID number hashed, trimmed", value: rec("SoDinhDanh", `" 072085001122 "`), records: 1,
			check: func(t *testing.T, rs []*StaffRecord, _ []*StaffQuota) {
				if rs[0].PersonHash != testHasher(t).Hash([]byte("072085001122")) {
					t.Errorf("hash %q", rs[0].PersonHash)
				}
			}},
		{name: "ID number as a number", value: rec("SoDinhDanh", `72085001122`), records: 1,
			check: func(t *testing.T, rs []*StaffRecord, _ []*StaffQuota) {
				if rs[0].PersonHash != testHasher(t).Hash([]byte("72085001122")) {
					t.Errorf("hash %q", rs[0].PersonHash)
				}
			}},
		{name: "quota", value: quota(), quotas: 1,
			check: func(t *testing.T, _ []*StaffRecord, qs []*StaffQuota) {
				if q := qs[0]; q.Year != "2019" || q.Quota != 42 || q.StaffClass != "CC" || q.AgencyCode != "000.00.12.H53" {
					t.Errorf("quota %+v", q)
				}
			}},
		{name: "quota strings", value: `{"Loai":"BienCheGiao","MaDonVi":"X","Nam":"2015","LoaiHinh":"VC","SoLuong":"0"}`, quotas: 1},
		{name: "quota without MaDonVi", value: quota("MaDonVi", `""`), rejects: []string{"missing_field: MaDonVi"}, items: []int32{0}},
		{name: "quota without Nam", value: `{"Loai":"BienCheGiao","MaDonVi":"X","LoaiHinh":"CC","SoLuong":4}`, rejects: []string{"missing_field: Nam"}, items: []int32{0}},
		{name: "quota Nam not a year", value: quota("Nam", `19`), rejects: []string{`out_of_range: Nam "19"`}, items: []int32{0}},
		{name: "quota without LoaiHinh", value: quota("LoaiHinh", `null`), rejects: []string{"missing_field: LoaiHinh"}, items: []int32{0}},
		{name: "quota LoaiHinh out of range", value: quota("LoaiHinh", `"XX"`), rejects: []string{"out_of_range: LoaiHinh"}, items: []int32{0}},
		{name: "quota without SoLuong", value: `{"Loai":"BienCheGiao","MaDonVi":"X","Nam":2019,"LoaiHinh":"CC"}`, rejects: []string{"missing_field: SoLuong"}, items: []int32{0}},
		{name: "quota SoLuong negative", value: quota("SoLuong", `-3`), rejects: []string{"out_of_range: SoLuong"}, items: []int32{0}},
		{name: "quota SoLuong fractional", value: quota("SoLuong", `4.5`), rejects: []string{"out_of_range: SoLuong"}, items: []int32{0}},
		{name: "unknown Loai", value: `{"Loai":"DanhGia","MaDonVi":"X"}`, rejects: []string{`unknown_shape: Loai "DanhGia"`}, items: []int32{0}},
		{name: "array items stand alone", value: "[" + rec() + `,{"SoHieu":"R-2"},` + quota() + ",7]", records: 1, quotas: 1,
			rejects: []string{"missing_field: MaDonVi", "not_an_object"}, items: []int32{1, 3}},
		{name: "empty array", value: `[]`},
		{name: "invalid json", value: `{"SoHieu":`, rejects: []string{"invalid_json"}, items: []int32{-1}},
		{name: "zero-length value", value: ``, rejects: []string{"invalid_json"}, items: []int32{-1}},
		{name: "scalar value", value: `42`, rejects: []string{"not_an_object"}, items: []int32{-1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := decodeStaffing(t, c.value)
			rs, qs := staffRecords(s), staffQuotas(s)
			if len(rs) != c.records || len(qs) != c.quotas {
				t.Fatalf("records %d quotas %d, want %d %d (rejects %+v)", len(rs), len(qs), c.records, c.quotas, s.rejects)
			}
			if len(s.rejects) != len(c.rejects) {
				t.Fatalf("rejects %+v, want %v", s.rejects, c.rejects)
			}
			for i, r := range s.rejects {
				if !strings.HasPrefix(r.Reason, c.rejects[i]) || r.Item != c.items[i] {
					t.Errorf("reject %q item %d, want prefix %q item %d", r.Reason, r.Item, c.rejects[i], c.items[i])
				}
			}
			if c.check != nil {
				c.check(t, rs, qs)
			}
		})
	}
}

func TestStaffingPersonalDataNeverKept(t *testing.T) {
	pii := []string{"Nguyễn Thị Lan", "072085001122", "0909123456", "lannt@"}
	good := `{"SoHieu":"R-1","SoDinhDanh":"072085001122","HoTen":"Nguyễn Thị Lan","SoDienThoai":"0909123456","Email":"lannt@tayninh.gov.vn",
	 "MaDonVi":"000.00.12.H53","LoaiHinh":"CC","NgayBatDau":"20190401"}`
	bad := strings.Replace(good, `"LoaiHinh":"CC"`, `"LoaiHinh":"ZZ"`, 1)
	for _, value := range []string{good, bad, "[" + bad + "]"} {
		s := decodeStaffing(t, value)
		var all strings.Builder
		for _, r := range staffRecords(s) {
			all.WriteString(fmtRows([]any{*r}))
		}
		for _, r := range s.rejects {
			if !strings.Contains(string(r.Excerpt), `"SoHieu":"R-1"`) {
				t.Errorf("excerpt %s", r.Excerpt)
			}
			all.Write(r.Excerpt)
			all.WriteString(r.Reason)
		}
		for _, p := range pii {
			if strings.Contains(all.String(), p) {
				t.Errorf("personal data %q kept: %s", p, all.String())
			}
		}
	}
}

// TestStaffRowsParquet checks that the dates are Parquet DATE columns (the
// logical type DuckDB reads as DATE), that a zero end date is written as
// NULL, and that the rows survive a round trip.
func TestStaffRowsParquet(t *testing.T) {
	s := parquet.SchemaOf(new(StaffRecord))
	for _, c := range []struct {
		col      string
		optional bool
	}{{"start_date", false}, {"end_date", true}} {
		col, ok := s.Lookup(c.col)
		if !ok {
			t.Fatalf("no column %s in %v", c.col, s)
		}
		if lt := col.Node.Type().LogicalType(); lt == nil || lt.String() != "DATE" || col.Node.Optional() != c.optional {
			t.Errorf("%s: logical type %v optional %v", c.col, lt, col.Node.Optional())
		}
	}

	rows := []StaffRecord{
		{Year: "2012", RecordNo: "A", AgencyCode: "X", StaffClass: "CC", StartDate: day(2012, 8, 1)},
		{Year: "1995", RecordNo: "B", AgencyCode: "X", StaffClass: "VC", StartDate: day(1995, 9, 1), EndDate: day(2019, 8, 31), EndReason: "NGHI_HUU", PersonHash: "ab"},
	}
	got, err := roundTrip(rows)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Errorf("got  %+v\nwant %+v", got, rows)
	}
	// Read as a reader that knows nothing of ktxh would: dates as dates,
	// the absent end date as NULL.
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[StaffRecord](&buf)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	type reader struct {
		RecordNo  string     `parquet:"record_no"`
		StartDate time.Time  `parquet:"start_date,date"`
		EndDate   *time.Time `parquet:"end_date,optional,date"`
	}
	back, err := parquet.Read[reader](bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 || !back[0].StartDate.Equal(time.Date(2012, 8, 1, 0, 0, 0, 0, time.UTC)) || back[0].EndDate != nil ||
		back[1].EndDate == nil || !back[1].EndDate.Equal(time.Date(2019, 8, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("read back %+v", back)
	}

	q := []StaffQuota{{Year: "2019", AgencyCode: "X", StaffClass: "CC", Quota: 42}}
	if got, err := roundTrip(q); err != nil || !reflect.DeepEqual(got, q) {
		t.Errorf("quota round trip %+v %v", got, err)
	}
}

func BenchmarkStaffingDecode(b *testing.B) {
	v, err := os.ReadFile("testdata/staffing/records.json")
	if err != nil {
		b.Fatal(err)
	}
	d := NewStaffingDecoder(testHasher(b))
	rec := &Record{Value: v, Timestamp: time.Now()}
	b.SetBytes(int64(len(v)))
	b.ReportAllocs()
	for b.Loop() {
		d.Decode(rec, discardSink{})
	}
}

// jsonObject builds a JSON object from key, raw value pairs: a later pair
// replaces the value of an earlier one with the same key, in its place.
func jsonObject(pairs ...string) string {
	var keys []string
	vals := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if _, ok := vals[pairs[i]]; !ok {
			keys = append(keys, pairs[i])
		}
		vals[pairs[i]] = pairs[i+1]
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(k) + ":" + vals[k])
	}
	b.WriteByte('}')
	return b.String()
}
