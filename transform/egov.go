package transform

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"

	"github.com/valyala/fastjson"
)

// Dataset names written by the eGov decoder.
const (
	DatasetEgovDocuments = "egov_documents"
	DatasetEgovStatus    = "egov_status"
)

// EgovDocument is one document package (edXML MessageHeader) as received: a
// row of egov_documents. Attachments are counted, never kept; the clerk's
// StaffInfo is never read.
type EgovDocument struct {
	// Month is the Hive partition (month=YYYY-MM, Local month of
	// PromulgationDate); it lives in the path only.
	Month string `parquet:"-"`

	KafkaPartition int32 `parquet:"kafka_partition"`
	KafkaOffset    int64 `parquet:"kafka_offset"`
	KafkaTimestamp int64 `parquet:"kafka_timestamp,timestamp(microsecond:utc)"`
	// Format is "xml" (an edXML package) or "json" (its JSON equivalent).
	Format string `parquet:"format"`

	// DocumentID is MessageHeader.DocumentId, else
	// From.OrganId,PromulgationDate,CodeNumber/CodeNotation (contract 2.3).
	DocumentID       string   `parquet:"document_id"`
	FromOrganID      string   `parquet:"from_organ_id"`
	FromOrganName    string   `parquet:"from_organ_name,optional"`
	ToOrganIDs       []string `parquet:"to_organ_ids,list"`
	CodeNumber       string   `parquet:"code_number,optional"`
	CodeNotation     string   `parquet:"code_notation,optional"`
	PromulgationDate int64    `parquet:"promulgation_date,timestamp(microsecond:utc)"`
	DocumentType     string   `parquet:"document_type,optional"`
	DocumentTypeName string   `parquet:"document_type_name,optional"`
	Subject          string   `parquet:"subject,optional"`
	DueDate          int64    `parquet:"due_date,optional,timestamp(microsecond:utc)"`
	// Priority is OtherInfo.Priority, 0 (normal) .. 4 (express).
	Priority *int32 `parquet:"priority,optional"`
	// SteeringType is 1..3.
	SteeringType *int32 `parquet:"steering_type,optional"`
	// BusinessDocType is TraceHeaderList.Bussiness.BussinessDocType: 0 new,
	// 1 revoke, 2 update, 3 replace.
	BusinessDocType *int32 `parquet:"business_doc_type,optional"`
	// Paper is true when a paper copy is also sent (Paper 1).
	Paper bool `parquet:"paper"`
	// Signed is true when the package carries an XML-DSig Signature.
	Signed          bool  `parquet:"signed"`
	AttachmentCount int32 `parquet:"attachment_count"`
	// AttachmentBytes is the decoded size of every attachment, from the
	// length of its base64 text.
	AttachmentBytes int64 `parquet:"attachment_bytes"`
}

// EgovStatus is one status package (edXML Status): a row of egov_status.
type EgovStatus struct {
	// Month is the Hive partition, the Local month of StatusAt.
	Month string `parquet:"-"`

	KafkaPartition int32  `parquet:"kafka_partition"`
	KafkaOffset    int64  `parquet:"kafka_offset"`
	KafkaTimestamp int64  `parquet:"kafka_timestamp,timestamp(microsecond:utc)"`
	Format         string `parquet:"format"`

	// DocumentID is ResponseFor.DocumentId, the document reported on.
	DocumentID string `parquet:"document_id"`
	// OrganID is From.OrganId, the receiving agency reporting.
	OrganID   string `parquet:"organ_id"`
	OrganName string `parquet:"organ_name,optional"`
	// StatusCode is "01".."06", "13", "15" or "16".
	StatusCode  string `parquet:"status_code"`
	StatusAt    int64  `parquet:"status_at,timestamp(microsecond:utc)"`
	Description string `parquet:"description,optional"`
}

// egovField is a leaf of a package the decoder keeps.
type egovField uint8

const (
	fNone egovField = iota
	fFromOrganID
	fFromOrganName
	fToOrganID
	fCodeNumber
	fCodeNotation
	fPromulgationDate
	fDocType
	fDocTypeName
	fSubject
	fDueDate
	fPriority
	fSteeringType
	fDocumentID
	fPaper
	fBusinessDocType
	fRespDocumentID
	fStatusOrganID
	fStatusOrganName
	fStatusCode
	fTimestamp
	fDescription
	nEgovFields
)

// egovPkg is what both the XML and the JSON reader make of a package.
type egovPkg struct {
	val         [nEgovFields][]byte
	to          []string
	envelope    bool
	message     bool
	status      bool
	signed      bool
	attachments int32
	attBytes    int64
}

func (p *egovPkg) reset() {
	for i := range p.val {
		p.val[i] = p.val[i][:0]
	}
	// A fresh list per package: the sink keeps the row's slice.
	p.to = nil
	p.envelope, p.message, p.status, p.signed = false, false, false, false
	p.attachments, p.attBytes = 0, 0
}

func (p *egovPkg) set(f egovField, b []byte) { p.val[f] = append(p.val[f][:0], b...) }

func (p *egovPkg) get(f egovField) []byte { return bytes.TrimSpace(p.val[f]) }

// personalEgovElements are left out of quarantine excerpts (contract
// section 5): the clerk's StaffInfo, the signer's name and the signing
// certificate, which names its holder.
var personalEgovElements = []string{"StaffInfo", "SignerInfo", "KeyInfo"}

func isPersonalEgov(local string) bool {
	for _, s := range personalEgovElements {
		if local == s {
			return true
		}
	}
	return false
}

// bigJSONValue is the value size above which the JSON parser's buffers are
// dropped after use rather than kept for the next record.
const bigJSONValue = 1 << 20

// EgovDecoder decodes egov.documents records: edXML packages (QCVN
// 102:2016/BTTTT) and their JSON equivalent (contract 2.3). XML is read as a
// stream and attachments are skipped in place, so a package with tens of
// megabytes of base64 costs no more memory than its value. Not safe for
// concurrent use: each partition worker owns one.
type EgovDecoder struct {
	parser fastjson.Parser
	arena  fastjson.Arena
	pkg    egovPkg
	doc    EgovDocument
	status EgovStatus
	strs   interner
	num    []byte

	// XML state, reused across records.
	in    xmlInput
	stack []xmlFrame
	cuts  []span
	b64   int64
}

// NewEgovDecoder returns a decoder for egov.documents.
func NewEgovDecoder() *EgovDecoder {
	return &EgovDecoder{}
}

// Decode implements Decoder: a value whose first non-space byte is '<' is
// an edXML package, anything else its JSON equivalent.
func (d *EgovDecoder) Decode(rec *Record, sink Sink) {
	v := bytes.TrimPrefix(rec.Value, []byte("\xef\xbb\xbf"))
	i := 0
	for i < len(v) && isXMLSpace(v[i]) {
		i++
	}
	d.pkg.reset()
	if i < len(v) && v[i] == '<' {
		d.decodeXML(rec, v, sink)
		return
	}
	d.decodeJSON(rec, v, sink)
}

// finish validates the package read and emits its row or its rejection.
// excerpt is called only on rejection.
func (d *EgovDecoder) finish(rec *Record, format string, sink Sink, excerpt func() []byte) {
	p := &d.pkg
	reject := func(reason string) {
		sink.Reject(Rejection{Item: -1, Reason: reason, Excerpt: excerpt()})
	}
	switch {
	case !p.envelope:
		reject(ReasonUnknownShape + ": no edXMLEnvelope")
	case p.message && p.status:
		reject(ReasonUnknownShape + ": edXMLHeader has both MessageHeader and Status")
	case p.message:
		d.document(rec, format, sink, reject)
	case p.status:
		d.statusPackage(rec, format, sink, reject)
	default:
		reject(ReasonUnknownShape + ": edXMLHeader has neither MessageHeader nor Status")
	}
}

func (d *EgovDecoder) document(rec *Record, format string, sink Sink, reject func(string)) {
	p := &d.pkg
	from := p.get(fFromOrganID)
	if len(from) == 0 {
		reject(ReasonMissingField + ": From.OrganId")
		return
	}
	promText := p.get(fPromulgationDate)
	if len(promText) == 0 {
		reject(ReasonMissingField + ": PromulgationInfo.PromulgationDate")
		return
	}
	prom, err := parseEgovDate(promText)
	if err != nil {
		reject(ReasonBadDate + ": PromulgationInfo.PromulgationDate " + quoteShort(promText) + " is not yyyy/MM/dd[ HH:mm:ss]")
		return
	}
	r := &d.doc
	*r = EgovDocument{
		Month:            MonthOf(prom),
		KafkaPartition:   rec.Partition,
		KafkaOffset:      rec.Offset,
		KafkaTimestamp:   rec.Timestamp.UnixMicro(),
		Format:           format,
		FromOrganID:      d.strs.get(from),
		FromOrganName:    d.strs.get(p.get(fFromOrganName)),
		ToOrganIDs:       p.to,
		CodeNumber:       string(p.get(fCodeNumber)),
		CodeNotation:     d.strs.get(p.get(fCodeNotation)),
		PromulgationDate: prom,
		DocumentType:     d.strs.get(p.get(fDocType)),
		DocumentTypeName: d.strs.get(p.get(fDocTypeName)),
		Subject:          string(p.get(fSubject)),
		Priority:         enum(p.get(fPriority), 0, 4),
		SteeringType:     enum(p.get(fSteeringType), 1, 3),
		BusinessDocType:  enum(p.get(fBusinessDocType), 0, 3),
		Paper:            string(p.get(fPaper)) == "1",
		Signed:           p.signed,
		AttachmentCount:  p.attachments,
		AttachmentBytes:  p.attBytes,
	}
	if b := p.get(fDueDate); len(b) > 0 {
		// An optional date that does not parse is NULL, as in dossiers.
		r.DueDate, _ = parseEgovDate(b)
	}
	if id := p.get(fDocumentID); len(id) > 0 {
		r.DocumentID = string(id)
	} else {
		// Contract 2.3: OrganId,PromulgationDate,CodeNumber/CodeNotation,
		// the date as written in the package.
		r.DocumentID = r.FromOrganID + "," + string(promText) + "," + r.CodeNumber + "/" + r.CodeNotation
	}
	sink.Row(DatasetEgovDocuments, r)
}

// egovStatusCodes are the status codes of contract 2.3.
var egovStatusCodes = map[string]string{
	"01": "01", "02": "02", "03": "03", "04": "04", "05": "05", "06": "06",
	"13": "13", "15": "15", "16": "16",
}

func (d *EgovDecoder) statusPackage(rec *Record, format string, sink Sink, reject func(string)) {
	p := &d.pkg
	id := p.get(fRespDocumentID)
	if len(id) == 0 {
		reject(ReasonMissingField + ": ResponseFor.DocumentId")
		return
	}
	organ := p.get(fStatusOrganID)
	if len(organ) == 0 {
		reject(ReasonMissingField + ": From.OrganId")
		return
	}
	codeText := p.get(fStatusCode)
	if len(codeText) == 0 {
		reject(ReasonMissingField + ": StatusCode")
		return
	}
	var pad [2]byte
	c := codeText
	if len(c) == 1 { // "6" and 6 mean "06"
		pad[0], pad[1] = '0', c[0]
		c = pad[:]
	}
	code, ok := egovStatusCodes[string(c)]
	if !ok {
		reject(ReasonOutOfRange + ": StatusCode " + quoteShort(codeText) + " is not one of 01-06, 13, 15, 16")
		return
	}
	tsText := p.get(fTimestamp)
	if len(tsText) == 0 {
		reject(ReasonMissingField + ": Timestamp")
		return
	}
	ts, err := parseEgovDate(tsText)
	if err != nil {
		reject(ReasonBadDate + ": Timestamp " + quoteShort(tsText) + " is not yyyy/MM/dd[ HH:mm:ss]")
		return
	}
	r := &d.status
	*r = EgovStatus{
		Month:          MonthOf(ts),
		KafkaPartition: rec.Partition,
		KafkaOffset:    rec.Offset,
		KafkaTimestamp: rec.Timestamp.UnixMicro(),
		Format:         format,
		DocumentID:     string(id),
		OrganID:        d.strs.get(organ),
		OrganName:      d.strs.get(p.get(fStatusOrganName)),
		StatusCode:     code,
		StatusAt:       ts,
		Description:    d.strs.get(p.get(fDescription)),
	}
	sink.Row(DatasetEgovStatus, r)
}

// parseEgovDate parses yyyy/MM/dd or yyyy/MM/dd HH:mm:ss in Local into Unix
// microseconds.
func parseEgovDate(b []byte) (int64, error) {
	if len(b) != 10 && len(b) != 19 {
		return 0, errBadDate
	}
	for i, c := range b {
		var ok bool
		switch i {
		case 4, 7:
			ok = c == '/'
		case 10:
			ok = c == ' '
		case 13, 16:
			ok = c == ':'
		default:
			ok = '0' <= c && c <= '9'
		}
		if !ok {
			return 0, errBadDate
		}
	}
	var h, mi, s int
	if len(b) == 19 {
		h, mi, s = atoiN(b[11:13]), atoiN(b[14:16]), atoiN(b[17:19])
	}
	return localMicros(atoiN(b[0:4]), atoiN(b[5:7]), atoiN(b[8:10]), h, mi, s)
}

// quoteShort quotes a value for a rejection reason, cut to 64 bytes.
func quoteShort(b []byte) string {
	if len(b) > 64 {
		return strconv.Quote(string(Excerpt(b[:64]))) + "…"
	}
	return strconv.Quote(string(b))
}

// ---- JSON ----

func (d *EgovDecoder) decodeJSON(rec *Record, src []byte, sink Sink) {
	if len(src) > bigJSONValue {
		// fastjson keeps a copy of the value; do not hold tens of
		// megabytes per partition worker until the next big record.
		defer func() { d.parser = fastjson.Parser{} }()
	}
	v, err := d.parser.ParseBytes(src)
	if err != nil {
		sink.Reject(Rejection{Item: -1, Reason: ReasonInvalidJSON + ": " + err.Error()})
		return
	}
	excerpt := func() []byte {
		d.arena.Reset()
		d.stripJSON(v)
		return Excerpt(v.MarshalTo(nil))
	}
	if v.Type() != fastjson.TypeObject {
		sink.Reject(Rejection{Item: -1, Reason: ReasonNotObject + ": value is a JSON " + v.Type().String(), Excerpt: excerpt()})
		return
	}
	p := &d.pkg
	env := jobject(v.Get("edXMLEnvelope"))
	wrapper := jobject(v.Get("edXML"))
	if env == nil && wrapper != nil {
		env = jobject(wrapper.Get("edXMLEnvelope"))
	}
	if env != nil {
		p.envelope = true
		hdr := jobject(env.Get("edXMLHeader"))
		if mh := jobject(hdr.Get("MessageHeader")); mh != nil {
			p.message = true
			d.jset(fFromOrganID, mh, "From", "OrganId")
			d.jset(fFromOrganName, mh, "From", "OrganName")
			for _, to := range jlist(mh.Get("To")) {
				if b := bytes.TrimSpace(jtext(to.Get("OrganId"), d.num)); len(b) > 0 {
					p.to = append(p.to, d.strs.get(b))
				}
			}
			d.jset(fCodeNumber, mh, "Code", "CodeNumber")
			d.jset(fCodeNotation, mh, "Code", "CodeNotation")
			d.jset(fPromulgationDate, mh, "PromulgationInfo", "PromulgationDate")
			d.jset(fDocType, mh, "DocumentType", "Type")
			d.jset(fDocTypeName, mh, "DocumentType", "TypeName")
			d.jset(fSubject, mh, "Subject")
			d.jset(fDueDate, mh, "DueDate")
			d.jset(fPriority, mh, "OtherInfo", "Priority")
			d.jset(fSteeringType, mh, "SteeringType")
			d.jset(fDocumentID, mh, "DocumentId")
		}
		if st := jobject(hdr.Get("Status")); st != nil {
			p.status = true
			d.jset(fRespDocumentID, st, "ResponseFor", "DocumentId")
			d.jset(fStatusOrganID, st, "From", "OrganId")
			d.jset(fStatusOrganName, st, "From", "OrganName")
			d.jset(fStatusCode, st, "StatusCode")
			d.jset(fTimestamp, st, "Timestamp")
			d.jset(fDescription, st, "Description")
		}
		if tr := jobject(hdr.Get("TraceHeaderList")); tr != nil {
			for _, name := range [...]string{"Bussiness", "Business"} {
				if bz := jobject(tr.Get(name)); bz != nil {
					d.jset(fPaper, bz, "Paper")
					d.jset(fBusinessDocType, bz, "BussinessDocType")
					if len(p.val[fBusinessDocType]) == 0 {
						d.jset(fBusinessDocType, bz, "BusinessDocType")
					}
				}
			}
		}
		p.signed = jpresent(hdr.Get("Signature")) || jpresent(env.Get("Signature"))
		d.jattachments(jobject(jobject(env.Get("edXMLBody")).Get("AttachmentEncoded")))
		d.jattachments(jobject(env.Get("AttachmentEncoded")))
		d.jattachments(jobject(wrapper.Get("AttachmentEncoded")))
	}
	d.finish(rec, "json", sink, excerpt)
}

// jset stores the text at path under v into field f.
func (d *EgovDecoder) jset(f egovField, v *fastjson.Value, path ...string) {
	if b := jtext(v.Get(path...), d.num); len(b) > 0 {
		d.pkg.set(f, b)
	}
}

// jattachments counts the attachments of an AttachmentEncoded object: each
// Attachment's base64 is its text (Value when it has attributes), or the
// text of a ContentTransferEncoded child as some senders write it.
func (d *EgovDecoder) jattachments(ae *fastjson.Value) {
	if ae == nil {
		return
	}
	p := &d.pkg
	for _, a := range jlist(ae.Get("Attachment")) {
		p.attachments++
		var n int64
		switch a.Type() {
		case fastjson.TypeString:
			b, _ := a.StringBytes()
			n = countBase64(b)
		case fastjson.TypeObject:
			if b := jtext(a.Get("Value"), nil); b != nil {
				n += countBase64(b)
			}
			if b := jtext(a.Get("ContentTransferEncoded"), nil); b != nil && !isBase64Word(b) {
				n += countBase64(b)
			}
		}
		p.attBytes += n * 3 / 4
	}
}

// stripJSON removes personal data and attachment bodies before an excerpt.
// The caller resets d.arena first.
func (d *EgovDecoder) stripJSON(v *fastjson.Value) {
	switch v.Type() {
	case fastjson.TypeArray:
		a, _ := v.Array()
		for _, it := range a {
			d.stripJSON(it)
		}
	case fastjson.TypeObject:
		o, _ := v.Object()
		for _, k := range personalEgovElements {
			o.Del(k)
		}
		if att := o.Get("Attachment"); att != nil {
			empty := d.arena.NewString("")
			switch att.Type() {
			case fastjson.TypeString:
				o.Set("Attachment", empty)
			case fastjson.TypeArray:
				items, _ := att.Array()
				for i, it := range items {
					if it.Type() == fastjson.TypeString {
						att.SetArrayItem(i, empty)
					}
				}
			}
			for _, it := range jlist(att) {
				if ob, err := it.Object(); err == nil {
					ob.Del("Value")
					if b := jtext(it.Get("ContentTransferEncoded"), nil); b != nil && !isBase64Word(b) {
						ob.Del("ContentTransferEncoded")
					}
				}
			}
		}
		o.Visit(func(_ []byte, c *fastjson.Value) { d.stripJSON(c) })
	}
}

// jtext returns an element's text: a JSON string or number, or the Value
// member of an element that also has attributes.
func jtext(v *fastjson.Value, buf []byte) []byte {
	if v != nil && v.Type() == fastjson.TypeObject {
		v = v.Get("Value")
	}
	return scalar(v, buf)
}

func jobject(v *fastjson.Value) *fastjson.Value {
	if v == nil || v.Type() != fastjson.TypeObject {
		return nil
	}
	return v
}

func jpresent(v *fastjson.Value) bool { return v != nil && v.Type() != fastjson.TypeNull }

// jlist returns the items of an element that may repeat: an array, or one
// value standing for an array of one.
func jlist(v *fastjson.Value) []*fastjson.Value {
	if v == nil {
		return nil
	}
	switch v.Type() {
	case fastjson.TypeArray:
		a, _ := v.Array()
		return a
	case fastjson.TypeNull:
		return nil
	}
	return []*fastjson.Value{v}
}

// ---- base64 arithmetic ----

var b64Alphabet = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_") {
		t[c] = true
	}
	return
}()

// countBase64 counts the base64 data characters of b: padding, line breaks
// and other whitespace do not carry data. n characters decode to n*3/4
// bytes.
func countBase64(b []byte) int64 {
	var n int64
	for _, c := range b {
		if b64Alphabet[c] {
			n++
		}
	}
	return n
}

// isBase64Word reports whether b names the encoding ("base64") rather than
// holding the data: ContentTransferEncoded carries either.
func isBase64Word(b []byte) bool {
	return bytes.EqualFold(bytes.TrimSpace(b), []byte("base64"))
}

// ---- XML ----

// xmlInput is the decoder's input. It implements io.ByteReader, so
// encoding/xml reads it directly instead of through a bufio.Reader: its
// position is then exactly the xml.Decoder's, and the decoder can move it
// past character data that xml.Decoder would otherwise buffer whole.
type xmlInput struct {
	src []byte
	pos int
	// skipped counts the bytes moved past behind xml.Decoder's back:
	// InputOffset() + skipped is the true offset.
	skipped int
}

func (r *xmlInput) reset(src []byte) { *r = xmlInput{src: src} }

func (r *xmlInput) ReadByte() (byte, error) {
	if r.pos >= len(r.src) {
		return 0, io.EOF
	}
	c := r.src[r.pos]
	r.pos++
	return c, nil
}

func (r *xmlInput) Read(p []byte) (int, error) {
	if r.pos >= len(r.src) {
		return 0, io.EOF
	}
	n := copy(p, r.src[r.pos:])
	r.pos += n
	return n, nil
}

// xctx is what an open element is to the decoder.
type xctx uint8

const (
	xIgnore  xctx = iota // of no interest, nor its children
	xTop                 // outside the root element
	xWrapper             // an <edXML> root around the envelope
	xEnvelope
	xHeader
	xBody
	xMsg
	xMsgFrom
	xMsgTo
	xCode
	xPromulgation
	xDocType
	xOther
	xTrace
	xBusiness
	xStatus
	xRespFor
	xStatusFrom
	xSignature
	xAttachments
	xAttachment // its text is base64, counted and skipped
	xPayload    // ContentTransferEncoded in an Attachment: likewise
	xLeaf       // a kept field: its text is collected
	xPersonal   // StaffInfo and the like: cut from excerpts
)

type xmlFrame struct {
	prefix, local string
	ctx           xctx
	field         egovField
	// start is the offset of the start tag; content of the content.
	start, content int
	// b64 is the base64 count when a ContentTransferEncoded opened.
	b64 int64
	cut bool
}

// span is a byte range of the input left out of excerpts.
type span struct{ from, to int }

// egovChild returns what the child local of an element of kind parent is.
func egovChild(parent xctx, local string) (xctx, egovField) {
	switch parent {
	case xTop:
		switch local {
		case "edXMLEnvelope":
			return xEnvelope, fNone
		case "edXML":
			return xWrapper, fNone
		}
	case xWrapper:
		switch local {
		case "edXMLEnvelope":
			return xEnvelope, fNone
		case "AttachmentEncoded":
			return xAttachments, fNone
		}
	case xEnvelope:
		switch local {
		case "edXMLHeader":
			return xHeader, fNone
		case "edXMLBody":
			return xBody, fNone
		case "AttachmentEncoded":
			return xAttachments, fNone
		case "Signature":
			return xSignature, fNone
		}
	case xBody:
		if local == "AttachmentEncoded" {
			return xAttachments, fNone
		}
	case xHeader:
		switch local {
		case "MessageHeader":
			return xMsg, fNone
		case "Status":
			return xStatus, fNone
		case "TraceHeaderList":
			return xTrace, fNone
		case "Signature":
			return xSignature, fNone
		}
	case xMsg:
		switch local {
		case "From":
			return xMsgFrom, fNone
		case "To":
			return xMsgTo, fNone
		case "Code":
			return xCode, fNone
		case "PromulgationInfo":
			return xPromulgation, fNone
		case "DocumentType":
			return xDocType, fNone
		case "OtherInfo":
			return xOther, fNone
		case "Subject":
			return xLeaf, fSubject
		case "DueDate":
			return xLeaf, fDueDate
		case "SteeringType":
			return xLeaf, fSteeringType
		case "DocumentId":
			return xLeaf, fDocumentID
		}
	case xMsgFrom:
		switch local {
		case "OrganId":
			return xLeaf, fFromOrganID
		case "OrganName":
			return xLeaf, fFromOrganName
		}
	case xMsgTo:
		if local == "OrganId" {
			return xLeaf, fToOrganID
		}
	case xCode:
		switch local {
		case "CodeNumber":
			return xLeaf, fCodeNumber
		case "CodeNotation":
			return xLeaf, fCodeNotation
		}
	case xPromulgation:
		if local == "PromulgationDate" {
			return xLeaf, fPromulgationDate
		}
	case xDocType:
		switch local {
		case "Type":
			return xLeaf, fDocType
		case "TypeName":
			return xLeaf, fDocTypeName
		}
	case xOther:
		if local == "Priority" {
			return xLeaf, fPriority
		}
	case xTrace:
		if local == "Bussiness" || local == "Business" {
			return xBusiness, fNone
		}
	case xBusiness:
		switch local {
		case "Paper":
			return xLeaf, fPaper
		case "BussinessDocType", "BusinessDocType":
			return xLeaf, fBusinessDocType
		}
	case xStatus:
		switch local {
		case "ResponseFor":
			return xRespFor, fNone
		case "From":
			return xStatusFrom, fNone
		case "StatusCode":
			return xLeaf, fStatusCode
		case "Timestamp":
			return xLeaf, fTimestamp
		case "Description":
			return xLeaf, fDescription
		}
	case xRespFor:
		if local == "DocumentId" {
			return xLeaf, fRespDocumentID
		}
	case xStatusFrom:
		switch local {
		case "OrganId":
			return xLeaf, fStatusOrganID
		case "OrganName":
			return xLeaf, fStatusOrganName
		}
	case xAttachments:
		if local == "Attachment" {
			return xAttachment, fNone
		}
	case xAttachment:
		if local == "ContentTransferEncoded" {
			return xPayload, fNone
		}
	}
	return xIgnore, fNone
}

// maxXMLDepth bounds element nesting (an edXML package nests about 8
// deep), so that a value of nested tags cannot grow the stack unbounded.
const maxXMLDepth = 256

// errXML is a well-formedness error found by the decoder itself.
type errXML struct {
	off int
	msg string
}

func (e *errXML) Error() string { return e.msg }

// decodeXML reads an edXML package with encoding/xml's RawToken, matching
// elements on local names. xml.Decoder buffers a whole text node before it
// returns it, so a 40 MB attachment would be copied whole: the text of every
// element whose text is not kept (attachments above all) is instead skipped
// by skipText, which moves the shared input past it, counting base64.
func (d *EgovDecoder) decodeXML(rec *Record, src []byte, sink Sink) {
	d.in.reset(src)
	d.stack = append(d.stack[:0], xmlFrame{ctx: xTop})
	d.cuts = d.cuts[:0]
	d.b64 = 0
	dec := xml.NewDecoder(&d.in)
	p := &d.pkg
	rooted := false
	scan := true
	var err error
	for {
		top := &d.stack[len(d.stack)-1]
		// Skip text only where the decoder holds no byte back (after a
		// CharData token it has read the next '<') and the element just
		// opened was not self-closing (its text would be its parent's).
		if scan && top.ctx != xLeaf && int(dec.InputOffset())+d.in.skipped == d.in.pos {
			if err = d.skipText(top.ctx); err != nil {
				break
			}
		}
		scan = true
		off := int(dec.InputOffset()) + d.in.skipped
		var tok xml.Token
		tok, err = dec.RawToken()
		if err != nil {
			if err == io.EOF {
				err = nil
				if len(d.stack) > 1 {
					err = &errXML{off, "unexpected EOF: <" + d.stack[len(d.stack)-1].local + "> not closed"}
				} else if !rooted {
					err = &errXML{off, "no root element"}
				}
			}
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if rooted && len(d.stack) == 1 {
				err = &errXML{off, "element <" + t.Name.Local + "> after the root element"}
				break
			}
			if len(d.stack) > maxXMLDepth {
				err = &errXML{off, "elements nested deeper than " + itoa(maxXMLDepth)}
				break
			}
			rooted = true
			pos := d.in.pos
			// Self-closing: the '>' just read follows a '/'.
			if pos < 2 || src[pos-1] != '>' || src[pos-2] == '/' {
				scan = false
			}
			d.open(t.Name, top, off, pos)
		case xml.EndElement:
			if len(d.stack) == 1 || top.local != t.Name.Local || top.prefix != t.Name.Space {
				err = &errXML{off, "unexpected </" + qname(t.Name) + ">"}
				break
			}
			d.close(top, off, int(dec.InputOffset())+d.in.skipped)
			d.stack = d.stack[:len(d.stack)-1]
		case xml.CharData:
			switch top.ctx {
			case xLeaf:
				p.val[top.field] = append(p.val[top.field], t...)
			case xAttachment, xPayload:
				d.b64 += countBase64(t)
			case xTop:
				if len(bytes.TrimLeft(t, " \t\r\n")) > 0 {
					err = &errXML{off, "text outside the root element"}
				}
			}
		}
		if err != nil {
			break
		}
	}
	if err != nil {
		sink.Reject(Rejection{Item: -1, Reason: ReasonInvalidXML + ": " + xmlErrText(err, src, d.in.skipped+int(dec.InputOffset()))})
		return
	}
	d.finish(rec, "xml", sink, func() []byte { return d.excerptXML(src) })
}

func qname(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

// xmlErrText words a parse error with the line counted on the whole input
// (xml.Decoder's own line number misses the text skipped).
func xmlErrText(err error, src []byte, off int) string {
	var e *errXML
	var se *xml.SyntaxError
	msg := err.Error()
	switch {
	case errors.As(err, &e):
		off = e.off
	case errors.As(err, &se):
		msg = se.Msg
	default:
		return msg
	}
	off = min(max(off, 0), len(src))
	return "line " + itoa(int64(1+bytes.Count(src[:off], []byte("\n")))) + ": " + msg
}

// open pushes a start element: start is the offset of its '<', content
// that of its content.
func (d *EgovDecoder) open(name xml.Name, parent *xmlFrame, start, content int) {
	p := &d.pkg
	f := xmlFrame{prefix: name.Space, local: name.Local, start: start, content: content}
	switch {
	case parent.ctx == xPersonal:
		f.ctx = xPersonal
	case parent.ctx != xAttachment && parent.ctx != xPayload && isPersonalEgov(name.Local):
		f.ctx, f.cut = xPersonal, true
	default:
		f.ctx, f.field = egovChild(parent.ctx, name.Local)
	}
	switch f.ctx {
	case xEnvelope:
		p.envelope = true
	case xMsg:
		p.message = true
	case xStatus:
		p.status = true
	case xSignature:
		p.signed = true
	case xAttachment:
		p.attachments++
		d.b64 = 0
	case xPayload:
		f.b64 = d.b64
	case xLeaf:
		// The last of repeated elements wins.
		p.val[f.field] = p.val[f.field][:0]
	}
	d.stack = append(d.stack, f)
}

// close pops an element whose end tag spans [endStart, end).
func (d *EgovDecoder) close(f *xmlFrame, endStart, end int) {
	p := &d.pkg
	switch f.ctx {
	case xLeaf:
		if f.field == fToOrganID {
			if b := bytes.TrimSpace(p.val[fToOrganID]); len(b) > 0 {
				p.to = append(p.to, d.strs.get(b))
			}
		}
	case xPayload:
		if d.b64-f.b64 == 6 && endStart > f.content && isBase64Word(d.in.src[f.content:endStart]) {
			d.b64 = f.b64 // it names the encoding
		}
	case xAttachment:
		p.attBytes += d.b64 * 3 / 4
		d.b64 = 0
	case xPersonal:
		if f.cut {
			d.cuts = append(d.cuts, span{f.start, end})
		}
	}
}

// xmlClass classifies bytes for skipText.
var xmlClass = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = 4 // not an XML character
	}
	t['\t'], t['\n'], t['\r'] = 0, 0, 0
	t['<'] = 2
	t['&'] = 3
	for c := range 256 {
		if b64Alphabet[c] {
			t[c] = 1
		}
	}
	return
}()

// skipText moves the input past the character data (CDATA sections
// included) that starts at the current position, up to the next markup,
// without xml.Decoder seeing it. In an attachment it counts the base64
// characters and cuts the text from excerpts. It checks what xml.Decoder
// would: references well formed, no control characters, nothing but
// white space outside the root element.
func (d *EgovDecoder) skipText(ctx xctx) error {
	src := d.in.src
	start := d.in.pos
	i := start
	count := ctx == xAttachment || ctx == xPayload
	outside := ctx == xTop
	var n int64
loop:
	for i < len(src) {
		c := src[i]
		switch xmlClass[c] {
		case 1:
			n++
		case 2:
			if !bytes.HasPrefix(src[i:], []byte("<![CDATA[")) {
				break loop
			}
			if outside {
				return &errXML{i, "CDATA section outside the root element"}
			}
			j := bytes.Index(src[i+9:], []byte("]]>"))
			if j < 0 {
				return &errXML{i, "unexpected EOF in CDATA section"}
			}
			n += countBase64(src[i+9 : i+9+j])
			i += 9 + j + 3
			continue
		case 3:
			j := entityEnd(src, i)
			if j < 0 {
				return &errXML{i, "invalid character entity"}
			}
			if outside {
				return &errXML{i, "text outside the root element"}
			}
			i = j
			continue
		case 4:
			return &errXML{i, "illegal character code U+" + strconv.FormatInt(int64(c), 16)}
		}
		if outside && !isXMLSpace(c) {
			return &errXML{i, "text outside the root element"}
		}
		i++
	}
	if count {
		d.b64 += n
		if i > start {
			if k := len(d.cuts); k > 0 && d.cuts[k-1].to == start {
				d.cuts[k-1].to = i
			} else {
				d.cuts = append(d.cuts, span{start, i})
			}
		}
	}
	d.in.skipped += i - start
	d.in.pos = i
	return nil
}

// entityEnd returns the offset after the reference at src[i] ('&'), or -1
// when it is not one XML knows without a DTD.
func entityEnd(src []byte, i int) int {
	end := bytes.IndexByte(src[i+1:min(len(src), i+12)], ';')
	if end < 1 {
		return -1
	}
	ref := src[i+1 : i+1+end]
	switch string(ref) {
	case "lt", "gt", "amp", "apos", "quot":
		return i + 2 + end
	}
	if ref[0] != '#' || len(ref) < 2 {
		return -1
	}
	digits, base := ref[1:], 10
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if r, err := strconv.ParseUint(string(digits), base, 32); err != nil || !isXMLChar(rune(r)) {
		return -1
	}
	return i + 2 + end
}

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// excerptXML is the input without personal elements and attachment text,
// cut to MaxExcerpt.
func (d *EgovDecoder) excerptXML(src []byte) []byte {
	out := make([]byte, 0, MaxExcerpt+8)
	pos := 0
	limit := MaxExcerpt + 4 // Excerpt trims a rune cut at the limit
	for _, c := range append(d.cuts, span{len(src), len(src)}) {
		if c.from < pos {
			continue
		}
		out = append(out, src[pos:min(c.from, pos+limit-len(out))]...)
		if len(out) >= limit {
			break
		}
		pos = c.to
	}
	return Excerpt(out)
}
