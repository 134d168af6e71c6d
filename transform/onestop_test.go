package transform

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func testHasher(t testing.TB) *Hasher {
	h, err := NewHasher([]byte("test-key-0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func local(y int, mo time.Month, d, h, mi, s int) int64 {
	return time.Date(y, mo, d, h, mi, s, 0, Local).UnixMicro()
}

func decodeDossiers(t *testing.T, value string) *recSink {
	t.Helper()
	d := NewOnestopDecoder(testHasher(t))
	sink := newRecSink()
	rec := &Record{Topic: "onestop.dossiers", Partition: 2, Offset: 41, Timestamp: time.UnixMilli(1568340000000), Value: []byte(value)}
	if Precheck(rec, 1<<20, sink) {
		d.Decode(rec, sink)
	}
	return sink
}

func snapshots(s *recSink) []*DossierSnapshot {
	var out []*DossierSnapshot
	for _, r := range s.rows[DatasetOnestopSnapshots] {
		out = append(out, r.(*DossierSnapshot))
	}
	return out
}

const fullDossier = `{"MaHoSo":"000.00.20.H53-190913-0001","MaTTHC":"1.004227","TenTTHC":"Cấp GCN quyền sử dụng đất",
 "MaLinhVuc":"G13-TN02","TenLinhVuc":"Đất đai","MaDonVi":"000.00.20.H53","DonViXuLy":"UBND huyện Hòa Thành",
 "KenhThucHien":"2","LoaiDoiTuong":1,"TrangThaiHoSo":"10","HinhThuc":1,
 "NgayNopHoSo":"20190912153000","NgayTiepNhan":20190913080000,"NgayHenTra":"20190927170000",
 "NgayKetThucXuLy":"20190926100000","NgayTra":"20190927090000","NgayTuChoi":"",
 "DanhSachHoSoBoSung":[{"NgayBoSung":"20190916090000","NgayTiepNhanBoSung":"20190918090000","NgayHenTraTruoc":"20190925170000","NgayHenTraMoi":"20190927170000"}],
 "DanhSachXinLoi":[{"NgayXinLoi":"20190925080000","NgayHenTraTruoc":"20190927170000","NgayHenTraMoi":"20191004170000","LyDo":"Chờ xác minh"}],
 "ChuHoSo":"Nguyễn Văn An","SoGiayToChuHoSo":"072090001234","DinhDanhCHS":[{"SoDinhDanh":"072090009999"}],
 "Email":"an.nguyen@example.vn","SoDienThoai":"0912345678","Fax":"02763123456","Unknown":{"x":1}}`

func TestOnestopFullDossier(t *testing.T) {
	s := decodeDossiers(t, fullDossier)
	if len(s.rejects) != 0 {
		t.Fatalf("rejects: %+v", s.rejects)
	}
	rows := snapshots(s)
	if len(rows) != 1 {
		t.Fatalf("rows = %d", len(rows))
	}
	r := rows[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"code", r.DossierCode, "000.00.20.H53-190913-0001"},
		{"sector", r.SectorCode, "G13-TN02"},
		{"agency", r.AgencyCode, "000.00.20.H53"},
		{"channel", *r.Channel, int32(2)},
		{"applicant", *r.ApplicantType, int32(1)},
		{"status", r.Status, int32(10)},
		{"post", *r.ReturnByPost, true},
		{"received (number date)", r.ReceivedAt, local(2019, 9, 13, 8, 0, 0)},
		{"due", r.DueAt, local(2019, 9, 27, 17, 0, 0)},
		{"refused empty", r.RefusedAt, int64(0)},
		{"supplement received", r.Supplements[0].ReceivedAt, local(2019, 9, 18, 9, 0, 0)},
		{"apology prev due", r.Apologies[0].PrevDueAt, local(2019, 9, 27, 17, 0, 0)},
		{"last event = NgayTra", r.LastEventAt, local(2019, 9, 27, 9, 0, 0)},
		{"month", r.Month, "2019-09"},
		{"kafka", [2]int64{int64(r.KafkaPartition), r.KafkaOffset}, [2]int64{2, 41}},
		{"hash of SoGiayToChuHoSo", r.ApplicantHash, testHasher(t).Hash([]byte("072090001234"))},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestOnestopShapesAndRules(t *testing.T) {
	obj := func(fields string) string {
		return `{"MaHoSo":"000.00.12.H53-200101-0007","TrangThaiHoSo":2` + fields + `}`
	}
	cases := []struct {
		name       string
		value      string
		rows       int
		rejects    []string // reason prefixes
		rejectItem []int32
		check      func(t *testing.T, rows []*DossierSnapshot)
	}{
		{name: "object", value: obj(""), rows: 1},
		{name: "number scalars", value: `{"MaHoSo":"X-1","TrangThaiHoSo":4,"KenhThucHien":3,"NgayTiepNhan":20200101080000}`, rows: 1,
			check: func(t *testing.T, rows []*DossierSnapshot) {
				if rows[0].Status != 4 || *rows[0].Channel != 3 || rows[0].ReceivedAt != local(2020, 1, 1, 8, 0, 0) {
					t.Errorf("got %+v", rows[0])
				}
			}},
		{name: "array stands alone per item", value: `[` + obj("") + `,{"TrangThaiHoSo":2},` + obj(`,"TrangThaiHoSo":"4"`) + `]`, rows: 2,
			rejects: []string{"missing_field: MaHoSo"}, rejectItem: []int32{1}},
		{name: "envelope agency", value: `{"service":"DongBoHoSoMC","madonvi":"000.00.31.H53","isUpdating":"True","data":[` + obj("") + `]}`, rows: 1,
			check: func(t *testing.T, rows []*DossierSnapshot) {
				if rows[0].AgencyCode != "000.00.31.H53" || rows[0].EnvelopeAgency != "000.00.31.H53" {
					t.Errorf("agency = %q", rows[0].AgencyCode)
				}
			}},
		{name: "agency from code prefix", value: obj(""), rows: 1,
			check: func(t *testing.T, rows []*DossierSnapshot) {
				if rows[0].AgencyCode != "000.00.12.H53" {
					t.Errorf("agency = %q", rows[0].AgencyCode)
				}
			}},
		{name: "MaDonVi wins over envelope", value: `{"madonvi":"000.00.31.H53","data":[` + obj(`,"MaDonVi":"000.00.40.H53"`) + `]}`, rows: 1,
			check: func(t *testing.T, rows []*DossierSnapshot) {
				if rows[0].AgencyCode != "000.00.40.H53" {
					t.Errorf("agency = %q", rows[0].AgencyCode)
				}
			}},
		{name: "optional code out of range is NULL", value: obj(`,"KenhThucHien":4,"LoaiDoiTuong":"9","HinhThuc":"2"`), rows: 1,
			check: func(t *testing.T, rows []*DossierSnapshot) {
				if rows[0].Channel != nil || rows[0].ApplicantType != nil || rows[0].ReturnByPost != nil {
					t.Errorf("got %+v", rows[0])
				}
			}},
		{name: "null and empty dates absent", value: obj(`,"NgayTiepNhan":null,"NgayHenTra":""`), rows: 1,
			check: func(t *testing.T, rows []*DossierSnapshot) {
				if rows[0].ReceivedAt != 0 || rows[0].DueAt != 0 {
					t.Errorf("got %+v", rows[0])
				}
			}},
		{name: "status out of range", value: `{"MaHoSo":"A-1","TrangThaiHoSo":"11"}`, rejects: []string{"out_of_range: TrangThaiHoSo"}, rejectItem: []int32{0}},
		{name: "status missing", value: `{"MaHoSo":"A-1"}`, rejects: []string{"missing_field: TrangThaiHoSo"}, rejectItem: []int32{0}},
		{name: "empty array", value: `[]`},
		{name: "empty envelope", value: `{"service":"DongBoHoSoMC","data":[]}`},
		{name: "invalid json", value: `{"MaHoSo":`, rejects: []string{"invalid_json"}, rejectItem: []int32{-1}},
		{name: "zero-length value", value: ``, rejects: []string{"invalid_json"}, rejectItem: []int32{-1}},
		{name: "scalar value", value: `"abc"`, rejects: []string{"not_an_object"}, rejectItem: []int32{-1}},
		{name: "array item not an object", value: `[1]`, rejects: []string{"not_an_object"}, rejectItem: []int32{0}},
		{name: "invalid utf8", value: "{\"MaHoSo\":\"\xff\xfe\",\"TrangThaiHoSo\":2}", rejects: []string{"invalid_utf8"}, rejectItem: []int32{-1}},
		{name: "too large", value: obj(`,"TenTTHC":"` + strings.Repeat("x", 1<<20) + `"`), rejects: []string{"too_large"}, rejectItem: []int32{-1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := decodeDossiers(t, c.value)
			rows := snapshots(s)
			if len(rows) != c.rows {
				t.Fatalf("rows = %d, want %d (rejects %+v)", len(rows), c.rows, s.rejects)
			}
			if len(s.rejects) != len(c.rejects) {
				t.Fatalf("rejects = %+v, want %v", s.rejects, c.rejects)
			}
			for i, r := range s.rejects {
				if !strings.HasPrefix(r.Reason, c.rejects[i]) {
					t.Errorf("reason %q, want prefix %q", r.Reason, c.rejects[i])
				}
				if r.Item != c.rejectItem[i] {
					t.Errorf("item %d, want %d", r.Item, c.rejectItem[i])
				}
			}
			if c.check != nil {
				c.check(t, rows)
			}
		})
	}
}

func TestOnestopPersonalDataNeverKept(t *testing.T) {
	pii := []string{"Nguyễn Văn An", "072090001234", "072090009999", "an.nguyen@example.vn", "0912345678", "02763123456"}
	bad := strings.Replace(fullDossier, `"TrangThaiHoSo":"10"`, `"TrangThaiHoSo":"99"`, 1)
	for _, value := range []string{fullDossier, bad, "[" + bad + "]"} {
		s := decodeDossiers(t, value)
		var all bytes.Buffer
		for _, r := range snapshots(s) {
			all.WriteString(strings.Join([]string{r.DossierCode, r.ProcedureName, r.AgencyName, r.SectorName, r.ApplicantHash}, "|"))
			for _, a := range r.Apologies {
				all.WriteString(a.Reason)
			}
		}
		for _, r := range s.rejects {
			if len(r.Excerpt) == 0 {
				t.Errorf("reject %q has no excerpt", r.Reason)
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

func TestOnestopHashFallsBackToDinhDanh(t *testing.T) {
	s := decodeDossiers(t, `{"MaHoSo":"A-1","TrangThaiHoSo":2,"DinhDanhCHS":[{"SoDinhDanh":" 072090009999 "}]}`)
	if got, want := snapshots(s)[0].ApplicantHash, testHasher(t).Hash([]byte("072090009999")); got != want {
		t.Errorf("hash = %q, want %q", got, want)
	}
	s = decodeDossiers(t, `{"MaHoSo":"A-1","TrangThaiHoSo":2}`)
	if got := snapshots(s)[0].ApplicantHash; got != "" {
		t.Errorf("hash without ID = %q, want empty", got)
	}
}

func TestExcerptKeepsRunes(t *testing.T) {
	b := []byte(strings.Repeat("a", MaxExcerpt-1) + "ữ")
	e := Excerpt(b)
	if len(e) != MaxExcerpt-1 {
		t.Errorf("len = %d, want %d", len(e), MaxExcerpt-1)
	}
}

func BenchmarkOnestopDecode(b *testing.B) {
	d := NewOnestopDecoder(testHasher(b))
	rec := &Record{Value: []byte(fullDossier), Timestamp: time.Now()}
	sink := discardSink{}
	b.SetBytes(int64(len(rec.Value)))
	b.ReportAllocs()
	for b.Loop() {
		d.Decode(rec, sink)
	}
}

type discardSink struct{}

func (discardSink) Row(string, any)  {}
func (discardSink) Reject(Rejection) {}

func TestLocalMicrosMatchesTimeDate(t *testing.T) {
	for y := 1999; y <= 2101; y++ {
		for _, md := range [][2]int{{1, 1}, {2, 28}, {2, 29}, {3, 1}, {6, 30}, {12, 31}} {
			got, err := localMicros(y, md[0], md[1], 23, 30, 5)
			want := time.Date(y, time.Month(md[0]), md[1], 23, 30, 5, 0, Local)
			if want.Day() != md[1] {
				if err == nil {
					t.Errorf("%d-%02d-%02d accepted", y, md[0], md[1])
				}
				continue
			}
			if err != nil || got != want.UnixMicro() {
				t.Errorf("%d-%02d-%02d: %d %v, want %d", y, md[0], md[1], got, err, want.UnixMicro())
			}
		}
	}
	for _, bad := range []string{"20190231080000", "20191301080000", "20190101250000", "2019010108000", "2019O101080000"} {
		if _, err := parseLocalDigits([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
