package synth

import (
	"encoding/base64"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Namespaces of edXML (QCVN 102:2016/BTTTT) and XML-DSig.
const (
	nsEdXML = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
	nsDSig  = "http://www.w3.org/2000/09/xmldsig#"
)

// documentsPerWorkday at Scale 1: about 150,000 a year.
const documentsPerWorkday = 150000.0 / 248

type docType struct {
	code, name, prefix string // prefix of the notation, "" for Công văn
	weight             float64
	dueP               float64 // probability of a DueDate
	action             bool    // needs handling (else read and filed)
}

var docTypes = []docType{
	{"1", "Công văn", "", 55, 0.65, true},
	{"2", "Quyết định", "QĐ", 12, 0.2, true},
	{"3", "Tờ trình", "TTr", 6, 0.5, true},
	{"4", "Báo cáo", "BC", 12, 0, false},
	{"5", "Kế hoạch", "KH", 5, 0.3, true},
	{"6", "Thông báo", "TB", 5, 0.1, false},
	{"7", "Giấy mời", "GM", 5, 1, false},
}

var docTopics = []string{
	"cải cách hành chính", "giải quyết hồ sơ thủ tục hành chính trễ hạn", "chuyển đổi số",
	"bảo vệ môi trường", "quản lý đất đai", "phòng, chống thiên tai", "tinh giản biên chế",
	"dịch vụ công trực tuyến", "bảo đảm trật tự an toàn giao thông", "xây dựng nông thôn mới",
	"thu ngân sách nhà nước", "công tác cán bộ", "phòng, chống tham nhũng",
	"kiểm soát thủ tục hành chính", "sắp xếp đơn vị hành chính", "phổ biến, giáo dục pháp luật",
}

var officeSuffixes = []string{"HCC", "KT", "VX", "NC", "TH"}

var priorityCum = []float64{0.80, 0.90, 0.96, 0.99, 1}

// paperShare and signedShare by year: paper copies fall, signing rises.
func paperShare(day int64) float64 {
	pts := [...]float64{0.45, 0.40, 0.35, 0.28, 0.20, 0.15, 0.11, 0.08, 0.06, 0.05, 0.04, 0.03}
	i := min(max(yearOf(day)-2015, 0), len(pts)-1)
	return pts[i]
}

func signedShare(day int64) float64 {
	pts := [...]float64{0.5, 0.58, 0.66, 0.74, 0.82, 0.87, 0.91, 0.94, 0.96, 0.97, 0.98, 0.98}
	i := min(max(yearOf(day)-2015, 0), len(pts)-1)
	return pts[i]
}

type blob struct {
	b64        []byte
	ctype, ext string
}

// docEra is who sends and receives documents between restructurings.
type docEra struct {
	from      int64
	senders   []int32
	tab       alias
	depts     []int32 // departments and the office
	districts []int32 // districts, or the new communes after 1 July 2025
	communes  []int32
}

type docState struct {
	eras     []docEra
	numYear  []int
	numCount []int
	blobs    []blob
	sigPool  []byte
	clerks   [][]person
	signers  []string
}

func (s *docState) init(g *gen) {
	p := g.p
	n := len(p.agencies)
	s.numYear = make([]int, n)
	s.numCount = make([]int, n)
	s.clerks = make([][]person, n)
	s.signers = make([]string, n)
	for i, from := range []int64{openFrom, deptMergeDay, twoTierDay} {
		d0 := from
		if i == 0 {
			d0 = deptMergeDay - 1
		}
		e := docEra{from: from}
		var w []float64
		for _, a := range p.agencies {
			if !a.validOn(d0) {
				continue
			}
			var x float64
			switch a.Level {
			case LevelProvince:
				x = 12
			case LevelDepartment:
				x = 3
				switch a.abbr {
				case "VP":
					x = 6
				case "STNMT", "SNNMT":
					x = 4
				}
				e.depts = append(e.depts, a.idx)
			case LevelDistrict:
				x = 4
				e.districts = append(e.districts, a.idx)
			case LevelCommune:
				x = 0.25
				if a.from >= twoTierDay {
					x = 0.6
					e.districts = append(e.districts, a.idx)
				}
				e.communes = append(e.communes, a.idx)
			}
			e.senders = append(e.senders, a.idx)
			w = append(w, x)
		}
		e.tab = newAlias(w)
		s.eras = append(s.eras, e)
	}
	// A pool of attachments and of signature bytes, drawn once per run.
	r := rand.New(rand.NewPCG(uint64(g.cfg.Seed), 0x626c6f6273000005))
	for i := range 24 {
		// Small stand-ins for scanned PDFs, and now and then a larger one:
		// enough to exercise attachment counting without bloating the demo.
		size := 200 + r.IntN(600)
		if i == 23 {
			size = 8<<10 + r.IntN(8<<10)
		}
		raw := make([]byte, size)
		for j := range raw {
			raw[j] = byte(r.Uint32())
		}
		b := blob{ctype: "application/pdf", ext: "pdf"}
		if i%4 == 3 {
			b.ctype, b.ext = "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"
			copy(raw, "PK\x03\x04")
		} else {
			copy(raw, "%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
		}
		b.b64 = base64.StdEncoding.AppendEncode(nil, raw)
		s.blobs = append(s.blobs, b)
	}
	raw := make([]byte, 3072)
	for j := range raw {
		raw[j] = byte(r.Uint32())
	}
	s.sigPool = base64.StdEncoding.AppendEncode(nil, raw)
}

func (s *docState) eraOf(day int64) *docEra {
	for i := len(s.eras) - 1; i > 0; i-- {
		if day >= s.eras[i].from {
			return &s.eras[i]
		}
	}
	return &s.eras[0]
}

// docStep is one planned status of a recipient.
type docStep struct {
	t    int64
	code string
}

type recipient struct {
	agency int32
	steps  [8]docStep
	n      int
	next   int
	gen    uint32
}

// document is a document package in flight: sent, and reported on by its
// recipients until they complete it.
type document struct {
	sender     int32
	recs       []recipient
	typ        *docType
	number     int
	notation   string
	promDay    int64
	due        int64 // day, -1 for none
	subject    string
	priority   int
	steering   int
	paper      int // 0, 1, or -1 for absent
	signed     bool
	idPresent  bool
	json       bool
	prefixed   bool
	attVariant int
	atts       []int
	docID      string
	revoke     bool
}

func (g *gen) documentArrivals(day int64) {
	r := g.rdoc
	lambda := g.cfg.Scale * documentsPerWorkday * season(day)
	if !g.cal.isWork(day) {
		lambda *= 0.02
	}
	n := poisson(r, lambda)
	if n == 0 {
		return
	}
	e := g.docs.eraOf(day)
	for range n {
		sender := e.senders[e.tab.pick(r)]
		doc := g.newDocument(e, sender, day)
		g.q.push(event{t: officeAt(r, day), kind: evDocSend, doc: doc})
	}
}

func (g *gen) newDocument(e *docEra, sender int32, day int64) *document {
	r := g.rdoc
	p := g.p
	a := p.agencies[sender]
	doc := &document{sender: sender, promDay: day}
	// Type.
	var tw float64
	for _, t := range docTypes {
		tw += t.weight
	}
	x := r.Float64() * tw
	for i := range docTypes {
		if x < docTypes[i].weight || i == len(docTypes)-1 {
			doc.typ = &docTypes[i]
			break
		}
		x -= docTypes[i].weight
	}
	// Number and notation.
	y := yearOf(day)
	if g.docs.numYear[sender] != y {
		g.docs.numYear[sender], g.docs.numCount[sender] = y, 0
	}
	g.docs.numCount[sender] += 1 + r.IntN(3) // other series share the counter
	doc.number = g.docs.numCount[sender]
	issuer := a.abbr
	switch {
	case doc.typ.prefix == "" && a.Level == LevelProvince:
		doc.notation = "UBND-" + officeSuffixes[r.IntN(len(officeSuffixes))]
	case doc.typ.prefix == "" && a.abbr == "VP":
		doc.notation = "VP-" + officeSuffixes[r.IntN(len(officeSuffixes))]
	case doc.typ.prefix == "" && a.Level == LevelDepartment:
		doc.notation = issuer + "-VP"
	case doc.typ.prefix == "":
		doc.notation = "UBND"
	default:
		doc.notation = doc.typ.prefix + "-" + issuer
	}
	doc.docID = a.Code + "," + string(appendSlashDate(nil, day)) + "," + strconv.Itoa(doc.number) + "/" + doc.notation
	// Subject.
	topic := docTopics[r.IntN(len(docTopics))]
	mm := string(appendN(nil, monthOf(day), 2))
	yy := strconv.Itoa(y)
	switch doc.typ.code {
	case "1":
		switch r.IntN(4) {
		case 0:
			doc.subject = "V/v triển khai thực hiện công tác " + topic
		case 1:
			doc.subject = "V/v báo cáo tình hình " + topic + " tháng " + mm + "/" + yy
		case 2:
			doc.subject = "V/v góp ý dự thảo văn bản về " + topic
		default:
			doc.subject = "V/v đề nghị cung cấp thông tin phục vụ " + topic
		}
	case "2":
		doc.subject = "Quyết định phê duyệt kế hoạch " + topic + " năm " + yy
	case "3":
		doc.subject = "Tờ trình đề nghị phê duyệt đề án " + topic
	case "4":
		doc.subject = "Báo cáo kết quả " + topic + " tháng " + mm + "/" + yy
	case "5":
		doc.subject = "Kế hoạch " + topic + " năm " + yy
	case "6":
		doc.subject = "Thông báo kết luận về " + topic
	default:
		doc.subject = "Giấy mời họp về " + topic
	}
	doc.due = -1
	if r.Float64() < doc.typ.dueP {
		if doc.typ.code == "7" {
			doc.due = g.cal.addWork(day, 2+r.IntN(6))
		} else {
			doc.due = g.cal.addWork(day, 5+r.IntN(11))
		}
	}
	u := r.Float64()
	for i, c := range priorityCum {
		if u < c {
			doc.priority = i
			break
		}
	}
	doc.steering = 1
	if u := r.Float64(); u > 0.9 {
		doc.steering = 3
	} else if u > 0.7 {
		doc.steering = 2
	}
	ps := paperShare(day)
	if a.Level == LevelCommune {
		ps *= 1.5
	}
	doc.paper = 0
	if r.Float64() < ps {
		doc.paper = 1
	} else if r.IntN(10) == 0 {
		doc.paper = -1
	}
	ss := signedShare(day)
	if doc.paper == 1 {
		ss *= 0.7
	}
	doc.signed = r.Float64() < ss
	doc.idPresent = r.Float64() < 0.85
	doc.json = r.Float64() >= a.style.xml
	doc.prefixed = a.style.prefixed
	doc.attVariant = r.IntN(2)
	for range 1 + r.IntN(3) {
		doc.atts = append(doc.atts, r.IntN(len(g.docs.blobs)))
	}
	doc.revoke = r.Float64() < 0.006
	// Recipients.
	for _, ri := range g.recipients(e, a, r, day) {
		doc.recs = append(doc.recs, recipient{agency: ri})
	}
	return doc
}

func monthOf(day int64) int {
	_, m, _ := civil(day)
	return m
}

// recipients picks whom a document goes to: departments ↔ districts ↔
// communes, the People's Committee above all.
func (g *gen) recipients(e *docEra, a *agency, r *rand.Rand, day int64) []int32 {
	p := g.p
	var out []int32
	addN := func(from []int32, n int) {
		for range n {
			if len(from) > 0 {
				out = append(out, from[r.IntN(len(from))])
			}
		}
	}
	root := p.root.idx
	u := r.Float64()
	switch a.Level {
	case LevelProvince:
		switch {
		case u < 0.6:
			addN(e.depts, 1+r.IntN(3))
		case u < 0.85:
			addN(e.districts, 1+r.IntN(3))
		case u < 0.88:
			out = append(out, e.depts...)
			out = append(out, e.districts...)
		default:
			addN(e.depts, 2+r.IntN(3))
			addN(e.districts, 1+r.IntN(3))
		}
	case LevelDepartment:
		switch {
		case u < 0.3:
			out = append(out, root)
			if r.IntN(3) == 0 {
				out = append(out, p.dept["VP"].idx)
			}
		case u < 0.6:
			addN(e.depts, 1+r.IntN(3))
		case u < 0.97:
			addN(e.districts, 1+r.IntN(4))
		default:
			out = append(out, e.districts...)
		}
	case LevelDistrict:
		var own []int32
		for _, c := range e.communes {
			if p.agencies[c].district == a.idx {
				own = append(own, c)
			}
		}
		switch {
		case u < 0.25:
			out = append(out, root)
		case u < 0.65:
			addN(e.depts, 1+r.IntN(2))
		case u < 0.93:
			if r.IntN(5) == 0 {
				out = append(out, own...)
			} else {
				addN(own, 1+r.IntN(3))
			}
		default:
			addN(e.districts, 1)
		}
	default: // commune
		if a.from < twoTierDay {
			switch {
			case u < 0.8:
				out = append(out, p.agencies[a.district].idx)
			case u < 0.95:
				addN(e.depts, 1)
			default:
				out = append(out, root)
			}
		} else {
			switch {
			case u < 0.5:
				out = append(out, root)
			case u < 0.95:
				addN(e.depts, 1+r.IntN(2))
			default:
				addN(e.communes, 1)
			}
		}
	}
	// Unique, without the sender, in first-drawn order.
	uniq := out[:0]
	for _, x := range out {
		if x == a.idx || !p.agencies[x].validOn(day) {
			continue
		}
		dup := false
		for _, y := range uniq {
			dup = dup || x == y
		}
		if !dup {
			uniq = append(uniq, x)
		}
	}
	if len(uniq) == 0 && a.idx != root {
		uniq = append(uniq, root)
	}
	if len(uniq) == 0 {
		uniq = append(uniq, e.depts[r.IntN(len(e.depts))])
	}
	return uniq
}

// docSend emits the document package and plans its recipients' statuses.
func (g *gen) docSend(doc *document, t int64) error {
	r := g.rdoc
	cal := g.cal
	for i := range doc.recs {
		rec := &doc.recs[i]
		add := func(t int64, code string) {
			rec.steps[rec.n] = docStep{t, code}
			rec.n++
		}
		t01 := t + minute + r.Int64N(20*minute)
		add(t01, "01")
		if r.Float64() < 0.015 {
			add(cal.addOffice(t01, 10*minute+r.Int64N(4*hour)), "02")
			continue
		}
		last := cal.addOffice(t01, r.Int64N(6*hour))
		last = max(last, t01+minute)
		add(last, "03")
		if r.Float64() < 0.35 {
			last = cal.addOffice(last, 5*minute+r.Int64N(2*hour))
			add(last, "04")
		}
		if !doc.typ.action {
			if r.Float64() < 0.75 {
				add(max(cal.addOffice(last, r.Int64N(2*officeLen)), last+minute), "06")
			}
			continue
		}
		if r.Float64() < 0.8 {
			last = cal.addOffice(last, 10*minute+r.Int64N(officeLen))
			add(last, "05")
		}
		var done int64
		switch u := r.Float64(); {
		case doc.due >= 0 && u < 0.86:
			span := max(int64(1), doc.due-dayOf(last))
			done = officeAt(r, cal.nextWork(dayOf(last)+r.Int64N(span)))
		case doc.due >= 0 && u < 0.96:
			done = officeAt(r, cal.addWork(doc.due, 1+expInt(r, 4)))
		case doc.due < 0 && u < 0.9:
			done = officeAt(r, cal.addWork(dayOf(last), 1+r.IntN(7)))
		default:
			continue // never completed: it stays open
		}
		add(max(done, last+minute), "06")
	}
	if err := g.encodeDocument(doc, t); err != nil {
		return err
	}
	for i := range doc.recs {
		g.q.push(event{t: doc.recs[i].steps[0].t, kind: evDocStatus, doc: doc, i: int32(i)})
	}
	if doc.revoke {
		g.q.push(event{t: cal.addOffice(t, hour+r.Int64N(officeLen)), kind: evDocRevoke, doc: doc})
	}
	return nil
}

func (g *gen) docStatus(doc *document, i int, t int64, gen uint32) error {
	rec := &doc.recs[i]
	if gen != rec.gen || rec.next >= rec.n {
		return nil
	}
	s := rec.steps[rec.next]
	rec.next++
	from := g.p.current(rec.agency, dayOf(t))
	if err := g.encodeStatus(doc, from, s.code, t); err != nil {
		return err
	}
	if rec.next < rec.n {
		g.q.push(event{t: rec.steps[rec.next].t, kind: evDocStatus, doc: doc, i: int32(i), gen: rec.gen})
	}
	return nil
}

// docRevoke emits the sender's revoke request (13); the recipients that
// have not finished accept it (15) or refuse it (16).
func (g *gen) docRevoke(doc *document, t int64) error {
	r := g.rdoc
	from := g.p.current(doc.sender, dayOf(t))
	if err := g.encodeStatus(doc, from, "13", t); err != nil {
		return err
	}
	for i := range doc.recs {
		rec := &doc.recs[i]
		if c := rec.steps[rec.n-1].code; rec.next >= rec.n && (c == "06" || c == "02") {
			continue // finished or refused before the request
		}
		at := g.cal.addOffice(t, 10*minute+r.Int64N(4*hour))
		if rec.next < rec.n {
			at = max(at, rec.steps[rec.next].t)
		}
		code := "15"
		if r.IntN(7) == 0 {
			code = "16"
		}
		// The plan from the next step on is replaced by the answer; an
		// event still pending for the old plan is ignored (gen).
		rec.n = rec.next
		rec.steps[rec.n] = docStep{at, code}
		rec.n++
		rec.gen++
		g.q.push(event{t: at, kind: evDocStatus, doc: doc, i: int32(i), gen: rec.gen})
	}
	return nil
}

func (g *gen) clerk(ag int32) person {
	if g.docs.clerks[ag] == nil {
		g.docs.clerks[ag] = []person{
			makePerson(g.cfg.Seed, domClerk, uint64(ag)*2, 1970, 1998),
			makePerson(g.cfg.Seed, domClerk, uint64(ag)*2+1, 1970, 1998),
		}
	}
	return g.docs.clerks[ag][int(g.rdoc.IntN(2))]
}

func (g *gen) signer(ag int32) string {
	if g.docs.signers[ag] == "" {
		g.docs.signers[ag] = makePerson(g.cfg.Seed, domSigner, uint64(ag), 1960, 1980).name
	}
	return g.docs.signers[ag]
}

func organMail(code string) string {
	return "vanthu." + strings.ReplaceAll(code, ".", "") + "@tayninh.gov.vn"
}

// tw writes the same element tree as edXML or as its JSON equivalent
// (contract 2.3): one top-level member named after the root, local names,
// element text as strings, attributes as members (text then under Value),
// and the repeatable elements as arrays.
type tw struct {
	b    []byte
	tmp  []byte
	json bool
	pfx  string
}

func (w *tw) sep() {
	if n := len(w.b); n > 0 {
		if c := w.b[n-1]; c != '{' && c != '[' {
			w.b = append(w.b, ',')
		}
	}
}

func (w *tw) startTag(name string) {
	w.b = append(w.b, '<')
	w.b = append(w.b, w.pfx...)
	w.b = append(w.b, name...)
}

func (w *tw) endTag(name string) {
	w.b = append(w.b, '<', '/')
	w.b = append(w.b, w.pfx...)
	w.b = append(w.b, name...)
	w.b = append(w.b, '>')
}

func (w *tw) jkey(name string) {
	w.sep()
	w.b = appendJSONString(w.b, name)
	w.b = append(w.b, ':')
}

// open starts an element with children; in a list (item) it has no key.
func (w *tw) open(name string) {
	if w.json {
		w.jkey(name)
		w.b = append(w.b, '{')
		return
	}
	w.startTag(name)
	w.b = append(w.b, '>')
}

func (w *tw) close(name string) {
	if w.json {
		w.b = append(w.b, '}')
		return
	}
	w.endTag(name)
}

func (w *tw) leaf(name, text string) {
	if w.json {
		w.jkey(name)
		w.b = appendJSONString(w.b, text)
		return
	}
	if text == "" {
		w.startTag(name)
		w.b = append(w.b, '/', '>')
		return
	}
	w.startTag(name)
	w.b = append(w.b, '>')
	w.b = appendXMLText(w.b, text)
	w.endTag(name)
}

// leafRaw writes text that needs no escaping (digits, dates, base64).
func (w *tw) leafRaw(name string, text []byte) {
	if w.json {
		w.jkey(name)
		w.b = append(w.b, '"')
		w.b = append(w.b, text...)
		w.b = append(w.b, '"')
		return
	}
	w.startTag(name)
	w.b = append(w.b, '>')
	w.b = append(w.b, text...)
	w.endTag(name)
}

func (w *tw) leafDate(name string, day int64) {
	w.tmp = appendSlashDate(w.tmp[:0], day)
	w.leafRaw(name, w.tmp)
}

func (w *tw) leafTS(name string, t int64) {
	w.tmp = appendSlashTS(w.tmp[:0], t)
	w.leafRaw(name, w.tmp)
}

func (w *tw) leafInt(name string, n int) {
	w.tmp = appendN(w.tmp[:0], n, 1)
	w.leafRaw(name, w.tmp)
}

// list starts a repeatable element's array (JSON only).
func (w *tw) list(name string) {
	if w.json {
		w.jkey(name)
		w.b = append(w.b, '[')
	}
}

func (w *tw) endList() {
	if w.json {
		w.b = append(w.b, ']')
	}
}

// item starts one element of a list.
func (w *tw) item(name string) {
	if w.json {
		w.sep()
		w.b = append(w.b, '{')
		return
	}
	w.startTag(name)
	w.b = append(w.b, '>')
}

// attrs writes an element with attributes and optional text (raw: base64);
// in a list when inList. With children (open) the caller closes it.
func (w *tw) attrs(name string, kv []string, text []byte, inList, withChildren bool) {
	if w.json {
		if inList {
			w.sep()
		} else {
			w.jkey(name)
		}
		w.b = append(w.b, '{')
		for i := 0; i+1 < len(kv); i += 2 {
			w.jkey(kv[i])
			w.b = appendJSONString(w.b, kv[i+1])
		}
		if len(text) > 0 {
			w.jkey("Value")
			w.b = append(w.b, '"')
			w.b = append(w.b, text...) // base64: nothing to escape
			w.b = append(w.b, '"')
		}
		if !withChildren {
			w.b = append(w.b, '}')
		}
		return
	}
	w.startTag(name)
	for i := 0; i+1 < len(kv); i += 2 {
		w.b = append(w.b, ' ')
		w.b = append(w.b, kv[i]...)
		w.b = append(w.b, '=', '"')
		w.b = appendXMLText(w.b, kv[i+1])
		w.b = append(w.b, '"')
	}
	switch {
	case withChildren:
		w.b = append(w.b, '>')
	case len(text) == 0:
		w.b = append(w.b, '/', '>')
	default:
		w.b = append(w.b, '>')
		w.b = append(w.b, text...)
		w.endTag(name)
	}
}

func (g *gen) envelopeStart(w *tw, json, prefixed bool) {
	w.b = w.b[:0]
	w.json = json
	w.pfx = ""
	if json {
		w.b = append(w.b, `{"edXMLEnvelope":{`...)
		return
	}
	w.b = append(w.b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"...)
	if prefixed {
		w.b = append(w.b, `<edXML:edXMLEnvelope xmlns:edXML="`+nsEdXML+`">`...)
		w.pfx = "edXML:"
	} else {
		w.b = append(w.b, `<edXMLEnvelope xmlns="`+nsEdXML+`">`...)
	}
}

func (g *gen) envelopeEnd(w *tw) {
	if w.json {
		w.b = append(w.b, "}}"...)
		return
	}
	w.endTag("edXMLEnvelope")
}

func (g *gen) organ(w *tw, name string, ag int32, full bool) {
	a := g.p.agencies[ag]
	w.open(name)
	w.leaf("OrganId", a.Code)
	if full {
		w.leaf("OrganInCharge", g.p.byCode[orDefault(a.Parent, a.Code)].Name)
	}
	w.leaf("OrganName", a.Name)
	w.leaf("OrganAdd", "Tây Ninh")
	w.leaf("Email", organMail(a.Code))
	w.leaf("Telephone", "0276"+strconv.Itoa(3800000+int(ag)*137%199999))
	if full {
		w.leaf("Fax", "")
		w.leaf("Website", "tayninh.gov.vn")
	}
	w.close(name)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func (g *gen) encodeDocument(doc *document, t int64) error {
	if t < g.fromSec {
		return nil // warm-up: simulated, not encoded
	}
	r := g.rdoc
	var w tw
	w.b = g.val[:0]
	g.envelopeStart(&w, doc.json, doc.prefixed)
	a := g.p.agencies[doc.sender]
	w.open("edXMLHeader")
	w.open("MessageHeader")
	g.organ(&w, "From", doc.sender, true)
	w.list("To")
	for _, rec := range doc.recs {
		ra := g.p.agencies[rec.agency]
		w.item("To")
		w.leaf("OrganId", ra.Code)
		w.leaf("OrganName", ra.Name)
		w.leaf("OrganAdd", "Tây Ninh")
		w.leaf("Email", organMail(ra.Code))
		w.close("To")
	}
	w.endList()
	if doc.idPresent {
		w.leaf("DocumentId", doc.docID)
	}
	w.open("Code")
	w.leafInt("CodeNumber", doc.number)
	w.leaf("CodeNotation", doc.notation)
	w.close("Code")
	w.open("PromulgationInfo")
	w.leaf("Place", "Tây Ninh")
	w.leafDate("PromulgationDate", doc.promDay)
	w.close("PromulgationInfo")
	w.open("DocumentType")
	w.leaf("Type", doc.typ.code)
	w.leaf("TypeName", doc.typ.name)
	w.close("DocumentType")
	w.leaf("Subject", doc.subject)
	w.leaf("Content", "")
	w.open("SignerInfo")
	switch a.Level {
	case LevelDepartment:
		w.leaf("Competence", "KT. GIÁM ĐỐC")
		w.leaf("Position", "PHÓ GIÁM ĐỐC")
	default:
		w.leaf("Competence", "KT. CHỦ TỊCH")
		w.leaf("Position", "PHÓ CHỦ TỊCH")
	}
	w.leaf("FullName", g.signer(doc.sender))
	w.close("SignerInfo")
	if doc.due >= 0 {
		w.leafDate("DueDate", doc.due)
	}
	w.open("ToPlaces")
	w.list("Place")
	if w.json {
		w.sep()
		w.b = appendJSONString(w.b, "Như trên")
		w.sep()
		w.b = appendJSONString(w.b, "Lưu: VT")
	} else {
		w.leaf("Place", "Như trên")
		w.leaf("Place", "Lưu: VT")
	}
	w.endList()
	w.close("ToPlaces")
	w.open("OtherInfo")
	w.leafInt("Priority", doc.priority)
	w.leaf("SphereOfPromulgation", "")
	w.leaf("TyperNotation", "")
	w.leaf("PromulgationAmount", "1")
	w.leafInt("PageAmount", 1+r.IntN(6))
	w.close("OtherInfo")
	w.leafInt("SteeringType", doc.steering)
	w.close("MessageHeader")

	w.open("TraceHeaderList")
	w.list("TraceHeader")
	w.item("TraceHeader")
	w.leaf("OrganId", a.Code)
	w.leafTS("Timestamp", t)
	w.close("TraceHeader")
	w.endList()
	w.open("Bussiness")
	w.leaf("BussinessDocType", "0")
	w.leaf("BussinessDocReason", "")
	if doc.paper >= 0 {
		w.leafInt("Paper", doc.paper)
	}
	c := g.clerk(doc.sender)
	w.open("StaffInfo")
	w.leaf("Department", "Văn thư")
	w.leaf("Staff", c.name)
	w.leaf("Mobile", c.phone)
	w.leaf("Email", c.email)
	w.close("StaffInfo")
	w.close("Bussiness")
	w.close("TraceHeaderList")
	if doc.signed {
		g.signature(&w, a)
	}
	w.close("edXMLHeader")

	w.open("edXMLBody")
	w.open("edXMLManifest")
	w.list("Reference")
	for i, bi := range doc.atts {
		bl := &g.docs.blobs[bi]
		w.item("Reference")
		w.leaf("ContentId", attCID(doc, i))
		w.leaf("ContentType", bl.ctype)
		w.leaf("Description", "Văn bản đính kèm")
		w.leaf("AttachmentName", attName(doc, i, bl))
		w.close("Reference")
	}
	w.endList()
	w.close("edXMLManifest")
	w.close("edXMLBody")

	w.open("AttachmentEncoded")
	w.list("Attachment")
	for i, bi := range doc.atts {
		bl := &g.docs.blobs[bi]
		if doc.attVariant == 0 {
			w.attrs("Attachment", []string{"ContentId", attCID(doc, i), "ContentType", bl.ctype,
				"Description", "Văn bản đính kèm", "AttachmentName", attName(doc, i, bl)}, bl.b64, true, false)
			continue
		}
		w.item("Attachment")
		w.leaf("ContentId", attCID(doc, i))
		w.leaf("ContentType", bl.ctype)
		w.leaf("Description", "Văn bản đính kèm")
		w.leaf("AttachmentName", attName(doc, i, bl))
		w.leafRaw("ContentTransferEncoded", bl.b64)
		w.close("Attachment")
	}
	w.endList()
	w.close("AttachmentEncoded")
	g.envelopeEnd(&w)
	g.val = w.b
	return g.out(tDocuments, doc.docID, w.b, t)
}

func attCID(doc *document, i int) string {
	return "cid:" + strconv.Itoa(doc.number) + "." + strconv.Itoa(i+1) + "@" + strings.ReplaceAll(doc.notation, " ", "")
}

func attName(doc *document, i int, b *blob) string {
	n := strconv.Itoa(doc.number) + "-" + strings.ReplaceAll(doc.notation, "/", "-")
	if i > 0 {
		n += "_PL" + strconv.Itoa(i)
	}
	return n + "." + b.ext
}

// signature writes an XML-DSig block (values are random bytes: nobody
// verifies them, but they look and size like the real thing).
func (g *gen) signature(w *tw, a *agency) {
	r := g.rdoc
	pool := g.docs.sigPool
	slice := func(n int) []byte {
		off := 4 * r.IntN((len(pool)-n)/4)
		return pool[off : off+n]
	}
	pfx := w.pfx
	w.pfx = ""
	if w.json {
		w.jkey("Signature")
		w.b = append(w.b, '{')
	} else {
		w.b = append(w.b, `<Signature xmlns="`+nsDSig+`">`...)
	}
	w.open("SignedInfo")
	w.attrs("CanonicalizationMethod", []string{"Algorithm", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"}, nil, false, false)
	w.attrs("SignatureMethod", []string{"Algorithm", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"}, nil, false, false)
	w.attrs("Reference", []string{"URI", ""}, nil, false, true)
	w.open("Transforms")
	w.attrs("Transform", []string{"Algorithm", "http://www.w3.org/2000/09/xmldsig#enveloped-signature"}, nil, false, false)
	w.close("Transforms")
	w.attrs("DigestMethod", []string{"Algorithm", "http://www.w3.org/2001/04/xmlenc#sha256"}, nil, false, false)
	w.leafRaw("DigestValue", slice(44))
	w.close("Reference")
	w.close("SignedInfo")
	w.leafRaw("SignatureValue", slice(344))
	w.open("KeyInfo")
	w.open("X509Data")
	w.leaf("X509SubjectName", "CN="+a.Name+", O=UBND tỉnh Tây Ninh, L=Tây Ninh, C=VN")
	w.leafRaw("X509Certificate", slice(900))
	w.close("X509Data")
	w.close("KeyInfo")
	w.close("Signature")
	w.pfx = pfx
}

var statusDescriptions = map[string]string{
	"01": "Đã đến", "02": "Từ chối tiếp nhận", "03": "Đã tiếp nhận", "04": "Phân công xử lý",
	"05": "Đang xử lý", "06": "Hoàn thành", "13": "Đề nghị thu hồi", "15": "Đồng ý thu hồi", "16": "Từ chối thu hồi",
}

// encodeStatus emits a status package of doc reported by agency from.
func (g *gen) encodeStatus(doc *document, from int32, code string, t int64) error {
	if t < g.fromSec {
		return nil // warm-up: simulated, not encoded
	}
	a := g.p.agencies[from]
	var w tw
	w.b = g.val[:0]
	json := g.rdoc.Float64() >= a.style.xml
	g.envelopeStart(&w, json, a.style.prefixed)
	w.open("edXMLHeader")
	w.open("Status")
	w.open("ResponseFor")
	w.leaf("OrganId", g.p.agencies[doc.sender].Code)
	w.leaf("Code", strconv.Itoa(doc.number)+"/"+doc.notation)
	w.leafDate("PromulgationDate", doc.promDay)
	w.leaf("DocumentId", doc.docID)
	w.close("ResponseFor")
	g.organ(&w, "From", from, false)
	w.leaf("StatusCode", code)
	w.leaf("Description", statusDescriptions[code])
	w.leafTS("Timestamp", t)
	c := g.clerk(from)
	w.open("StaffInfo")
	w.leaf("Department", "Văn thư")
	w.leaf("Staff", c.name)
	w.leaf("Email", c.email)
	w.leaf("Mobile", c.phone)
	w.close("StaffInfo")
	w.close("Status")
	w.close("edXMLHeader")
	if !json {
		w.startTag("edXMLBody")
		w.b = append(w.b, '/', '>')
	}
	g.envelopeEnd(&w)
	g.val = w.b
	return g.out(tDocuments, doc.docID, w.b, t)
}
