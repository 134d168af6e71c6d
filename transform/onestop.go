package transform

import (
	"bytes"

	"github.com/valyala/fastjson"
)

// Dataset names written by the one-stop decoders.
const (
	DatasetOnestopSnapshots = "onestop_snapshots"
	DatasetOnestopProgress  = "onestop_progress"
)

// Timestamps are Unix microseconds, 0 meaning absent: every column is a
// Parquet TIMESTAMP(MICROS, UTC) that DuckDB reads as TIMESTAMPTZ, and a zero
// optional value is written as NULL. No real event happened at the epoch.

// Supplement is one request for missing papers (DanhSachHoSoBoSung[]).
type Supplement struct {
	RequestedAt int64 `parquet:"requested_at,optional,timestamp(microsecond:utc)"`
	ReceivedAt  int64 `parquet:"received_at,optional,timestamp(microsecond:utc)"`
	PrevDueAt   int64 `parquet:"prev_due_at,optional,timestamp(microsecond:utc)"`
	NewDueAt    int64 `parquet:"new_due_at,optional,timestamp(microsecond:utc)"`
}

// Apology is one apology letter for lateness (DanhSachXinLoi[]).
type Apology struct {
	ApologyAt int64  `parquet:"apology_at,optional,timestamp(microsecond:utc)"`
	PrevDueAt int64  `parquet:"prev_due_at,optional,timestamp(microsecond:utc)"`
	NewDueAt  int64  `parquet:"new_due_at,optional,timestamp(microsecond:utc)"`
	Reason    string `parquet:"reason,optional"`
}

// DossierSnapshot is one dossier object as received: a row of
// onestop_snapshots. Personal data is absent but for ApplicantHash.
type DossierSnapshot struct {
	// Month is the Hive partition (month=YYYY-MM, Local month of
	// LastEventAt, else of the Kafka timestamp); it lives in the path only.
	Month string `parquet:"-"`

	KafkaPartition int32 `parquet:"kafka_partition"`
	KafkaOffset    int64 `parquet:"kafka_offset"`
	KafkaTimestamp int64 `parquet:"kafka_timestamp,timestamp(microsecond:utc)"`
	// ItemIndex is the dossier's index in an array or envelope, 0 otherwise.
	ItemIndex int32 `parquet:"item_index"`

	DossierCode   string `parquet:"dossier_code"`
	ProcedureCode string `parquet:"procedure_code,optional"`
	ProcedureName string `parquet:"procedure_name,optional"`
	SectorCode    string `parquet:"sector_code,optional"`
	SectorName    string `parquet:"sector_name,optional"`
	AgencyCode    string `parquet:"agency_code,optional"`
	AgencyName    string `parquet:"agency_name,optional"`
	// Envelope is the envelope's madonvi, when the dossier came in one.
	EnvelopeAgency string `parquet:"envelope_agency,optional"`

	Channel       *int32 `parquet:"channel,optional"`
	ApplicantType *int32 `parquet:"applicant_type,optional"`
	Status        int32  `parquet:"status"`
	ReturnByPost  *bool  `parquet:"return_by_post,optional"`

	SubmittedAt int64 `parquet:"submitted_at,optional,timestamp(microsecond:utc)"`
	ReceivedAt  int64 `parquet:"received_at,optional,timestamp(microsecond:utc)"`
	DueAt       int64 `parquet:"due_at,optional,timestamp(microsecond:utc)"`
	FinishedAt  int64 `parquet:"finished_at,optional,timestamp(microsecond:utc)"`
	ReturnedAt  int64 `parquet:"returned_at,optional,timestamp(microsecond:utc)"`
	RefusedAt   int64 `parquet:"refused_at,optional,timestamp(microsecond:utc)"`
	// LastEventAt is the latest event date (contract 4.1), the first key of
	// the current-state order.
	LastEventAt int64 `parquet:"last_event_at,optional,timestamp(microsecond:utc)"`

	Supplements []Supplement `parquet:"supplements,list"`
	Apologies   []Apology    `parquet:"apologies,list"`

	ApplicantHash string `parquet:"applicant_hash,optional"`
}

// smallInts gives optional enum columns a pointer without allocating.
var smallInts = func() (a [16]int32) {
	for i := range a {
		a[i] = int32(i)
	}
	return
}()

var boolTrue, boolFalse = true, false

// personalDossierFields are dropped from every dossier (contract section 5)
// before anything of it is kept, excerpts included.
var personalDossierFields = []string{"ChuHoSo", "SoGiayToChuHoSo", "DinhDanhCHS", "Email", "SoDienThoai", "Fax"}

// OnestopDecoder decodes onestop.dossiers records. Not safe for concurrent
// use: each partition worker owns one.
type OnestopDecoder struct {
	hasher *Hasher
	parser fastjson.Parser
	row    DossierSnapshot
	num    []byte
	strs   interner
	// scratch of dossier, kept to spare an allocation per record
	status, idDoc, idFirst []byte
}

// NewOnestopDecoder returns a decoder hashing applicant IDs with h.
func NewOnestopDecoder(h *Hasher) *OnestopDecoder {
	return &OnestopDecoder{hasher: h, strs: interner{}}
}

// Decode implements Decoder for the three shapes of contract 2.1.
func (d *OnestopDecoder) Decode(rec *Record, sink Sink) {
	eachItem(&d.parser, rec, sink, true, func(item int32, v, env *fastjson.Value) {
		var envAgency string
		if env != nil {
			envAgency = d.strs.get(bytes.TrimSpace(scalar(env.Get("madonvi"), d.num)))
		}
		d.dossier(rec, item, v, envAgency, sink)
	})
}

func (d *OnestopDecoder) reject(sink Sink, item int32, v *fastjson.Value, reason string) {
	rejectItem(sink, item, v, reason, personalDossierFields)
}

// dossier decodes one dossier object. env is the envelope's madonvi.
func (d *OnestopDecoder) dossier(rec *Record, item int32, v *fastjson.Value, env string, sink Sink) {
	o, _ := v.Object()
	r := &d.row
	// Slices start nil: the sink keeps a shallow copy of the row.
	*r = DossierSnapshot{}
	r.KafkaPartition = rec.Partition
	r.KafkaOffset = rec.Offset
	r.KafkaTimestamp = rec.Timestamp.UnixMicro()
	r.ItemIndex = item
	r.EnvelopeAgency = env

	status, idDoc, idFirst := d.status[:0], d.idDoc[:0], d.idFirst[:0]
	defer func() { d.status, d.idDoc, d.idFirst = status, idDoc, idFirst }()
	// Optional dates are kept as NULL when malformed, like optional codes
	// out of range; only a required field can reject a dossier.
	date := func(b []byte) int64 {
		if len(b) == 0 {
			return 0
		}
		t, err := parseLocalDigits(b)
		if err != nil {
			return 0
		}
		return t
	}
	o.Visit(func(key []byte, fv *fastjson.Value) {
		switch string(key) {
		case "MaHoSo":
			if b := scalar(fv, d.num); len(b) > 0 {
				r.DossierCode = string(bytes.TrimSpace(b))
			}
		case "MaTTHC":
			r.ProcedureCode = d.strs.get(scalar(fv, d.num))
		case "TenTTHC":
			r.ProcedureName = d.strs.get(scalar(fv, d.num))
		case "MaLinhVuc":
			r.SectorCode = d.strs.get(scalar(fv, d.num))
		case "TenLinhVuc":
			r.SectorName = d.strs.get(scalar(fv, d.num))
		case "MaDonVi":
			r.AgencyCode = d.strs.get(scalar(fv, d.num))
		case "DonViXuLy":
			r.AgencyName = d.strs.get(scalar(fv, d.num))
		case "KenhThucHien":
			r.Channel = enum(scalar(fv, d.num), 1, 3)
		case "LoaiDoiTuong":
			r.ApplicantType = enum(scalar(fv, d.num), 1, 4)
		case "TrangThaiHoSo":
			status = append(status[:0], scalar(fv, d.num)...)
		case "HinhThuc":
			if n, ok := smallInt(scalar(fv, d.num)); ok && n <= 1 {
				if n == 1 {
					r.ReturnByPost = &boolTrue
				} else {
					r.ReturnByPost = &boolFalse
				}
			}
		case "NgayNopHoSo":
			r.SubmittedAt = date(scalar(fv, d.num))
		case "NgayTiepNhan":
			r.ReceivedAt = date(scalar(fv, d.num))
		case "NgayHenTra":
			r.DueAt = date(scalar(fv, d.num))
		case "NgayKetThucXuLy":
			r.FinishedAt = date(scalar(fv, d.num))
		case "NgayTra":
			r.ReturnedAt = date(scalar(fv, d.num))
		case "NgayTuChoi":
			r.RefusedAt = date(scalar(fv, d.num))
		case "DanhSachHoSoBoSung":
			for _, s := range arrayOf(fv) {
				r.Supplements = append(r.Supplements, Supplement{
					RequestedAt: date(scalar(s.Get("NgayBoSung"), d.num)),
					ReceivedAt:  date(scalar(s.Get("NgayTiepNhanBoSung"), d.num)),
					PrevDueAt:   date(scalar(s.Get("NgayHenTraTruoc"), d.num)),
					NewDueAt:    date(scalar(s.Get("NgayHenTraMoi"), d.num)),
				})
			}
		case "DanhSachXinLoi":
			for _, s := range arrayOf(fv) {
				r.Apologies = append(r.Apologies, Apology{
					ApologyAt: date(scalar(s.Get("NgayXinLoi"), d.num)),
					PrevDueAt: date(scalar(s.Get("NgayHenTraTruoc"), d.num)),
					NewDueAt:  date(scalar(s.Get("NgayHenTraMoi"), d.num)),
					Reason:    string(scalar(s.Get("LyDo"), d.num)),
				})
			}
		case "SoGiayToChuHoSo":
			idDoc = append(idDoc[:0], scalar(fv, d.num)...)
		case "DinhDanhCHS":
			if items := arrayOf(fv); len(items) > 0 {
				idFirst = append(idFirst[:0], scalar(items[0].Get("SoDinhDanh"), d.num)...)
			}
		}
	})
	if r.DossierCode == "" {
		d.reject(sink, item, v, ReasonMissingField+": MaHoSo")
		return
	}
	if len(status) == 0 {
		d.reject(sink, item, v, ReasonMissingField+": TrangThaiHoSo")
		return
	}
	st, ok := smallInt(status)
	if !ok || st < 1 || st > 10 {
		d.reject(sink, item, v, ReasonOutOfRange+": TrangThaiHoSo "+string(status)+" is not 1..10")
		return
	}
	r.Status = int32(st)
	if r.AgencyCode == "" {
		if r.EnvelopeAgency != "" {
			r.AgencyCode = r.EnvelopeAgency
		} else if i := bytes.IndexByte([]byte(r.DossierCode), '-'); i > 0 {
			r.AgencyCode = d.strs.get([]byte(r.DossierCode[:i]))
		}
	}
	switch {
	case len(bytes.TrimSpace(idDoc)) > 0:
		r.ApplicantHash = d.hasher.Hash(idDoc)
	case len(bytes.TrimSpace(idFirst)) > 0:
		r.ApplicantHash = d.hasher.Hash(idFirst)
	}
	r.LastEventAt = max(r.SubmittedAt, r.ReceivedAt, r.FinishedAt, r.ReturnedAt, r.RefusedAt)
	for _, s := range r.Supplements {
		r.LastEventAt = max(r.LastEventAt, s.RequestedAt, s.ReceivedAt)
	}
	for _, a := range r.Apologies {
		r.LastEventAt = max(r.LastEventAt, a.ApologyAt)
	}
	if r.LastEventAt != 0 {
		r.Month = MonthOf(r.LastEventAt)
	} else {
		r.Month = MonthOf(r.KafkaTimestamp)
	}
	sink.Row(DatasetOnestopSnapshots, r)
}

func arrayOf(v *fastjson.Value) []*fastjson.Value {
	if v == nil || v.Type() != fastjson.TypeArray {
		return nil
	}
	a, _ := v.Array()
	return a
}

// enum returns a pointer to the code when it lies in [lo, hi], else nil: an
// optional code out of range is stored as NULL (contract 2.1).
func enum(b []byte, lo, hi int64) *int32 {
	n, ok := smallInt(b)
	if !ok || n < lo || n > hi {
		return nil
	}
	return &smallInts[n]
}

// interner keeps one copy of the few distinct codes and names (agencies,
// sectors, procedures) instead of allocating them per row. It is bounded so
// free text cannot grow it without limit.
type interner map[string]string

func (in interner) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := in[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in) < 1<<16 {
		in[s] = s
	}
	return s
}
