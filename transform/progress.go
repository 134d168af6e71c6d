package transform

import (
	"bytes"

	"github.com/valyala/fastjson"
)

// ProgressStep is one processing step of a dossier (onestop.progress,
// contract 2.2): a row of onestop_progress. The handler's name (NguoiXuLy)
// is never kept; the job title is.
type ProgressStep struct {
	// Month is the Hive partition (month=YYYY-MM, Local month of
	// ProcessedAt, else of the Kafka timestamp); it lives in the path only.
	Month string `parquet:"-"`

	KafkaPartition int32 `parquet:"kafka_partition"`
	KafkaOffset    int64 `parquet:"kafka_offset"`
	KafkaTimestamp int64 `parquet:"kafka_timestamp,timestamp(microsecond:utc)"`
	// ItemIndex is the step's index in an array or envelope, 0 otherwise.
	ItemIndex int32 `parquet:"item_index"`

	DossierCode string `parquet:"dossier_code"`
	// AgencyCode is MaDonVi, else the envelope's madonvi, else the part of
	// MaHoSo before its first '-', as for dossiers.
	AgencyCode string `parquet:"agency_code,optional"`
	// JobTitle is ChucDanh, the handler's position.
	JobTitle string `parquet:"job_title,optional"`
	// Department is PhongBanXuLy.
	Department string `parquet:"department,optional"`
	// Action is NoiDungXuLy, what was done.
	Action string `parquet:"action,optional"`
	// Status is TrangThai 1..10 (the dossier statuses), NULL otherwise.
	Status      *int32 `parquet:"status,optional"`
	ProcessedAt int64  `parquet:"processed_at,optional,timestamp(microsecond:utc)"`
	StartedAt   int64  `parquet:"started_at,optional,timestamp(microsecond:utc)"`
	DueAt       int64  `parquet:"due_at,optional,timestamp(microsecond:utc)"`
}

// personalProgressFields are dropped from excerpts: the handler's name and,
// should a sender copy them in, the applicant's fields.
var personalProgressFields = append([]string{"NguoiXuLy"}, personalDossierFields...)

// ProgressDecoder decodes onestop.progress records: an object, an array of
// them or an envelope {"service":"CapNhatTienDoHoSoMC",...,"data":[...]},
// each step standing alone. Not safe for concurrent use: each partition
// worker owns one.
type ProgressDecoder struct {
	parser fastjson.Parser
	row    ProgressStep
	num    []byte
	strs   interner
}

// NewProgressDecoder returns a decoder for onestop.progress.
func NewProgressDecoder() *ProgressDecoder {
	return &ProgressDecoder{}
}

// Decode implements Decoder. As for dossiers, an object with a data member
// holding an array is an envelope.
func (d *ProgressDecoder) Decode(rec *Record, sink Sink) {
	eachItem(&d.parser, rec, sink, true, func(item int32, v, env *fastjson.Value) {
		var envAgency string
		if env != nil {
			envAgency = d.strs.get(bytes.TrimSpace(scalar(env.Get("madonvi"), d.num)))
		}
		d.step(rec, item, v, envAgency, sink)
	})
}

func (d *ProgressDecoder) text(v *fastjson.Value, key string) []byte {
	return bytes.TrimSpace(scalar(v.Get(key), d.num))
}

// date parses an optional yyyyMMddHHmmss date: absent or unreadable is 0.
func (d *ProgressDecoder) date(v *fastjson.Value, key string) int64 {
	t, _ := parseLocalDigits(d.text(v, key))
	return t
}

func (d *ProgressDecoder) step(rec *Record, item int32, v *fastjson.Value, env string, sink Sink) {
	code := d.text(v, "MaHoSo")
	if len(code) == 0 {
		rejectItem(sink, item, v, ReasonMissingField+": MaHoSo", personalProgressFields)
		return
	}
	// code may alias d.num, which the next scalar overwrites.
	dossier := string(code)
	r := &d.row
	*r = ProgressStep{
		KafkaPartition: rec.Partition,
		KafkaOffset:    rec.Offset,
		KafkaTimestamp: rec.Timestamp.UnixMicro(),
		ItemIndex:      item,
		DossierCode:    dossier,
		AgencyCode:     d.strs.get(d.text(v, "MaDonVi")),
		JobTitle:       d.strs.get(d.text(v, "ChucDanh")),
		Department:     d.strs.get(d.text(v, "PhongBanXuLy")),
		Action:         d.strs.get(d.text(v, "NoiDungXuLy")),
		Status:         enum(d.text(v, "TrangThai"), 1, 10),
		ProcessedAt:    d.date(v, "ThoiDiemXuLy"),
		StartedAt:      d.date(v, "NgayBatDau"),
		DueAt:          d.date(v, "NgayKetThucTheoQuyDinh"),
	}
	if r.AgencyCode == "" {
		if env != "" {
			r.AgencyCode = env
		} else if i := bytes.IndexByte([]byte(dossier), '-'); i > 0 {
			r.AgencyCode = d.strs.get([]byte(dossier[:i]))
		}
	}
	if r.ProcessedAt != 0 {
		r.Month = MonthOf(r.ProcessedAt)
	} else {
		r.Month = MonthOf(r.KafkaTimestamp)
	}
	sink.Row(DatasetOnestopProgress, r)
}
