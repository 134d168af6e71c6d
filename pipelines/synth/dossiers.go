package synth

import (
	"cmp"
	"slices"
)

// era is the province's structure between two restructurings: which
// agencies handle which procedures, as an alias table over (procedure,
// agency) pairs weighted by volume.
type era struct {
	from  int64 // first day
	procs []int32
	ags   []int32
	tab   alias
}

func buildEras(p *province) []era {
	starts := []int64{openFrom, deptMergeDay, twoTierDay}
	eras := make([]era, len(starts))
	for i, from := range starts {
		d0 := from
		if i == 0 {
			d0 = deptMergeDay - 1
		}
		e := era{from: from}
		var w []float64
		for pi, pr := range procedures {
			var cands []*agency
			switch {
			case pr.role == roleDept:
				cands = []*agency{p.agencies[p.current(p.dept[pr.dept].idx, d0)]}
			case pr.role == roleDistrict && d0 < twoTierDay:
				cands = p.valid(LevelDistrict, d0)
			default:
				cands = p.valid(LevelCommune, d0)
			}
			var tot float64
			for _, a := range cands {
				tot += a.weight
			}
			for _, a := range cands {
				e.procs = append(e.procs, int32(pi))
				e.ags = append(e.ags, a.idx)
				w = append(w, pr.weight*a.weight/tot)
			}
		}
		e.tab = newAlias(w)
		eras[i] = e
	}
	return eras
}

func (g *gen) eraOf(day int64) *era {
	for i := len(g.eras) - 1; i > 0; i-- {
		if day >= g.eras[i].from {
			return &g.eras[i]
		}
	}
	return &g.eras[0]
}

// Dossier statuses (TrangThaiHoSo).
const (
	stSubmitted  = 1
	stAccepted   = 2
	stRefused    = 3
	stProcessing = 4
	stSupplement = 5
	stFee        = 6
	stWithdrawn  = 7
	stStopped    = 8
	stFinished   = 9
	stReturned   = 10
)

// stepKind is a planned change of a dossier, or a progress step.
type stepKind uint8

const (
	kSubmit stepKind = iota
	kRefuse
	kAccept
	kProcess
	kSupReq
	kSupRecv
	kApology
	kFee
	kFinish
	kReturn
	kWithdraw
	kStop
	kProgAccept
	kProgReview
	kProgSupReq
	kProgApprove
)

type step struct {
	t    int64
	kind stepKind
	v    int64 // a new due date, or whether a date is set
}

type supplement struct{ req, recv, prevDue, newDue int64 }

type apology struct {
	at, prevDue, newDue int64
	reason              uint8
}

// dossier is one open dossier: what its snapshots show so far and the
// steps still planned. It lives from submission to its last step.
type dossier struct {
	code      string
	proc      *procedure
	agency    int32
	channel   int
	appType   int
	who       person
	noDocNo   bool // SoGiayToChuHoSo left out
	noIDList  bool // DinhDanhCHS left out
	byPost    bool
	fee       bool
	status    int
	submitted int64
	accepted  int64
	due       int64
	finished  int64
	returned  int64
	refused   int64
	sups      [2]supplement
	nsup      int
	apol      apology
	napol     int
	lastProg  int64

	steps  [20]step
	nsteps int
	next   int
}

func (d *dossier) add(k stepKind, t, v int64) {
	if d.nsteps < len(d.steps) {
		d.steps[d.nsteps] = step{t: t, kind: k, v: v}
		d.nsteps++
	}
}

// season is the relative daily volume of receptions: fewer around Tết (a
// rush before it), a little more at the end of the year, growing slowly.
func season(day int64) float64 {
	y, m, _ := civil(day)
	f := [12]float64{1.0, 0.85, 1.05, 1.0, 1.0, 1.0, 1.0, 1.0, 0.95, 1.0, 1.05, 1.15}[m-1]
	for _, yy := range [2]int{y, y + 1} {
		switch dt := day - tetDay(yy); {
		case dt >= -21 && dt < -7:
			f *= 1.15
		case dt >= -7 && dt < -2:
			f *= 0.75
		case dt >= -2 && dt <= 5:
			f *= 0.3
		case dt > 5 && dt <= 12:
			f *= 0.6
		case dt > 12 && dt <= 20:
			f *= 0.85
		}
	}
	return f * min(1.3, max(0.75, 1+0.03*float64(y-2019)))
}

// dossiersPerWorkday at Scale 1: about 300,000 a year.
const dossiersPerWorkday = 300000.0 / 248

type arrival struct {
	t       int64
	proc    int32
	ag      int32
	channel int
}

func (g *gen) dossierArrivals(day int64) {
	r := g.rnd
	work := g.cal.isWork(day)
	share := onlineShare(day)
	lambda := g.cfg.Scale * dossiersPerWorkday * season(day)
	if !work {
		lambda *= share * 0.3
	}
	n := poisson(r, lambda)
	if n == 0 {
		return
	}
	e := g.eraOf(day)
	arr := make([]arrival, 0, n)
	for range n {
		i := e.tab.pick(r)
		pr := &procedures[e.procs[i]]
		pOnline := min(0.97, share*pr.online/meanOnline)
		a := arrival{proc: e.procs[i], ag: e.ags[i], channel: 1}
		u := r.Float64()
		switch {
		case !work:
			if pr.online == 0 || u >= pOnline*3 {
				continue
			}
			a.channel = 2
		case u < pOnline:
			a.channel = 2
		case u < pOnline+0.03:
			a.channel = 3
		}
		if a.channel == 2 {
			// Filed online at any hour, mostly 06:00–23:00.
			s := int64(6*hour) + r.Int64N(17*hour)
			if r.IntN(10) == 0 {
				s = r.Int64N(secPerDay)
			}
			a.t = dayStart(day) + s
		} else {
			a.t = officeAt(r, day)
		}
		arr = append(arr, a)
	}
	slices.SortStableFunc(arr, func(a, b arrival) int { return cmp.Compare(a.t, b.t) })
	for _, a := range arr {
		d := g.newDossier(a, day)
		g.plan(d, a.t)
		g.schedule(d)
	}
}

func (g *gen) newDossier(a arrival, day int64) *dossier {
	var d *dossier
	if n := len(g.free); n > 0 {
		d = g.free[n-1]
		g.free = g.free[:n-1]
		*d = dossier{}
	} else {
		d = new(dossier)
	}
	r := g.rnd
	d.proc = &procedures[a.proc]
	d.agency = a.ag
	d.channel = a.channel
	if g.codeDay[a.ag] != day {
		g.codeDay[a.ag], g.codeSeq[a.ag] = day, 0
	}
	g.codeSeq[a.ag]++
	b := make([]byte, 0, 32)
	b = append(b, g.p.agencies[a.ag].Code...)
	b = append(b, '-')
	b = appendYYMMDD(b, day)
	b = append(b, '-')
	b = appendN(b, int(g.codeSeq[a.ag]), 4)
	d.code = string(b)
	switch u := r.Float64(); {
	case u < d.proc.enterprise:
		d.appType = 2
		d.who = makeEnterprise(g.cfg.Seed, r.Uint64N(15000))
	default:
		d.appType = 1
		if u > 0.995 {
			d.appType = 4
		}
		d.who = makePerson(g.cfg.Seed, domApplicant, r.Uint64N(1_100_000), 1945, 2007)
	}
	d.noDocNo = r.IntN(12) == 0
	d.noIDList = !d.noDocNo && r.IntN(20) == 0
	d.byPost = d.channel == 3 || r.IntN(25) == 0
	return d
}

// plan lays out the whole life of a dossier at submission; its steps are
// then played one by one through the event queue.
func (g *gen) plan(d *dossier, t int64) {
	r, cal := g.rnd, g.cal
	pr := d.proc
	ag := g.p.agencies[d.agency]
	after := func(t, min int64) int64 { return t + min + r.Int64N(min+1) }

	d.submitted = 0
	var ta int64
	if d.channel == 2 {
		d.add(kSubmit, t, 0)
		// Refused at the online reception desk.
		if r.Float64() < 0.04 {
			d.add(kRefuse, cal.addOffice(t, 30*minute+r.Int64N(6*hour)), 0)
			return
		}
		ta = cal.addOffice(t, 15*minute+r.Int64N(10*hour))
	} else {
		if r.Float64() < 0.005 {
			d.submitted = t
			d.add(kRefuse, after(t, 5*minute), 0)
			return
		}
		d.submitted = t
		ta = after(t, 3*minute)
	}
	d.add(kAccept, ta, 0)
	d.add(kProgAccept, ta+30+r.Int64N(600), 0)

	days := pr.days
	if days == 0 && secOfDay(ta) >= 15*hour {
		days = 1 // received after 15:00: returned the next working day
	}
	dueOf := func(from int64, n int) int64 {
		return dayStart(cal.addWork(dayOf(from), n)) + 17*hour
	}
	due := dueOf(ta, days)
	lastT := ta
	// Processing starts (skipped for same-day certifications).
	if pr.days > 0 || r.IntN(3) == 0 {
		lastT = cal.addOffice(ta, 10*minute+r.Int64N(4*hour))
		d.add(kProcess, lastT, 0)
	}
	base := ta // the clock restarts when a supplement arrives

	lateP := min(0.85, pr.late*ag.late*lateYear(dayOf(ta)))
	late := r.Float64() < lateP
	stuck := late && r.Float64() < pr.stuck*ag.late*4
	withdraw := r.Float64() < 0.01
	stop := !withdraw && r.Float64() < 0.004

	nsup := 0
	if r.Float64() < pr.supplement {
		nsup = 1
		if r.Float64() < 0.07 {
			nsup = 2
		}
	}
	for range nsup {
		span := max(1, days/2)
		q := officeAt(r, cal.addWork(dayOf(base), 1+r.IntN(span)))
		q = max(q, lastT+10*minute)
		d.add(kSupReq, q, 0)
		d.add(kProgSupReq, q+r.Int64N(300), 0)
		if r.Float64() < 0.1 {
			// Never supplied: withdrawn, stopped, or paused for good.
			switch u := r.Float64(); {
			case u < 0.5:
				d.add(kWithdraw, officeAt(r, cal.addWork(dayOf(q), 20+r.IntN(40))), int64(r.IntN(2)))
			case u < 0.7:
				d.add(kStop, officeAt(r, cal.addWork(dayOf(q), 30+r.IntN(30))), 1)
			}
			g.sortSteps(d)
			return
		}
		resp := cal.addWork(dayOf(q), 1+expInt(r, 5))
		trc := max(officeAt(r, resp), q+hour)
		due = dueOf(trc, days)
		d.add(kSupRecv, trc, due)
		lastT, base = trc, trc
	}

	// When processing ends.
	var endDay int64
	if late {
		extra := 1 + expInt(r, max(2, float64(days)*0.4))
		if stuck {
			extra = 40 + r.IntN(220)
		}
		endDay = cal.addWork(dayOf(due), extra)
	} else {
		f := 1.0
		if r.Float64() >= 0.3 {
			f = 0.15 + 0.85*r.Float64()
		}
		w := int(f*float64(days) + 0.999)
		endDay = cal.addWork(dayOf(base), min(w, days))
	}
	te := max(officeAt(r, endDay), lastT+20*minute)
	if !late && te > due {
		te = max(due-r.Int64N(2*hour), lastT+minute) // on the due day, before closing
	}

	// A withdrawal (by the applicant) comes before the end.
	var tw int64
	if withdraw {
		tw = max(lastT+hour, te-r.Int64N(max(1, te-lastT)))
	}

	// A review step half way.
	stop1 := te
	if withdraw {
		stop1 = tw
	}
	if rev := lastT + (stop1-lastT)/2; rev > lastT {
		d.add(kProgReview, rev, 0)
	}

	// Late dossiers: an apology, usually a few days before the due date.
	if late && !withdraw && !stop && r.Float64() < min(0.95, ag.apology*0.5*apologyYear(dayOf(ta))) {
		ax := officeAt(r, cal.addWork(dayOf(due), -r.IntN(4)))
		if r.IntN(5) == 0 {
			ax = officeAt(r, cal.addWork(dayOf(due), 1+r.IntN(3))) // sent too late
		}
		ax = max(ax, lastT+5*minute)
		newDue := dayStart(cal.addWork(endDay, r.IntN(3))) + 17*hour
		if r.IntN(5) == 0 {
			newDue = dayStart(cal.addWork(endDay, -1-r.IntN(3))) + 17*hour // missed again
		}
		if ax < te-10*minute {
			d.add(kApology, ax, newDue)
		}
	}

	switch {
	case withdraw:
		d.add(kWithdraw, tw, int64(r.IntN(2)))
	case stop:
		d.add(kStop, te, 1)
	default:
		if r.Float64() < pr.fee {
			d.fee = true
			d.add(kFee, te, 0)
			paid := cal.addOffice(te, 30*minute+r.Int64N(2*officeLen))
			if !late {
				paid = min(paid, max(due-minute, te+minute))
			}
			te = paid
		}
		d.add(kProgApprove, max(te-5*minute-r.Int64N(20*minute), lastT+minute), 0)
		d.add(kFinish, te, 0)
		if r.Float64() < 0.93 {
			var tr int64
			if pr.days == 0 {
				tr = after(te, 5*minute)
			} else {
				tr = cal.addOffice(te, 10*minute+r.Int64N(3*officeLen))
				if r.IntN(15) == 0 {
					tr = officeAt(r, cal.addWork(dayOf(te), 10+r.IntN(40)))
				}
			}
			d.add(kReturn, tr, 0)
		}
	}
	g.sortSteps(d)
}

// sortSteps orders the plan by time (stable), and makes each snapshot step
// come strictly after the previous one.
func (g *gen) sortSteps(d *dossier) {
	s := d.steps[:d.nsteps]
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].t < s[j-1].t; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func (g *gen) schedule(d *dossier) {
	if d.next < d.nsteps {
		g.q.push(event{t: d.steps[d.next].t, kind: evDossier, d: d})
		return
	}
	g.free = append(g.free, d)
}

// dossierStep plays the dossier's next step at t and schedules the one after.
func (g *gen) dossierStep(d *dossier, t int64) error {
	s := d.steps[d.next]
	d.next++
	// After a restructuring the successor holds the dossier.
	d.agency = g.p.current(d.agency, dayOf(t))
	var err error
	switch s.kind {
	case kProgAccept, kProgReview, kProgSupReq, kProgApprove:
		err = g.progress(d, s, t)
	default:
		g.apply(d, s, t)
		err = g.item(tDossiers, d.agency, t, d.code, s.kind != kSubmit && !(s.kind == kAccept && d.channel != 2), func(w *jw, env bool) {
			g.encodeDossier(w, d, env)
		})
	}
	if err != nil {
		return err
	}
	g.schedule(d)
	return nil
}

func (g *gen) apply(d *dossier, s step, t int64) {
	switch s.kind {
	case kSubmit:
		d.submitted, d.status = t, stSubmitted
	case kRefuse:
		d.refused, d.status = t, stRefused
	case kAccept:
		d.accepted, d.status = t, stAccepted
		days := d.proc.days
		if days == 0 && secOfDay(t) >= 15*hour {
			days = 1
		}
		d.due = dayStart(g.cal.addWork(dayOf(t), days)) + 17*hour
	case kProcess:
		d.status = stProcessing
	case kSupReq:
		if d.nsup < len(d.sups) {
			d.sups[d.nsup] = supplement{req: t, prevDue: d.due}
			d.nsup++
		}
		d.status = stSupplement
	case kSupRecv:
		if d.nsup > 0 {
			sp := &d.sups[d.nsup-1]
			sp.recv, sp.newDue = t, s.v
		}
		d.due = s.v
		d.status = stProcessing
	case kApology:
		d.apol = apology{at: t, prevDue: d.due, newDue: s.v, reason: uint8(g.rnd.IntN(len(apologyReasons)))}
		d.napol = 1
	case kFee:
		d.status = stFee
	case kFinish:
		d.finished, d.status = t, stFinished
	case kReturn:
		d.returned, d.status = t, stReturned
	case kWithdraw:
		if s.v == 1 {
			d.finished = t
		}
		d.status = stWithdrawn
	case kStop:
		d.finished, d.status = t, stStopped
	}
}

// encodeDossier writes a DongBoHoSoMC dossier object. MaDonVi is left out
// at times where the receiver can still find the agency: in an envelope
// naming it, or when the code's prefix is the agency.
func (g *gen) encodeDossier(w *jw, d *dossier, inEnvelope bool) {
	r := g.rnd
	a := g.p.agencies[d.agency]
	pr := d.proc
	sec := &sectors[pr.sec]
	omitAgency := false
	if inEnvelope {
		omitAgency = r.IntN(5) < 2
	} else if len(d.code) > len(a.Code) && d.code[:len(a.Code)] == a.Code {
		omitAgency = r.IntN(20) == 0
	}
	w.obj()
	w.str("MaHoSo", d.code)
	w.str("MaTTHC", pr.code)
	w.str("TenTTHC", pr.name)
	w.str("MaLinhVuc", sec.code)
	w.str("TenLinhVuc", sec.name)
	w.num("KenhThucHien", d.channel)
	w.str("ChuHoSo", d.who.name)
	w.num("LoaiDoiTuong", d.appType)
	w.str("MaDoiTuong", "")
	w.str("ThongTinKhac", "")
	w.str("Email", d.who.email)
	w.str("Fax", "")
	w.str("SoDienThoai", d.who.phone)
	w.str("TrichYeuHoSo", sec.name)
	w.ts("NgayNopHoSo", d.submitted)
	w.ts("NgayTiepNhan", d.accepted)
	w.ts("NgayHenTra", d.due)
	w.num("TrangThaiHoSo", d.status)
	w.ts("NgayTra", d.returned)
	w.str("ThongTinTra", "")
	if d.byPost {
		w.num("HinhThuc", 1)
	} else {
		w.num("HinhThuc", 0)
	}
	w.ts("NgayKetThucXuLy", d.finished)
	w.ts("NgayTuChoi", d.refused)
	if !omitAgency {
		w.str("MaDonVi", a.Code)
	}
	w.str("DonViXuLy", a.Name)
	w.str("GhiChu", "")
	if !d.noDocNo {
		w.str("SoGiayToChuHoSo", d.who.id)
	}
	if !d.noIDList {
		w.arr("DinhDanhCHS")
		w.obj()
		if d.appType == 2 {
			w.num("LoaiDinhDanh", 2)
		} else {
			w.num("LoaiDinhDanh", 1)
		}
		w.str("SoDinhDanh", d.who.id)
		w.end()
		w.endArr()
	}
	if d.fee {
		w.arr("DanhSachLePhi")
		w.obj()
		w.str("TenPhiLePhi", "Lệ phí giải quyết thủ tục hành chính")
		w.num("HinhThucThu", 1)
		w.num("Gia", 20000+10000*int(uint8(d.code[len(d.code)-1])%10))
		w.num("LoaiPhiLePhi", 1)
		w.end()
		w.endArr()
	}
	if d.nsup > 0 {
		w.arr("DanhSachHoSoBoSung")
		for i := range d.nsup {
			s := &d.sups[i]
			w.obj()
			w.ts("NgayBoSung", s.req)
			w.ts("NgayTiepNhanBoSung", s.recv)
			w.ts("NgayHenTraTruoc", s.prevDue)
			w.ts("NgayHenTraMoi", s.newDue)
			w.str("NoiDungBoSung", "Bổ sung giấy tờ theo quy định")
			w.end()
		}
		w.endArr()
	}
	if d.napol > 0 {
		w.arr("DanhSachXinLoi")
		w.obj()
		w.ts("NgayXinLoi", d.apol.at)
		w.ts("NgayHenTraTruoc", d.apol.prevDue)
		w.ts("NgayHenTraMoi", d.apol.newDue)
		w.str("LyDo", apologyReasons[d.apol.reason])
		w.end()
		w.endArr()
	}
	w.end()
}

// progress emits a processing step of d (onestop.progress, contract 2.2).
func (g *gen) progress(d *dossier, s step, t int64) error {
	a := g.p.agencies[d.agency]
	sec := &sectors[d.proc.sec]
	var who, title, unit, what string
	var deadline int64
	start := d.lastProg
	if start == 0 {
		start = d.accepted
	}
	desk := "Bộ phận Tiếp nhận và Trả kết quả"
	if dayOf(t) >= twoTierDay {
		desk = "Trung tâm Phục vụ hành chính công"
	}
	specialist := sec.unitLocal
	leader := "Phó Chủ tịch UBND"
	switch a.Level {
	case LevelDepartment, LevelProvince:
		specialist, leader = sec.unitDept, "Phó Giám đốc"
	case LevelCommune:
		specialist = sec.unitComm
	}
	switch s.kind {
	case kProgAccept:
		who, title, unit = g.officer(d.agency, int(t%2)), "Công chức Bộ phận Một cửa", desk
		what, deadline = "Tiếp nhận hồ sơ, chuyển bộ phận chuyên môn xử lý", d.accepted
	case kProgReview:
		who, title, unit = g.officer(d.agency, 2+int(t%2)), "Chuyên viên", specialist
		what, deadline = "Thẩm định hồ sơ, trình lãnh đạo phê duyệt", d.due-secPerDay
	case kProgSupReq:
		who, title, unit = g.officer(d.agency, 2+int(t%2)), "Chuyên viên", specialist
		what, deadline = "Yêu cầu bổ sung, hoàn thiện hồ sơ", d.due
	case kProgApprove:
		who, title, unit = g.officer(d.agency, 4), leader, "Lãnh đạo "+a.Name
		what, deadline = "Phê duyệt, ký kết quả giải quyết hồ sơ", d.due
	}
	d.lastProg = t
	return g.item(tProgress, d.agency, t, d.code, true, func(w *jw, _ bool) {
		w.obj()
		w.str("MaHoSo", d.code)
		w.str("NguoiXuLy", who)
		w.str("ChucDanh", title)
		w.ts("ThoiDiemXuLy", t)
		w.str("PhongBanXuLy", unit)
		w.str("NoiDungXuLy", what)
		w.num("TrangThai", d.status)
		w.ts("NgayBatDau", start)
		w.ts("NgayKetThucTheoQuyDinh", max(deadline, start))
		w.end()
	})
}

// officer is the name of one of an agency's one-stop and processing staff
// (slots 0-1 the desk, 2-3 specialists, 4 the leader).
func (g *gen) officer(ag int32, slot int) string {
	if g.officers[ag] == nil {
		names := make([]string, 5)
		for i := range names {
			names[i] = makePerson(g.cfg.Seed, domOfficer, uint64(ag)*8+uint64(i), 1965, 1998).name
		}
		g.officers[ag] = names
	}
	return g.officers[ag][slot]
}
