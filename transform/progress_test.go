package transform

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func decodeProgress(t testing.TB, value string) *recSink {
	t.Helper()
	d := NewProgressDecoder()
	sink := newRecSink()
	rec := &Record{Topic: "onestop.progress", Partition: 2, Offset: 99, Timestamp: time.UnixMilli(1569500000000), Value: []byte(value)}
	if Precheck(rec, 1<<20, sink) {
		d.Decode(rec, sink)
	}
	return sink
}

func progressSteps(s *recSink) []*ProgressStep {
	var out []*ProgressStep
	for _, r := range s.rows[DatasetOnestopProgress] {
		out = append(out, r.(*ProgressStep))
	}
	return out
}

func TestProgressFixture(t *testing.T) {
	b, err := os.ReadFile("testdata/progress/steps.json")
	if err != nil {
		t.Fatal(err)
	}
	s := decodeProgress(t, string(b))
	if len(s.rejects) != 0 {
		t.Fatalf("rejects %+v", s.rejects)
	}
	step := func(item int32, month, title, dept, action string, status int32, at, start, due int64) ProgressStep {
		return ProgressStep{Month: month, KafkaPartition: 2, KafkaOffset: 99, KafkaTimestamp: time.UnixMilli(1569500000000).UnixMicro(),
			ItemIndex: item, DossierCode: "000.00.20.H53-190913-0001", AgencyCode: "000.00.20.H53", JobTitle: title, Department: dept,
			Action: action, Status: i32(status), ProcessedAt: at, StartedAt: start, DueAt: due}
	}
	want := []ProgressStep{
		step(0, "2019-09", "Chuyên viên Bộ phận Một cửa", "Bộ phận Tiếp nhận và Trả kết quả", "Tiếp nhận hồ sơ", 2,
			local(2019, 9, 13, 8, 5, 0), local(2019, 9, 13, 8, 0, 0), local(2019, 9, 13, 17, 0, 0)),
		step(1, "2019-09", "Chuyên viên Phòng Tài nguyên và Môi trường", "Phòng Tài nguyên và Môi trường", "Thẩm định hồ sơ, đo đạc thực địa", 4,
			local(2019, 9, 16, 14, 30, 0), local(2019, 9, 14, 0, 0, 0), local(2019, 9, 25, 17, 0, 0)),
		step(2, "2019-09", "Phó Chủ tịch UBND huyện", "Lãnh đạo UBND huyện", "Ký duyệt kết quả", 9,
			local(2019, 9, 26, 10, 0, 0), local(2019, 9, 25, 17, 0, 0), local(2019, 9, 26, 17, 0, 0)),
	}
	var got []ProgressStep
	for _, r := range progressSteps(s) {
		got = append(got, *r)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestProgressRules(t *testing.T) {
	obj := func(over ...string) string {
		return jsonObject(append([]string{"MaHoSo", `"000.00.12.H53-200101-0007"`, "NguoiXuLy", `"Nguyễn Văn Tư"`, "ThoiDiemXuLy", `"20200102090000"`}, over...)...)
	}
	cases := []struct {
		name    string
		value   string
		rows    int
		rejects []string
		items   []int32
		check   func(t *testing.T, rows []*ProgressStep)
	}{
		{name: "object", value: obj(), rows: 1,
			check: func(t *testing.T, rows []*ProgressStep) {
				if r := rows[0]; r.AgencyCode != "000.00.12.H53" || r.Month != "2020-01" || r.Status != nil || r.ItemIndex != 0 {
					t.Errorf("got %+v", r)
				}
			}},
		{name: "array stands alone per item", value: "[" + obj() + `,{"NguoiXuLy":"X"},` + obj() + `,"x"]`, rows: 2,
			rejects: []string{"missing_field: MaHoSo", "not_an_object"}, items: []int32{1, 3}},
		{name: "envelope agency", value: `{"service":"CapNhatTienDoHoSoMC","madonvi":"000.00.31.H53","data":[` + obj() + `]}`, rows: 1,
			check: func(t *testing.T, rows []*ProgressStep) {
				if rows[0].AgencyCode != "000.00.31.H53" {
					t.Errorf("agency %q", rows[0].AgencyCode)
				}
			}},
		{name: "MaDonVi wins", value: `{"madonvi":"000.00.31.H53","data":[` + obj("MaDonVi", `"000.00.40.H53"`) + `]}`, rows: 1,
			check: func(t *testing.T, rows []*ProgressStep) {
				if rows[0].AgencyCode != "000.00.40.H53" {
					t.Errorf("agency %q", rows[0].AgencyCode)
				}
			}},
		{name: "status out of range is NULL", value: obj("TrangThai", `11`), rows: 1,
			check: func(t *testing.T, rows []*ProgressStep) {
				if rows[0].Status != nil {
					t.Errorf("status %d", *rows[0].Status)
				}
			}},
		{name: "status 10 as string", value: obj("TrangThai", `"10"`), rows: 1,
			check: func(t *testing.T, rows []*ProgressStep) {
				if rows[0].Status == nil || *rows[0].Status != 10 {
					t.Errorf("status %v", rows[0].Status)
				}
			}},
		{name: "no ThoiDiemXuLy: month of the Kafka timestamp", value: obj("ThoiDiemXuLy", `""`, "NgayBatDau", `"2020-01-01"`), rows: 1,
			check: func(t *testing.T, rows []*ProgressStep) {
				if r := rows[0]; r.ProcessedAt != 0 || r.StartedAt != 0 || r.Month != "2019-09" {
					t.Errorf("got %+v", r)
				}
			}},
		{name: "without MaHoSo", value: `{"NguoiXuLy":"Nguyễn Văn Tư","TrangThai":4}`, rejects: []string{"missing_field: MaHoSo"}, items: []int32{0}},
		{name: "empty envelope", value: `{"service":"CapNhatTienDoHoSoMC","data":[]}`},
		{name: "invalid json", value: `[{`, rejects: []string{"invalid_json"}, items: []int32{-1}},
		{name: "zero-length value", value: ``, rejects: []string{"invalid_json"}, items: []int32{-1}},
		{name: "scalar value", value: `true`, rejects: []string{"not_an_object"}, items: []int32{-1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := decodeProgress(t, c.value)
			rows := progressSteps(s)
			if len(rows) != c.rows {
				t.Fatalf("rows %d, want %d (rejects %+v)", len(rows), c.rows, s.rejects)
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
				c.check(t, rows)
			}
		})
	}
}

func TestProgressPersonalDataNeverKept(t *testing.T) {
	value := `[{"MaHoSo":"A-1","NguoiXuLy":"Huỳnh Thị Năm","ChucDanh":"Chuyên viên"},{"NguoiXuLy":"Huỳnh Thị Năm","ChucDanh":"Chuyên viên"}]`
	s := decodeProgress(t, value)
	if len(s.rejects) != 1 || !strings.Contains(string(s.rejects[0].Excerpt), `"ChucDanh":"Chuyên viên"`) {
		t.Fatalf("rejects %+v", s.rejects)
	}
	all := fmtRows([]any{*progressSteps(s)[0]}) + string(s.rejects[0].Excerpt)
	if strings.Contains(all, "Huỳnh Thị Năm") {
		t.Errorf("name kept: %s", all)
	}
}

func TestProgressRowsParquet(t *testing.T) {
	rows := []ProgressStep{{Month: "2019-09", DossierCode: "A-1", Status: i32(4), ProcessedAt: local(2019, 9, 16, 14, 30, 0)}, {Month: "2019-09", DossierCode: "A-2"}}
	got, err := roundTrip(rows)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Errorf("got  %+v\nwant %+v", got, rows)
	}
}
