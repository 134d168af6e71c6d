package transform

import (
	"bytes"
	"hash/maphash"
	"strings"

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
	sub    fastjson.Parser // for list members and excerpts on the fast path
	row    DossierSnapshot
	num    []byte
	strs   interner
	// scratch of one dossier, kept to spare an allocation per record
	status, idDoc, idFirst []byte
	// pending holds the fast path's results until the whole record has
	// been read: a record it cannot finish is decoded again from scratch.
	pending []pendingItem
}

type pendingItem struct {
	row    DossierSnapshot
	reject *Rejection
}

// NewOnestopDecoder returns a decoder hashing applicant IDs with h.
func NewOnestopDecoder(h *Hasher) *OnestopDecoder {
	return &OnestopDecoder{hasher: h}
}

// Decode implements Decoder for the three shapes of contract 2.1.
func (d *OnestopDecoder) Decode(rec *Record, sink Sink) {
	if d.decodeFast(rec) {
		for i := range d.pending {
			if p := &d.pending[i]; p.reject != nil {
				sink.Reject(*p.reject)
			} else {
				sink.Row(DatasetOnestopSnapshots, &p.row)
			}
		}
		clear(d.pending) // drop references the sink has copied
		d.pending = d.pending[:0]
		return
	}
	clear(d.pending)
	d.pending = d.pending[:0]
	d.decodeSlow(rec, sink)
}

// decodeSlow decodes rec through fastjson's tree: the reference for every
// shape and error, and the way for what the fast path does not take.
func (d *OnestopDecoder) decodeSlow(rec *Record, sink Sink) {
	eachItem(&d.parser, rec, sink, true, func(item int32, v, env *fastjson.Value) {
		var envAgency string
		if env != nil {
			envAgency = d.strs.get(bytes.TrimSpace(scalar(env.Get("madonvi"), d.num)))
		}
		o, _ := v.Object()
		d.begin(rec, item, envAgency)
		o.Visit(func(key []byte, fv *fastjson.Value) {
			d.member(key, scalar(fv, d.num), fv, nil)
		})
		if reason := d.finish(); reason != "" {
			rejectItem(sink, item, v, reason, personalDossierFields)
			return
		}
		sink.Row(DatasetOnestopSnapshots, &d.row)
	})
}

// decodeFast decodes rec into d.pending with the members scanner, without
// fastjson's tree. It returns false, having emitted nothing, for anything
// the scanner does not take (see members), which then goes the slow way.
func (d *OnestopDecoder) decodeFast(rec *Record) bool {
	b := rec.Value
	i := skipWS(b, 0)
	if i >= len(b) {
		return false
	}
	var end int
	switch b[i] {
	case '[':
		end = d.fastItems(rec, b, i, "")
	case '{':
		// An object is a dossier unless its first data member is an
		// array: then it is an envelope (eachItem's rule). Its members
		// are applied as a dossier's while looking, and dropped if so.
		var m members
		m.open(b, i)
		d.begin(rec, 0, "")
		var data, madonvi []byte
		seenData, seenMadonvi := false, false
		for {
			key, kind, val, ok, bad := m.next()
			if bad {
				return false
			}
			if !ok {
				break
			}
			switch string(key) {
			case "data":
				if !seenData {
					seenData = true
					if kind == kindArray {
						data = val
					}
				}
			case "madonvi":
				if !seenMadonvi {
					seenMadonvi = true
					madonvi = fastScalar(kind, val)
				}
			}
			if !d.fastMember(key, kind, val) {
				return false
			}
		}
		end = m.i
		if data != nil {
			env := d.strs.get(bytes.TrimSpace(madonvi))
			if d.fastItems(rec, data, 0, env) < 0 {
				return false
			}
			break
		}
		if !d.fastFinish(0, b[i:end]) {
			return false
		}
	default:
		return false
	}
	return end >= 0 && skipWS(b, end) == len(b)
}

// fastItems decodes the array of dossier objects at b[i], returning its end
// or -1.
func (d *OnestopDecoder) fastItems(rec *Record, b []byte, i int, env string) int {
	i = skipWS(b, i+1) // past '['
	if i < len(b) && b[i] == ']' {
		return i + 1
	}
	for item := int32(0); ; item++ {
		var m members
		if !m.open(b, i) {
			return -1 // not an object: the slow path words the rejection
		}
		start := skipWS(b, i)
		d.begin(rec, item, env)
		for {
			key, kind, val, ok, bad := m.next()
			if bad {
				return -1
			}
			if !ok {
				break
			}
			if !d.fastMember(key, kind, val) {
				return -1
			}
		}
		if !d.fastFinish(item, b[start:m.i]) {
			return -1
		}
		if i = skipWS(b, m.i); i >= len(b) {
			return -1
		}
		switch b[i] {
		case ',':
			i++
		case ']':
			return i + 1
		default:
			return -1
		}
	}
}

// fastMember applies one scanned member; lists are parsed by fastjson.
func (d *OnestopDecoder) fastMember(key []byte, kind byte, val []byte) bool {
	switch string(key) {
	case "DanhSachHoSoBoSung", "DanhSachXinLoi", "DinhDanhCHS":
		if kind != kindArray {
			d.member(key, fastScalar(kind, val), nil, nil)
			return true
		}
		v, err := d.sub.ParseBytes(val)
		if err != nil {
			return false
		}
		d.member(key, nil, nil, arrayOf(v))
		return true
	}
	d.member(key, fastScalar(kind, val), nil, nil)
	return true
}

// fastFinish completes the dossier begun, queueing its row or rejection.
func (d *OnestopDecoder) fastFinish(item int32, raw []byte) bool {
	reason := d.finish()
	if reason == "" {
		d.pending = append(d.pending, pendingItem{row: d.row})
		return true
	}
	v, err := d.sub.ParseBytes(raw)
	if err != nil {
		return false
	}
	var one oneRejection
	rejectItem(&one, item, v, reason, personalDossierFields)
	d.pending = append(d.pending, pendingItem{reject: &one.r})
	return true
}

// oneRejection is a Sink keeping the rejection it is given.
type oneRejection struct{ r Rejection }

func (o *oneRejection) Row(string, any)    {}
func (o *oneRejection) Reject(r Rejection) { o.r = r }

// begin starts a dossier: item is its index in an array or envelope, env
// the envelope's madonvi.
func (d *OnestopDecoder) begin(rec *Record, item int32, env string) {
	r := &d.row
	// Slices start nil: the sink keeps a shallow copy of the row.
	*r = DossierSnapshot{}
	r.KafkaPartition = rec.Partition
	r.KafkaOffset = rec.Offset
	r.KafkaTimestamp = rec.Timestamp.UnixMicro()
	r.ItemIndex = item
	r.EnvelopeAgency = env
	d.status, d.idDoc, d.idFirst = d.status[:0], d.idDoc[:0], d.idFirst[:0]
}

// date parses an optional date: absent or malformed is NULL (0), like an
// optional code out of range; only a required field can reject a dossier.
func date(b []byte) int64 {
	if len(b) == 0 {
		return 0
	}
	t, err := parseLocalDigits(b)
	if err != nil {
		return 0
	}
	return t
}

// member applies one member of a dossier object, in document order. sc is
// its scalar (see scalar); a list member comes as fv (slow path) or as its
// items (fast path).
func (d *OnestopDecoder) member(key, sc []byte, fv *fastjson.Value, items []*fastjson.Value) {
	r := &d.row
	switch string(key) {
	case "MaHoSo":
		if len(sc) > 0 {
			r.DossierCode = string(bytes.TrimSpace(sc))
		}
	case "MaTTHC":
		r.ProcedureCode = d.strs.get(sc)
	case "TenTTHC":
		r.ProcedureName = d.strs.get(sc)
	case "MaLinhVuc":
		r.SectorCode = d.strs.get(sc)
	case "TenLinhVuc":
		r.SectorName = d.strs.get(sc)
	case "MaDonVi":
		r.AgencyCode = d.strs.get(sc)
	case "DonViXuLy":
		r.AgencyName = d.strs.get(sc)
	case "KenhThucHien":
		r.Channel = enum(sc, 1, 3)
	case "LoaiDoiTuong":
		r.ApplicantType = enum(sc, 1, 4)
	case "TrangThaiHoSo":
		d.status = append(d.status[:0], sc...)
	case "HinhThuc":
		if n, ok := smallInt(sc); ok && n <= 1 {
			if n == 1 {
				r.ReturnByPost = &boolTrue
			} else {
				r.ReturnByPost = &boolFalse
			}
		}
	case "NgayNopHoSo":
		r.SubmittedAt = date(sc)
	case "NgayTiepNhan":
		r.ReceivedAt = date(sc)
	case "NgayHenTra":
		r.DueAt = date(sc)
	case "NgayKetThucXuLy":
		r.FinishedAt = date(sc)
	case "NgayTra":
		r.ReturnedAt = date(sc)
	case "NgayTuChoi":
		r.RefusedAt = date(sc)
	case "DanhSachHoSoBoSung":
		for _, s := range listItems(fv, items) {
			r.Supplements = append(r.Supplements, Supplement{
				RequestedAt: date(scalar(s.Get("NgayBoSung"), d.num)),
				ReceivedAt:  date(scalar(s.Get("NgayTiepNhanBoSung"), d.num)),
				PrevDueAt:   date(scalar(s.Get("NgayHenTraTruoc"), d.num)),
				NewDueAt:    date(scalar(s.Get("NgayHenTraMoi"), d.num)),
			})
		}
	case "DanhSachXinLoi":
		for _, s := range listItems(fv, items) {
			r.Apologies = append(r.Apologies, Apology{
				ApologyAt: date(scalar(s.Get("NgayXinLoi"), d.num)),
				PrevDueAt: date(scalar(s.Get("NgayHenTraTruoc"), d.num)),
				NewDueAt:  date(scalar(s.Get("NgayHenTraMoi"), d.num)),
				Reason:    string(scalar(s.Get("LyDo"), d.num)),
			})
		}
	case "SoGiayToChuHoSo":
		d.idDoc = append(d.idDoc[:0], sc...)
	case "DinhDanhCHS":
		if items := listItems(fv, items); len(items) > 0 {
			d.idFirst = append(d.idFirst[:0], scalar(items[0].Get("SoDinhDanh"), d.num)...)
		}
	}
}

// finish completes d.row from the members applied: derived fields, the
// applicant hash, the partition. It returns why the dossier is rejected,
// or "".
func (d *OnestopDecoder) finish() string {
	r := &d.row
	if r.DossierCode == "" {
		return ReasonMissingField + ": MaHoSo"
	}
	if len(d.status) == 0 {
		return ReasonMissingField + ": TrangThaiHoSo"
	}
	st, ok := smallInt(d.status)
	if !ok || st < 1 || st > 10 {
		return ReasonOutOfRange + ": TrangThaiHoSo " + string(d.status) + " is not 1..10"
	}
	r.Status = int32(st)
	if r.AgencyCode == "" {
		if r.EnvelopeAgency != "" {
			r.AgencyCode = r.EnvelopeAgency
		} else if i := strings.IndexByte(r.DossierCode, '-'); i > 0 {
			r.AgencyCode = d.strs.get([]byte(r.DossierCode[:i]))
		}
	}
	switch {
	case len(bytes.TrimSpace(d.idDoc)) > 0:
		r.ApplicantHash = d.hasher.Hash(d.idDoc)
	case len(bytes.TrimSpace(d.idFirst)) > 0:
		r.ApplicantHash = d.hasher.Hash(d.idFirst)
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
	return ""
}

// listItems is a list member's items, whichever path parsed it: only the
// list members pay for looking.
func listItems(fv *fastjson.Value, items []*fastjson.Value) []*fastjson.Value {
	if fv != nil {
		return arrayOf(fv)
	}
	return items
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
// sectors, procedures) instead of allocating them per row. It is
// direct-mapped: a probe costs a hash and one comparison, less than a map
// lookup, and free text passing through can only evict, never grow it.
// The zero value is ready to use.
type interner struct {
	seed  maphash.Seed
	slots []internSlot
}

type internSlot struct {
	h uint64
	s string
}

const internSlots = 1 << 12 // a power of two

func (in *interner) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if in.slots == nil {
		in.seed, in.slots = maphash.MakeSeed(), make([]internSlot, internSlots)
	}
	h := maphash.Bytes(in.seed, b)
	slot := &in.slots[h&(internSlots-1)]
	if slot.h == h && slot.s == string(b) {
		return slot.s
	}
	*slot = internSlot{h: h, s: string(b)}
	return slot.s
}
