package synth

import (
	"math/rand/v2"
	"strconv"
)

// Staff classes (LoaiHinh).
const (
	classCC = iota // công chức, civil servant
	classVC        // viên chức, public employee
	classHD        // hợp đồng, contract worker (outside the quota)
	nClasses
)

var classCodes = [nClasses]string{"CC", "VC", "HD"}

// Reasons for leaving (LyDoKetThuc).
const (
	leaveNone = iota
	leaveRetire
	leaveResign
	leaveReduction
	leaveTransfer
	leaveOther
)

var leaveCodes = [...]string{"", "NGHI_HUU", "THOI_VIEC", "TINH_GIAN", "CHUYEN_CONG_TAC", "KHAC"}

// employee is one employment record: a person at an agency from start
// until end. A transfer ends the record and starts a new one elsewhere.
type employee struct {
	soHieu string
	who    person
	pidx   uint64
	birth  int64 // day
	agency int32
	class  int
	pos    string
	ngach  string
	start  int64
	end    int64 // 0 while employed
	reason int

	next       int64 // day of the next planned event
	nextPromo  bool  // the next event is a promotion (else the end)
	endReason  int
	slot       int // index in its agency's active list
	active     bool
	heapSeq    uint64
	omitEndKey bool // NgayKetThuc/LyDoKetThuc left out while empty
}

type staffEntry struct {
	day int64
	seq uint64
	e   *employee
}

type startEv struct {
	day    int64
	agency int32
	from   *employee
}

type hireEv struct {
	day    int64
	agency int32
	class  int
}

// staffer simulates the staff of every agency day by day, from 2015 (or
// From, if earlier): retirements, resignations, staff reduction (tinh giản),
// transfers, hires toward each agency's quota, and the 2025 restructuring.
type staffer struct {
	g        *gen
	r        *rand.Rand
	start    int64
	active   [][]*employee
	count    [][nClasses]int
	pendingH [][nClasses]int
	heap     []staffEntry
	seq      uint64
	hires    []hireEv
	starts   []startEv
	nextSH   int
	nextP    uint64
	emitting bool
	w        jw
}

func newStaffer(g *gen, start int64) *staffer {
	n := len(g.p.agencies)
	s := &staffer{g: g, r: g.rst, start: start,
		active: make([][]*employee, n), count: make([][nClasses]int, n), pendingH: make([][nClasses]int, n)}
	// The initial staff: slightly above the 2015 quota (before resolution
	// 39-NQ/TW took effect), hired over the past decades.
	y := yearOf(start)
	for _, a := range g.p.agencies {
		if !a.validOn(start) {
			continue
		}
		for c := range nClasses {
			n := a.hd
			if c != classHD {
				n = int(float64(s.quota(a, y, c))*(0.99+0.05*s.r.Float64()) + 0.5)
			}
			for range n {
				age := 23 + s.r.IntN(37)
				birth := start - int64(age)*365 - s.r.Int64N(365)
				began := start - s.r.Int64N(int64(age-22)*365+1)
				e := s.newEmployee(a.idx, c, s.newPerson(), birth, began)
				s.plan(e, start)
			}
		}
	}
	return s
}

func (s *staffer) newPerson() uint64 {
	s.nextP++
	return s.nextP
}

func (s *staffer) newEmployee(ag int32, class int, pidx uint64, birth, start int64) *employee {
	s.nextSH++
	e := &employee{
		soHieu: "H53-" + string(appendN(nil, s.nextSH, 6)),
		pidx:   pidx, birth: birth, agency: ag, class: class, start: start,
		omitEndKey: s.r.IntN(3) == 0,
	}
	by := yearOf(birth)
	e.who = makePerson(s.g.cfg.Seed, domStaff, pidx, by, by)
	e.pos, e.ngach = s.position(ag, class)
	s.activate(e)
	return e
}

func (s *staffer) activate(e *employee) {
	e.active = true
	e.slot = len(s.active[e.agency])
	s.active[e.agency] = append(s.active[e.agency], e)
	s.count[e.agency][e.class]++
}

func (s *staffer) deactivate(e *employee) {
	e.active = false
	l := s.active[e.agency]
	last := l[len(l)-1]
	l[e.slot] = last
	last.slot = e.slot
	s.active[e.agency] = l[:len(l)-1]
	s.count[e.agency][e.class]--
}

// retirementDay is when e reaches the retirement age: 60 (men) and 55
// (women) until 2020, then rising by 3 and 4 months a year to 62 and 60
// (Labour Code 2019, art. 169).
func (s *staffer) retirementDay(e *employee) int64 {
	by, bm, bd := civil(e.birth)
	months := 60 * 12
	step, capM := 3, 62*12
	if e.who.female {
		months, step, capM = 55*12, 4, 60*12
	}
	ry := by + months/12
	if ry >= 2021 {
		months = min(capM, months+step*(ry-2020))
	}
	return dayNum(by, bm+months, bd)
}

// plan draws e's next event from day: its end (the first of retirement
// and the competing risks) or, before it, a promotion.
func (s *staffer) plan(e *employee, from int64) {
	r := s.r
	type risk struct {
		reason int
		rate   float64 // per year
	}
	var risks []risk
	switch e.class {
	case classCC:
		risks = []risk{{leaveResign, 0.012}, {leaveReduction, 0.009}, {leaveTransfer, 0.015}, {leaveOther, 0.002}}
	case classVC:
		risks = []risk{{leaveResign, 0.02}, {leaveReduction, 0.01}, {leaveTransfer, 0.008}, {leaveOther, 0.002}}
	default:
		risks = []risk{{leaveResign, 0.08}, {leaveOther, 0.01}}
	}
	var total float64
	for _, k := range risks {
		total += k.rate
	}
	t := from + 1 + int64(r.ExpFloat64()/total*365.25)
	reason := leaveRetire
	if ret := s.retirementDay(e); ret <= t {
		t = max(ret, from+1)
	} else {
		x := r.Float64() * total
		for _, k := range risks {
			reason = k.reason
			if x < k.rate {
				break
			}
			x -= k.rate
		}
	}
	e.next, e.endReason, e.nextPromo = t, reason, false
	if e.class != classHD {
		if p := from + 30 + int64(r.ExpFloat64()/0.08*365.25); p < t {
			e.next, e.nextPromo = p, true
		}
	}
	s.push(e)
}

func (s *staffer) push(e *employee) {
	s.seq++
	e.heapSeq = s.seq
	s.heap = append(s.heap, staffEntry{e.next, s.seq, e})
	i := len(s.heap) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s.heap[i], s.heap[p] = s.heap[p], s.heap[i]
		i = p
	}
}

func (s *staffer) less(i, j int) bool {
	a, b := &s.heap[i], &s.heap[j]
	if a.day != b.day {
		return a.day < b.day
	}
	return a.seq < b.seq
}

func (s *staffer) pop() staffEntry {
	top := s.heap[0]
	n := len(s.heap) - 1
	s.heap[0] = s.heap[n]
	s.heap = s.heap[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if rr := l + 1; rr < n && s.less(rr, l) {
			m = rr
		}
		if !s.less(m, i) {
			break
		}
		s.heap[i], s.heap[m] = s.heap[m], s.heap[i]
		i = m
	}
	return top
}

func (s *staffer) runSilently(until int64) error {
	for d := s.start; d < until; d++ {
		s.day(d, false)
	}
	return nil
}

// initial emits, at From, the quotas of 2015 up to From's year and the
// records of everyone employed.
func (s *staffer) initial(day int64) {
	s.emitting = true
	t := dayStart(day)
	for y := 2015; y <= yearOf(day); y++ {
		s.quotas(y, t)
	}
	for _, l := range s.active {
		for _, e := range l {
			s.record(e, t)
		}
	}
}

// quotas emits the assigned quota (biên chế được giao) of year y of every
// agency that exists during y.
func (s *staffer) quotas(y int, t int64) {
	jan1, dec31 := dayNum(y, 1, 1), dayNum(y, 12, 31)
	for _, a := range s.g.p.agencies {
		if a.from > dec31 || a.to < jan1 {
			continue
		}
		for c := range classHD {
			q := s.quota(a, y, c)
			if q <= 0 {
				continue
			}
			s.w = jw{b: s.w.b[:0]}
			w := &s.w
			w.obj()
			w.str("Loai", "BienCheGiao")
			w.str("MaDonVi", a.Code)
			w.intv("Nam", y)
			w.str("LoaiHinh", classCodes[c])
			w.intv("SoLuong", q)
			w.end()
			key := "BienCheGiao/" + a.Code + "/" + strconv.Itoa(y) + "/" + classCodes[c]
			s.emit(key, w.b, t)
		}
	}
}

// quota is the assigned quota of agency a in year y for class c: the 2015
// base cut by ~10% by 2021 (39-NQ/TW), then by 5% (CC) and 10% (VC) more
// by 2026 (40-KL/TW). Agencies formed by a merger take their
// predecessors' quotas, less a little.
func (s *staffer) quota(a *agency, y, c int) int {
	if c == classHD {
		return 0
	}
	var q float64
	if a.from == openFrom {
		base := float64(a.quota[c])
		r1 := 0.10 + 0.03*hash01("q1"+a.Code)
		r2 := 0.05 + 0.02*hash01("q2"+a.Code)
		if c == classVC {
			r2 += 0.05
		}
		f := 1.0
		switch {
		case y <= 2015:
		case y <= 2021:
			f = 1 - r1*float64(y-2015)/6
		default:
			f = (1 - r1) * (1 - r2*float64(min(y, 2026)-2021)/5)
		}
		q = base * f
	}
	if y >= 2025 {
		for _, p := range a.preds {
			q += float64(s.quota(s.g.p.agencies[p.idx], y, c)) * p.share * 0.95
		}
	}
	return int(q + 0.5)
}

func (s *staffer) target(a *agency, y, c int) int {
	if c == classHD {
		return a.hd
	}
	return int(float64(s.quota(a, y, c))*(0.95+0.04*hash01("fill"+a.Code)) + 0.5)
}

func (s *staffer) emit(key string, value []byte, t int64) {
	if !s.emitting {
		return
	}
	v := make([]byte, len(value))
	copy(v, value)
	s.g.q.push(event{t: t, kind: evMsg, msg: &pending{topic: tStaffing, key: key, value: v}})
}

// record emits e's employment record as it stands (an upsert by SoHieu).
func (s *staffer) record(e *employee, t int64) {
	if !s.emitting {
		return
	}
	s.w = jw{b: s.w.b[:0], absent: absentEmpty}
	w := &s.w
	w.obj()
	w.str("SoHieu", e.soHieu)
	w.str("SoDinhDanh", e.who.id)
	w.str("HoTen", e.who.name)
	w.str("MaDonVi", s.g.p.agencies[e.agency].Code)
	w.str("LoaiHinh", classCodes[e.class])
	w.str("ViTriViecLam", e.pos)
	if e.ngach != "" {
		w.str("Ngach", e.ngach)
	}
	w.key("NgayBatDau")
	w.b = append(w.b, '"')
	w.b = appendDate8(w.b, e.start)
	w.b = append(w.b, '"')
	switch {
	case e.end != 0:
		w.key("NgayKetThuc")
		w.b = append(w.b, '"')
		w.b = appendDate8(w.b, e.end)
		w.b = append(w.b, '"')
		w.str("LyDoKetThuc", leaveCodes[e.reason])
	case !e.omitEndKey:
		w.str("NgayKetThuc", "")
		w.str("LyDoKetThuc", "")
	}
	w.end()
	s.emit(e.soHieu, w.b, t)
}

func (s *staffer) morning(day int64) int64 {
	return dayStart(day) + 7*hour + 30*minute + s.r.Int64N(hour)
}

func (s *staffer) afternoon(day int64) int64 {
	return dayStart(day) + 16*hour + 30*minute + s.r.Int64N(30*minute)
}

// day plays one day of staffing changes.
func (s *staffer) day(d int64, emitting bool) {
	s.emitting = emitting
	p := s.g.p
	cal := s.g.cal
	// Transfers arriving today.
	if len(s.starts) > 0 {
		keep := s.starts[:0]
		var today []startEv
		for _, st := range s.starts {
			if st.day == d {
				today = append(today, st)
			} else {
				keep = append(keep, st)
			}
		}
		s.starts = keep
		for _, st := range today {
			o := st.from
			e := s.newEmployee(st.agency, o.class, o.pidx, o.birth, d)
			e.ngach = o.ngach
			s.plan(e, d)
			s.record(e, s.morning(d))
		}
	}
	// Agencies closing tonight hand their staff to their successors.
	for _, a := range p.agencies {
		if a.to != d || len(s.active[a.idx]) == 0 {
			continue
		}
		staff := append([]*employee(nil), s.active[a.idx]...)
		for _, e := range staff {
			reason := leaveTransfer
			switch {
			case e.class == classHD && s.r.IntN(2) == 0:
				reason = leaveResign
			case e.class != classHD && s.r.Float64() < 0.1:
				reason = leaveReduction // Decree 178/2024: the 2025 wave
			}
			s.leave(e, d, reason, s.successorFor(a, d+1))
		}
	}
	// Planned ends and promotions.
	for len(s.heap) > 0 && s.heap[0].day <= d {
		en := s.pop()
		e := en.e
		if !e.active || en.seq != e.heapSeq {
			continue
		}
		if e.nextPromo {
			s.promote(e)
			s.record(e, s.morning(d)+2*hour)
			s.plan(e, d)
			continue
		}
		var to int32 = -1
		if e.endReason == leaveTransfer {
			to = s.transferTarget(p.agencies[e.agency], d+1)
		}
		s.leave(e, d, e.endReason, to)
	}
	y, m, dd := civil(d)
	if dd == 1 {
		if m == 1 && emitting && d > s.g.fromDay {
			s.quotas(y, dayStart(cal.nextWork(d))+8*hour)
		}
		s.planHires(d)
	}
	// Hires of the day.
	if len(s.hires) > 0 {
		keep := s.hires[:0]
		var today []hireEv
		for _, h := range s.hires {
			if h.day == d {
				today = append(today, h)
			} else {
				keep = append(keep, h)
			}
		}
		s.hires = keep
		for _, h := range today {
			s.pendingH[h.agency][h.class]--
			if !p.agencies[h.agency].validOn(d) {
				continue
			}
			age := 23 + s.r.IntN(13)
			birth := d - int64(age)*365 - s.r.Int64N(365)
			e := s.newEmployee(h.agency, h.class, s.newPerson(), birth, d)
			s.plan(e, d)
			s.record(e, s.morning(d))
		}
	}
}

// leave ends e's record on day d; a transfer starts a new record at agency
// to the next day (or the next working day for an ordinary transfer).
func (s *staffer) leave(e *employee, d int64, reason int, to int32) {
	if reason == leaveTransfer && to < 0 {
		reason = leaveOther
	}
	e.end, e.reason = d, reason
	s.deactivate(e)
	s.record(e, s.afternoon(d))
	if reason == leaveTransfer {
		start := d + 1
		if a := s.g.p.agencies[e.agency]; a.to != d {
			start = s.g.cal.nextWork(d + 1)
		}
		s.starts = append(s.starts, startEv{day: start, agency: to, from: e})
	}
}

// successorFor is where a closing agency's staff go: its successor; a
// district's staff spread over its new communes and the departments.
func (s *staffer) successorFor(a *agency, day int64) int32 {
	p := s.g.p
	if a.Level == LevelDistrict {
		if s.r.IntN(7) == 0 {
			ds := p.valid(LevelDepartment, day)
			return ds[s.r.IntN(len(ds))].idx
		}
		var cands []*agency
		var tot float64
		for _, c := range p.agencies {
			if c.Level == LevelCommune && c.district == a.idx && c.validOn(day) {
				cands = append(cands, c)
				tot += c.weight
			}
		}
		x := s.r.Float64() * tot
		for _, c := range cands {
			if x < c.weight {
				return c.idx
			}
			x -= c.weight
		}
		return cands[len(cands)-1].idx
	}
	if a.succ < 0 {
		return -1
	}
	return p.current(a.succ, day)
}

// transferTarget picks an agency of the same kind valid on day.
func (s *staffer) transferTarget(a *agency, day int64) int32 {
	p := s.g.p
	var cands []*agency
	for _, c := range p.agencies {
		if c.idx == a.idx || !c.validOn(day) {
			continue
		}
		switch a.Level {
		case LevelCommune:
			// Within the district before 2025; anywhere after.
			if c.Level == LevelCommune && (a.from >= twoTierDay || c.district == a.district) {
				cands = append(cands, c)
			}
		case LevelDistrict:
			if c.Level == LevelDistrict || c.Level == LevelDepartment {
				cands = append(cands, c)
			}
		default:
			if c.Level == LevelDepartment || c.Level == LevelProvince {
				cands = append(cands, c)
			}
		}
	}
	if len(cands) == 0 {
		return -1
	}
	return cands[s.r.IntN(len(cands))].idx
}

// planHires schedules this month's hires toward each agency's target.
func (s *staffer) planHires(d int64) {
	y, m, _ := civil(d)
	monthEnd := dayNum(y, m+1, 1) - 1
	for _, a := range s.g.p.agencies {
		if !a.validOn(d) {
			continue
		}
		last := min(monthEnd, a.to)
		for c := range nClasses {
			deficit := s.target(a, y, c) - s.count[a.idx][c] - s.pendingH[a.idx][c]
			for range deficit {
				if s.r.Float64() >= 0.3 {
					continue
				}
				day := s.g.cal.nextWork(d + s.r.Int64N(last-d+1))
				if day > last {
					continue
				}
				s.hires = append(s.hires, hireEv{day: day, agency: a.idx, class: c})
				s.pendingH[a.idx][c]++
			}
		}
	}
}

type posDef struct {
	pos, ngach string
	weight     float64
}

var (
	posDeptCC = []posDef{
		{"Chuyên viên tổng hợp", "01.003", 30}, {"Chuyên viên quản lý chuyên ngành", "01.003", 30},
		{"Chuyên viên chính quản lý chuyên ngành", "01.002", 20}, {"Chuyên viên pháp chế", "01.003", 5},
		{"Kế toán", "06.031", 6}, {"Văn thư", "02.007", 5}, {"Thanh tra viên", "04.025", 4},
	}
	posDistrictCC = []posDef{
		{"Chuyên viên Phòng Tài nguyên và Môi trường", "01.003", 20}, {"Chuyên viên Phòng Tư pháp", "01.003", 10},
		{"Chuyên viên Văn phòng HĐND và UBND", "01.003", 15}, {"Chuyên viên Phòng Nội vụ", "01.003", 10},
		{"Chuyên viên Phòng Tài chính - Kế hoạch", "01.003", 15}, {"Chuyên viên Phòng Kinh tế - Hạ tầng", "01.003", 15},
		{"Chuyên viên chính", "01.002", 15},
	}
	posCommuneCC = []posDef{
		{"Công chức Tư pháp - Hộ tịch", "01.003", 20}, {"Công chức Địa chính - Xây dựng", "01.003", 25},
		{"Công chức Văn phòng - Thống kê", "01.003", 25}, {"Công chức Tài chính - Kế toán", "01.004", 15},
		{"Công chức Văn hóa - Xã hội", "01.004", 15},
	}
	posEduVC = []posDef{
		{"Giáo viên trung học phổ thông", "V.07.05.15", 30}, {"Giáo viên trung học cơ sở", "V.07.04.32", 30},
		{"Giáo viên tiểu học", "V.07.03.29", 25}, {"Giáo viên mầm non", "V.07.02.26", 15},
	}
	posHealthVC = []posDef{
		{"Bác sĩ", "V.08.01.03", 30}, {"Điều dưỡng", "V.08.05.13", 45}, {"Dược sĩ", "V.08.08.22", 10}, {"Kỹ thuật viên y", "V.08.07.18", 15},
	}
	posOtherVC = []posDef{
		{"Viên chức kỹ thuật", "V.05.02.07", 40}, {"Viên chức hành chính - tổng hợp", "01.003", 30},
		{"Kế toán viên", "06.031", 15}, {"Viên chức quản lý đất đai", "V.06.01.05", 15},
	}
	posHD = []posDef{{"Lái xe", "", 40}, {"Bảo vệ", "", 35}, {"Phục vụ", "", 25}}
)

func (s *staffer) position(ag int32, class int) (string, string) {
	a := s.g.p.agencies[ag]
	var set []posDef
	switch {
	case class == classHD:
		set = posHD
	case class == classCC && a.Level == LevelCommune:
		set = posCommuneCC
	case class == classCC && a.Level == LevelDistrict:
		set = posDistrictCC
	case class == classCC:
		set = posDeptCC
	case a.abbr == "SYT":
		set = posHealthVC
	case a.abbr == "SGDĐT" || a.Level == LevelDistrict || a.Level == LevelCommune:
		set = posEduVC
	default:
		set = posOtherVC
	}
	var tot float64
	for _, p := range set {
		tot += p.weight
	}
	x := s.r.Float64() * tot
	for _, p := range set {
		if x < p.weight {
			return p.pos, p.ngach
		}
		x -= p.weight
	}
	return set[0].pos, set[0].ngach
}

// promote moves e up a grade: the record is sent again in full.
func (s *staffer) promote(e *employee) {
	switch e.ngach {
	case "01.004":
		e.ngach = "01.003"
	case "01.003":
		e.ngach = "01.002"
		if e.pos == "Chuyên viên quản lý chuyên ngành" {
			e.pos = "Chuyên viên chính quản lý chuyên ngành"
		}
	case "01.002":
		if s.r.IntN(4) == 0 {
			e.ngach = "01.001"
		}
	default:
		// A public employee's grade (hạng): the code's last digits go down.
		if n := len(e.ngach); n > 2 && e.ngach[0] == 'V' {
			if v, err := strconv.Atoi(e.ngach[n-2:]); err == nil && v > 1 {
				e.ngach = e.ngach[:n-2] + string(appendN(nil, v-1, 2))
			}
		}
	}
}
