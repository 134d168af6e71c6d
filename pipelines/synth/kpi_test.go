package synth

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// dossierState is the current state of a dossier: its last snapshot
// (snapshots come in time order and never go backwards).
type dossierState struct {
	sector, agency  string
	channel, status string
	received, due   time.Time
	end             time.Time
	supplements     []time.Time // NgayBoSung
	suppReceived    []time.Time
	apologies       []time.Time
	apologyPrevDue  time.Time
}

func parseTS(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.ParseInLocation("20060102150405", s, local)
	if err != nil {
		panic(err)
	}
	return t
}

func states(t testing.TB, msgs []Message) map[string]*dossierState {
	out := map[string]*dossierState{}
	for _, m := range byTopic(msgs, DefaultDossiers) {
		objs, _, env := items(t, m.Value)
		for _, o := range objs {
			s := &dossierState{}
			str := func(k string) string { v, _ := scalar(o[k]); return v }
			s.sector, s.agency, s.channel, s.status = str("MaLinhVuc"), str("MaDonVi"), str("KenhThucHien"), str("TrangThaiHoSo")
			if s.agency == "" {
				s.agency = env
			}
			if s.agency == "" {
				s.agency = str("MaHoSo")[:13]
			}
			s.received, s.due = parseTS(str("NgayTiepNhan")), parseTS(str("NgayHenTra"))
			if st := s.status; st == "7" || st == "8" || st == "9" || st == "10" {
				switch {
				case str("NgayKetThucXuLy") != "":
					s.end = parseTS(str("NgayKetThucXuLy"))
				case str("NgayTra") != "":
					s.end = parseTS(str("NgayTra"))
				default:
					s.end = m.Time
				}
			}
			if l, ok := o["DanhSachHoSoBoSung"].([]any); ok {
				for _, x := range l {
					sp := x.(map[string]any)
					a, _ := scalar(sp["NgayBoSung"])
					b, _ := scalar(sp["NgayTiepNhanBoSung"])
					s.supplements = append(s.supplements, parseTS(a))
					s.suppReceived = append(s.suppReceived, parseTS(b))
				}
			}
			if l, ok := o["DanhSachXinLoi"].([]any); ok {
				for _, x := range l {
					ap := x.(map[string]any)
					a, _ := scalar(ap["NgayXinLoi"])
					p, _ := scalar(ap["NgayHenTraTruoc"])
					s.apologies = append(s.apologies, parseTS(a))
					s.apologyPrevDue = parseTS(p)
				}
			}
			out[str("MaHoSo")] = s
		}
	}
	return out
}

// kpi is a few indicators of contract 4.1 for a group of dossiers.
type kpi struct {
	received, online, resolved, onTime, openEnd, openOverdue int
	late, lateApologized                                     int
	workdays                                                 float64
}

func (k kpi) String() string {
	r := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	return fmt.Sprintf("received %d online %.2f resolved %d on-time %.2f open %d overdue %d apology %.2f avg %.1f wd",
		k.received, r(k.online, k.received), k.resolved, r(k.onTime, k.resolved), k.openEnd, k.openOverdue,
		r(k.lateApologized, k.late), k.workdays/float64(max(1, k.resolved)))
}

func computeKPIs(states map[string]*dossierState, from, to time.Time, group func(*dossierState) string) map[string]*kpi {
	cal := newCalendar(dayNum(2010, 1, 1), dayNum(2030, 1, 1))
	day := func(t time.Time) int64 { return dayOf(t.Unix()) }
	out := map[string]*kpi{}
	for _, s := range states {
		if s.received.IsZero() || s.status == "1" || s.status == "3" {
			continue
		}
		k := out[group(s)]
		if k == nil {
			k = &kpi{}
			out[group(s)] = k
		}
		all := out["all"]
		if all == nil {
			all = &kpi{}
			out["all"] = all
		}
		for _, k := range []*kpi{k, all} {
			if !s.received.Before(from) && s.received.Before(to) {
				k.received++
				if s.channel == "2" {
					k.online++
				}
			}
			due := s.due
			if !s.apologyPrevDue.IsZero() {
				due = s.apologyPrevDue
			}
			apologized := false
			for _, a := range s.apologies {
				apologized = apologized || a.Before(to)
			}
			ended := !s.end.IsZero() && s.end.Before(to)
			if ended && !s.end.Before(from) {
				k.resolved++
				late := len(s.supplements) >= 2 || s.end.After(due)
				if !late {
					k.onTime++
				} else {
					k.late++
					if apologized {
						k.lateApologized++
					}
				}
				k.workdays += float64(cal.cum[day(s.end)-cal.lo] - cal.cum[day(s.received)-cal.lo])
			}
			if s.received.Before(to) && !ended {
				k.openEnd++
				paused := false
				n := 0
				for i, q := range s.supplements {
					if q.Before(to) {
						n++
						if r := s.suppReceived[i]; r.IsZero() || !r.Before(to) {
							paused = true
						}
					}
				}
				if !paused && (due.Before(to) || n >= 2) {
					k.openOverdue++
					k.late++
					if apologized {
						k.lateApologized++
					}
				}
			}
		}
	}
	return out
}

func sectorGroup(s *dossierState) string {
	switch {
	case s.sector == "G13-TN02":
		return "land"
	case strings.HasPrefix(s.sector, "G13"):
		return "tnmt-other"
	}
	return "other"
}

// TestKPIsLookReal checks the shapes the demo is meant to show.
func TestKPIsLookReal(t *testing.T) {
	if testing.Short() {
		t.Skip("a year of data")
	}
	type year struct {
		y      int
		online [2]float64
	}
	onTime := map[int]float64{}
	for _, yc := range []year{{2019, [2]float64{0.05, 0.2}}, {2024, [2]float64{0.4, 0.65}}} {
		msgs := collect(t, Config{Seed: 5, From: month(yc.y, 1), To: month(yc.y, 12), Scale: 0.02})
		st := states(t, msgs)
		from, to := time.Date(yc.y, 1, 1, 0, 0, 0, 0, local), time.Date(yc.y+1, 1, 1, 0, 0, 0, 0, local)
		k := computeKPIs(st, from, to, sectorGroup)
		var names []string
		for n := range k {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			t.Logf("%d %-10s %v", yc.y, n, k[n])
		}
		all, land, other := k["all"], k["land"], k["other"]
		rate := func(a, b int) float64 { return float64(a) / float64(max(b, 1)) }
		onTime[yc.y] = rate(all.onTime, all.resolved)
		if r := onTime[yc.y]; r < 0.8 || r > 0.95 {
			t.Errorf("%d: on-time rate %.2f, want 0.80..0.95", yc.y, r)
		}
		if rate(land.onTime, land.resolved) >= rate(other.onTime, other.resolved)-0.1 {
			t.Errorf("%d: land is not clearly slower: %v vs %v", yc.y, land, other)
		}
		if land.workdays/float64(land.resolved) <= other.workdays/float64(other.resolved) {
			t.Errorf("%d: land is not slower on average", yc.y)
		}
		if rate(land.openOverdue, land.openEnd) <= rate(other.openOverdue, other.openEnd) {
			t.Errorf("%d: land backlog %v not worse than other %v", yc.y, land, other)
		}
		if r := rate(all.lateApologized, all.late); r < 0.25 || r > 0.65 {
			t.Errorf("%d: apology rate %.2f, want 0.25..0.65", yc.y, r)
		}
		if r := rate(all.online, all.received); r < yc.online[0] || r > yc.online[1] {
			t.Errorf("%d: online share %.2f, want %.2f..%.2f", yc.y, r, yc.online[0], yc.online[1])
		}
		if n := all.received; n < 4500 || n > 7500 {
			t.Errorf("%d: %d dossiers received at scale 0.02, want about 6000", yc.y, n)
		}
	}
	if onTime[2024] <= onTime[2019] {
		t.Errorf("on-time rate did not improve: 2019 %.2f, 2024 %.2f", onTime[2019], onTime[2024])
	}
}

// TestTetSeasonality: receptions dip in the weeks around Tết.
func TestTetSeasonality(t *testing.T) {
	msgs := collect(t, Config{Seed: 9, From: month(2024, 1), To: month(2024, 3), Scale: 0.05})
	perWeek := map[int]int{}
	for _, s := range states(t, msgs) {
		if !s.received.IsZero() {
			perWeek[int(s.received.Sub(time.Date(2024, 2, 10, 0, 0, 0, 0, local)).Hours()/24/7+10)-10]++
		}
	}
	before, tet := perWeek[-3]+perWeek[-4], perWeek[0]+perWeek[-1]
	t.Logf("receptions by week around Tết 2024: %v", perWeek)
	if tet*2 > before {
		t.Errorf("Tết weeks %d vs %d three weeks before: no dip", tet, before)
	}
}
