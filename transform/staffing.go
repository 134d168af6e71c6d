package transform

import (
	"bytes"
	"strconv"
	"time"

	"github.com/valyala/fastjson"
)

// Dataset names written by the staffing decoder.
const (
	DatasetStaffRecords = "staff_records"
	DatasetStaffQuota   = "staff_quota"
)

// Dates of staff records are Parquet DATE columns (int32 days since
// 1970-01-01, read by DuckDB as DATE): they are calendar days, not instants.
// An optional zero is written as NULL; no record starts or ends on the epoch.

// StaffRecord is one employment record as received: a row of staff_records.
// The views keep, per RecordNo, the record with the greatest (Kafka
// timestamp, partition, offset). Name and ID number are never kept; the ID
// number is replaced by PersonHash.
type StaffRecord struct {
	// Year is the Hive partition (year=YYYY of StartDate); it lives in the
	// path only.
	Year string `parquet:"-"`

	KafkaPartition int32 `parquet:"kafka_partition"`
	KafkaOffset    int64 `parquet:"kafka_offset"`
	KafkaTimestamp int64 `parquet:"kafka_timestamp,timestamp(microsecond:utc)"`
	// ItemIndex is the record's index in an array, 0 otherwise.
	ItemIndex int32 `parquet:"item_index"`

	// RecordNo is SoHieu, the upsert key.
	RecordNo string `parquet:"record_no"`
	// PersonHash is the keyed hash of SoDinhDanh, NULL when absent.
	PersonHash string `parquet:"person_hash,optional"`
	AgencyCode string `parquet:"agency_code"`
	// StaffClass is LoaiHinh: CC, VC or HD.
	StaffClass  string `parquet:"staff_class"`
	JobPosition string `parquet:"job_position,optional"`
	// Rank is Ngach.
	Rank      string `parquet:"rank,optional"`
	StartDate int32  `parquet:"start_date,date"`
	EndDate   int32  `parquet:"end_date,optional,date"`
	// EndReason is LyDoKetThuc: NGHI_HUU, THOI_VIEC, TINH_GIAN,
	// CHUYEN_CONG_TAC or KHAC; NULL otherwise.
	EndReason string `parquet:"end_reason,optional"`
}

// StaffQuota is one assigned staffing quota (biên chế giao): a row of
// staff_quota, upserted in the views by (AgencyCode, Year, StaffClass).
type StaffQuota struct {
	// Year is Nam, the Hive partition (year=YYYY): the views read the year
	// column from the path.
	Year string `parquet:"-"`

	KafkaPartition int32 `parquet:"kafka_partition"`
	KafkaOffset    int64 `parquet:"kafka_offset"`
	KafkaTimestamp int64 `parquet:"kafka_timestamp,timestamp(microsecond:utc)"`
	ItemIndex      int32 `parquet:"item_index"`

	AgencyCode string `parquet:"agency_code"`
	StaffClass string `parquet:"staff_class"`
	// Quota is SoLuong, the number of posts assigned.
	Quota int32 `parquet:"quota"`
}

// personalStaffFields are dropped from excerpts (contract section 5).
var personalStaffFields = []string{"HoTen", "SoDinhDanh", "SoDienThoai", "Email", "NgaySinh", "DiaChi"}

var staffClasses = map[string]string{"CC": "CC", "VC": "VC", "HD": "HD"}

var staffEndReasons = map[string]string{
	"NGHI_HUU": "NGHI_HUU", "THOI_VIEC": "THOI_VIEC", "TINH_GIAN": "TINH_GIAN",
	"CHUYEN_CONG_TAC": "CHUYEN_CONG_TAC", "KHAC": "KHAC",
}

// StaffingDecoder decodes staffing.records records: JSON objects, or arrays
// of them each standing alone (contract 2.4). Not safe for concurrent use:
// each partition worker owns one.
type StaffingDecoder struct {
	hasher *Hasher
	parser fastjson.Parser
	rec    StaffRecord
	quota  StaffQuota
	num    []byte
	upper  []byte
	strs   interner
}

// NewStaffingDecoder returns a decoder hashing personal ID numbers with h.
func NewStaffingDecoder(h *Hasher) *StaffingDecoder {
	return &StaffingDecoder{hasher: h}
}

// Decode implements Decoder: an object or an array of objects.
func (d *StaffingDecoder) Decode(rec *Record, sink Sink) {
	eachItem(&d.parser, rec, sink, false, func(item int32, v, _ *fastjson.Value) {
		d.item(rec, item, v, sink)
	})
}

func (d *StaffingDecoder) reject(sink Sink, item int32, v *fastjson.Value, reason string) {
	rejectItem(sink, item, v, reason, personalStaffFields)
}

func (d *StaffingDecoder) text(v *fastjson.Value, key string) []byte {
	return bytes.TrimSpace(scalar(v.Get(key), d.num))
}

// class returns LoaiHinh normalised (cc → CC), or "" when not CC, VC or HD.
func (d *StaffingDecoder) class(b []byte) string {
	d.upper = append(d.upper[:0], b...)
	for i, c := range d.upper {
		if 'a' <= c && c <= 'z' {
			d.upper[i] = c - ('a' - 'A')
		}
	}
	return staffClasses[string(d.upper)]
}

func (d *StaffingDecoder) item(rec *Record, item int32, v *fastjson.Value, sink Sink) {
	loai := d.text(v, "Loai")
	switch {
	case len(loai) == 0:
		d.employment(rec, item, v, sink)
	case bytes.EqualFold(loai, []byte("BienCheGiao")):
		d.quotaRecord(rec, item, v, sink)
	default:
		d.reject(sink, item, v, ReasonUnknownShape+": Loai "+quoteShort(loai)+" is neither absent (employment record) nor BienCheGiao")
	}
}

func (d *StaffingDecoder) employment(rec *Record, item int32, v *fastjson.Value, sink Sink) {
	no := d.text(v, "SoHieu")
	if len(no) == 0 {
		d.reject(sink, item, v, ReasonMissingField+": SoHieu")
		return
	}
	r := &d.rec
	*r = StaffRecord{
		KafkaPartition: rec.Partition,
		KafkaOffset:    rec.Offset,
		KafkaTimestamp: rec.Timestamp.UnixMicro(),
		ItemIndex:      item,
		RecordNo:       string(no),
	}
	if r.AgencyCode = d.strs.get(d.text(v, "MaDonVi")); r.AgencyCode == "" {
		d.reject(sink, item, v, ReasonMissingField+": MaDonVi")
		return
	}
	cls := d.text(v, "LoaiHinh")
	if len(cls) == 0 {
		d.reject(sink, item, v, ReasonMissingField+": LoaiHinh")
		return
	}
	if r.StaffClass = d.class(cls); r.StaffClass == "" {
		d.reject(sink, item, v, ReasonOutOfRange+": LoaiHinh "+quoteShort(cls)+" is not CC, VC or HD")
		return
	}
	start := d.text(v, "NgayBatDau")
	if len(start) == 0 {
		d.reject(sink, item, v, ReasonMissingField+": NgayBatDau")
		return
	}
	days, year, err := parseDay(start)
	if err != nil {
		d.reject(sink, item, v, ReasonBadDate+": NgayBatDau "+quoteShort(start)+" is not yyyyMMdd")
		return
	}
	r.StartDate, r.Year = days, yearText(year)
	if b := d.text(v, "NgayKetThuc"); len(b) > 0 {
		// An optional date that does not parse is NULL, as in dossiers.
		r.EndDate, _, _ = parseDay(b)
	}
	r.EndReason = staffEndReasons[string(d.text(v, "LyDoKetThuc"))]
	r.JobPosition = d.strs.get(d.text(v, "ViTriViecLam"))
	r.Rank = d.strs.get(d.text(v, "Ngach"))
	if id := d.text(v, "SoDinhDanh"); len(id) > 0 {
		r.PersonHash = d.hasher.Hash(id)
	}
	sink.Row(DatasetStaffRecords, r)
}

func (d *StaffingDecoder) quotaRecord(rec *Record, item int32, v *fastjson.Value, sink Sink) {
	r := &d.quota
	*r = StaffQuota{
		KafkaPartition: rec.Partition,
		KafkaOffset:    rec.Offset,
		KafkaTimestamp: rec.Timestamp.UnixMicro(),
		ItemIndex:      item,
	}
	if r.AgencyCode = d.strs.get(d.text(v, "MaDonVi")); r.AgencyCode == "" {
		d.reject(sink, item, v, ReasonMissingField+": MaDonVi")
		return
	}
	nam := d.text(v, "Nam")
	if len(nam) == 0 {
		d.reject(sink, item, v, ReasonMissingField+": Nam")
		return
	}
	y, ok := smallInt(nam)
	if !ok || y < 1900 || y > 2200 {
		d.reject(sink, item, v, ReasonOutOfRange+": Nam "+quoteShort(nam)+" is not a year")
		return
	}
	r.Year = yearText(int(y))
	cls := d.text(v, "LoaiHinh")
	if len(cls) == 0 {
		d.reject(sink, item, v, ReasonMissingField+": LoaiHinh")
		return
	}
	if r.StaffClass = d.class(cls); r.StaffClass == "" {
		d.reject(sink, item, v, ReasonOutOfRange+": LoaiHinh "+quoteShort(cls)+" is not CC, VC or HD")
		return
	}
	n := d.text(v, "SoLuong")
	if len(n) == 0 {
		d.reject(sink, item, v, ReasonMissingField+": SoLuong")
		return
	}
	q, ok := smallInt(n)
	if !ok || q > 1<<31-1 {
		d.reject(sink, item, v, ReasonOutOfRange+": SoLuong "+quoteShort(n)+" is not a count")
		return
	}
	r.Quota = int32(q)
	sink.Row(DatasetStaffQuota, r)
}

// parseDay parses yyyyMMdd (a longer yyyyMMddHHmm[ss] keeps its day) into
// days since 1970-01-01 and the year.
func parseDay(b []byte) (days int32, year int, err error) {
	if _, err := parseLocalDigits(b); err != nil {
		return 0, 0, err
	}
	y, m, dd := atoiN(b[0:4]), atoiN(b[4:6]), atoiN(b[6:8])
	return int32(time.Date(y, time.Month(m), dd, 0, 0, 0, 0, time.UTC).Unix() / 86400), y, nil
}

// years holds the partition values of the years data can carry.
var years = func() (a [301]string) {
	for i := range a {
		a[i] = strconv.Itoa(1900 + i)
	}
	return
}()

func yearText(y int) string {
	if y >= 1900 && y-1900 < len(years) {
		return years[y-1900]
	}
	return strconv.Itoa(y)
}
