package dashboards

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
)

var staffClasses = []string{"CC", "VC", "HD"}

func addStaff(dst, src *StaffKPI) { dst.add(src) }

// staffing: headcount by class, quota use, reduction against the base-year
// quota with the target line, departures by reason (Sở Nội vụ).
func (s *Server) staffing(ctx context.Context, rq *request) (*page, error) {
	d, err := s.dims(ctx)
	if err != nil {
		return nil, err
	}
	cube, err := s.staffCube(ctx)
	if err != nil {
		return nil, err
	}
	plan := s.plan(ctx)
	l := rq.lang
	p := newPage(rq, "staffing", cube.months, false)
	m := p.Period.Month
	p.Notes = append(p.Notes, l.T("staffing.note"))
	if cube.view == "kpi_staffing_monthly_current" {
		p.Notes = append(p.Notes, l.T("staffing.restated"))
	}
	byClass := func(mm Month) map[string]*StaffKPI {
		return sumBy(cube, mm, func(_, c string) string { return c }, addStaff)
	}
	quotaClasses := func(mm Month) *StaffKPI {
		t := sumBy(cube, mm, func(_, c string) string {
			if c == "CC" || c == "VC" {
				return ""
			}
			return "\x00"
		}, addStaff)[""]
		if t == nil {
			t = &StaffKPI{}
		}
		return t
	}
	all := func(mm Month) *StaffKPI {
		t := sumBy(cube, mm, func(string, string) string { return "" }, addStaff)[""]
		if t == nil {
			t = &StaffKPI{}
		}
		return t
	}
	cls := func(mm Month, c string) *StaffKPI {
		if k := byClass(mm)[c]; k != nil {
			return k
		}
		return &StaffKPI{}
	}
	hasPrev := cube.has(m - 1)
	cur, prev := all(m), all(m-1)
	qc, qp := quotaClasses(m), quotaClasses(m-1)
	p.Cards = []card{
		countCard(l, "staff.headcount_end", cur.HeadcountEnd, prev.HeadcountEnd, hasPrev, down),
		countCard(l, "staff.CC", cls(m, "CC").HeadcountEnd, cls(m-1, "CC").HeadcountEnd, hasPrev, nil),
		countCard(l, "staff.VC", cls(m, "VC").HeadcountEnd, cls(m-1, "VC").HeadcountEnd, hasPrev, nil),
		rateCard(l, "staff.quota_use", qc.QuotaUse(), qp.QuotaUse(), hasPrev, nil),
		rateCard(l, "staff.headcount_reduction_vs_base", qc.HeadcountReductionVsBase(), qp.HeadcountReductionVsBase(), hasPrev, up),
		countCard(l, "staff.departures", cur.Departures, prev.Departures, hasPrev, nil),
		countCard(l, "staff.departures_tinh_gian", cur.DeparturesTinhGian, prev.DeparturesTinhGian, hasPrev, nil),
	}
	for i := range p.Cards[1:3] {
		p.Cards[1+i].Label = l.T("staff.headcount_end") + ": " + p.Cards[1+i].Label
	}

	// Trends: up to three years back, from the first month with data.
	n := 36
	if len(cube.months) > 0 {
		n = min(n, max(1, int(m-cube.months[0])+1))
	}
	months := window(m, n)
	labels := monthLabels(months)
	trend := func(f func(mm Month) *float64) []*float64 {
		out := make([]*float64, len(months))
		for i, mm := range months {
			if cube.has(mm) {
				out[i] = f(mm)
			}
		}
		return out
	}
	classColors := map[string]string{"CC": colorNeutral, "VC": "#26a69a", "HD": "#9e9e9e"}
	var headSeries []series
	for _, c := range staffClasses {
		headSeries = append(headSeries, series{Name: l.T("staff." + c), Line: true, Format: kInt, Color: classColors[c],
			Values: trend(func(mm Month) *float64 { return f64(cls(mm, c).HeadcountEnd) })})
	}
	// Quota use this month, per quota class.
	quotaUse := &chartSpec{ID: "quota", Title: l.T("staffing.quotaUse"), Categories: []string{l.T("staff.CC"), l.T("staff.VC")},
		Axes: []valueAxis{{Format: kInt}}}
	var hc, qt []*float64
	for _, c := range []string{"CC", "VC"} {
		k := cls(m, c)
		hc = append(hc, f64(k.HeadcountEnd))
		qt = append(qt, k.QuotaOrNil())
	}
	quotaUse.Series = []series{
		{Name: l.T("staff.headcount_end"), Format: kInt, Values: hc, Color: colorNeutral, Labels: true},
		{Name: l.T("staff.quota"), Format: kInt, Values: qt, Color: "#b0bec5", Labels: true},
	}
	// Reduction against the base year, with the targets.
	var redSeries []series
	for _, c := range []string{"CC", "VC"} {
		sr := series{Name: c + ": " + l.T("staff.red.headcount"), Line: true, Format: kPct, Color: classColors[c],
			Values: trend(func(mm Month) *float64 { return cls(mm, c).HeadcountReductionVsBase() })}
		// A target measured against the same base year goes on this chart.
		if t := plan.targetFor(c, m.Year()); t != nil && t.BaseYear == plan.BaseYear {
			sr.Target = &t.Reduction
			sr.TargetLabel = l.T("target") + " " + c + ": " + l.Pct(&t.Reduction)
			sr.TargetLabel += " (" + strconv.Itoa(t.ToYear) + ")"
			if c == "VC" {
				sr.TargetBelow = true
			}
		}
		redSeries = append(redSeries, sr,
			series{Name: c + ": " + l.T("staff.red.quota"), Line: true, Format: kPct, Color: classColors[c] + "99",
				Values: trend(func(mm Month) *float64 { return cls(mm, c).QuotaReductionVsBase() })})
	}
	// Departures by reason, last 12 months.
	dm := window(m, 12)
	dep := func(f func(k *StaffKPI) int64) []*float64 {
		out := make([]*float64, len(dm))
		for i, mm := range dm {
			if cube.has(mm) {
				out[i] = f64(f(all(mm)))
			}
		}
		return out
	}
	specs := []*chartSpec{
		{ID: "headcount", Title: l.T("staffing.trend"), Categories: labels, Series: headSeries},
		quotaUse,
		targetChart(l, plan, m.Year()),
		{ID: "reduction", Title: l.T("staffing.reduction") + " " + strconv.Itoa(plan.BaseYear), Categories: labels, Axes: []valueAxis{{Format: kPct}}, Series: redSeries},
		{ID: "departures", Title: l.T("staffing.departures"), Categories: monthLabels(dm), Series: []series{
			{Name: l.T("staff.departures_tinh_gian"), Stack: "dep", Format: kInt, Color: colorBad, Values: dep(func(k *StaffKPI) int64 { return k.DeparturesTinhGian })},
			{Name: l.T("staff.departures_nghi_huu"), Stack: "dep", Format: kInt, Color: colorNeutral, Values: dep(func(k *StaffKPI) int64 { return k.DeparturesNghiHuu })},
			{Name: l.T("staff.departures_thoi_viec"), Stack: "dep", Format: kInt, Color: colorWarn, Values: dep(func(k *StaffKPI) int64 { return k.DeparturesThoiViec })},
			{Name: l.T("staff.departures_other"), Stack: "dep", Format: kInt, Color: "#9e9e9e", Values: dep((*StaffKPI).DeparturesOther)},
		}},
	}
	for _, sp := range specs {
		sp.Height = 280
		if err := p.addChart(sp); err != nil {
			return nil, err
		}
	}

	t := &table{ID: "classes", Title: l.T("staffing.byClass"), Cols: []col{
		{l.T("staff.class"), kText}, {l.T("staff.headcount_end"), kInt}, {l.T("staff.hires"), kInt}, {l.T("staff.departures"), kInt},
		{l.T("staff.departures_tinh_gian"), kInt}, {l.T("staff.departures_nghi_huu"), kInt}, {l.T("staff.departures_thoi_viec"), kInt},
		{l.T("staff.quota"), kInt}, {l.T("staff.quota_use"), kPct}, {l.T("staff.quota_base"), kInt},
		{l.T("staff.quota_reduction_vs_base"), kPct}, {l.T("staff.headcount_reduction_vs_base"), kPct}, {l.T("staff.target"), kPct},
	}}
	for _, c := range staffClasses {
		k := cls(m, c)
		var target *float64
		if tg := plan.targetFor(c, m.Year()); tg != nil && tg.BaseYear == plan.BaseYear {
			target = &tg.Reduction
		}
		t.add(l, c+" · "+l.T("staff."+c), k.HeadcountEnd, k.Hires, k.Departures, k.DeparturesTinhGian, k.DeparturesNghiHuu, k.DeparturesThoiViec,
			k.QuotaOrNil(), k.QuotaUse(), k.QuotaBaseOrNil(), k.QuotaReductionVsBase(), k.HeadcountReductionVsBase(), target)
	}
	t.Foot = t.row(l, l.T("total"), cur.HeadcountEnd, cur.Hires, cur.Departures, cur.DeparturesTinhGian, cur.DeparturesNghiHuu, cur.DeparturesThoiViec,
		qc.QuotaOrNil(), qc.QuotaUse(), qc.QuotaBaseOrNil(), qc.QuotaReductionVsBase(), qc.HeadcountReductionVsBase(), nil)
	p.addTable(rq, t)
	p.addTable(rq, targetTable(l, plan, m.Year()))

	type ac struct{ agency, class string }
	byAgency := sumBy(cube, m, func(a, _ string) string { return a }, addStaff)
	byAC := map[ac]*StaffKPI{}
	for _, r := range cube.rows[m] {
		k := byAC[ac{r.agency, r.class}]
		if k == nil {
			k = &StaffKPI{}
			byAC[ac{r.agency, r.class}] = k
		}
		k.add(&r.k)
	}
	get := func(a, c string) *StaffKPI {
		if k := byAC[ac{a, c}]; k != nil {
			return k
		}
		return &StaffKPI{}
	}
	keys := sortedKeys(byAgency, func(a, b string) bool {
		if c := cmp.Compare(byAgency[b].HeadcountEnd, byAgency[a].HeadcountEnd); c != 0 {
			return c < 0
		}
		return a < b
	})
	at := &table{ID: "agencies", Title: l.T("staffing.byAgency"), Cols: []col{
		{l.T("agencies.agency"), kText}, {l.T("agencies.code"), kText}, {l.T("staff.CC"), kInt}, {l.T("staff.VC"), kInt}, {l.T("staff.HD"), kInt},
		{l.T("staff.quota") + " (CC+VC)", kInt}, {l.T("staff.quota_use"), kPct}, {l.T("staff.quota_base") + " (CC+VC)", kInt},
		{l.T("staff.headcount_reduction_vs_base"), kPct}, {l.T("staff.departures"), kInt}, {l.T("staff.departures_tinh_gian"), kInt},
	}}
	for _, a := range keys {
		q := &StaffKPI{}
		q.add(get(a, "CC"))
		q.add(get(a, "VC"))
		v := byAgency[a]
		at.add(l, d.agencyName(a), a, get(a, "CC").HeadcountEnd, get(a, "VC").HeadcountEnd, get(a, "HD").HeadcountEnd,
			q.QuotaOrNil(), q.QuotaUse(), q.QuotaBaseOrNil(), q.HeadcountReductionVsBase(), v.Departures, v.DeparturesTinhGian)
	}
	p.addTable(rq, at)
	return p, nil
}

// targetChart shows, per year of the targets in force, the cut of each
// class's assigned quota against the target's own base year, with the
// target as a line.
func targetChart(l Lang, plan *staffPlan, year int) *chartSpec {
	sp := &chartSpec{ID: "targets", Title: l.T("staffing.targets"), Axes: []valueAxis{{Format: kPct}}}
	years := map[int]bool{}
	var ts []*staffTarget
	for _, c := range []string{"CC", "VC"} {
		if t := plan.targetFor(c, year); t != nil {
			ts = append(ts, t)
			for y := t.FromYear; y <= min(t.ToYear, year); y++ {
				years[y] = true
			}
		}
	}
	var ys []int
	for y := range years {
		ys = append(ys, y)
	}
	slices.Sort(ys)
	for _, y := range ys {
		sp.Categories = append(sp.Categories, strconv.Itoa(y))
	}
	colors := map[string]string{"CC": colorNeutral, "VC": "#26a69a"}
	for i, t := range ts {
		s := series{Name: t.Class + " · " + t.Name + " (" + l.T("staffing.base") + " " + strconv.Itoa(t.BaseYear) + ")", Format: kPct, Color: colors[t.Class], Labels: true}
		for _, y := range ys {
			var v *float64
			if g := plan.progress(t, y); g != nil {
				v = g.Reduction()
			}
			s.Values = append(s.Values, v)
		}
		r := t.Reduction
		s.Target = &r
		s.TargetLabel = l.T("target") + " " + t.Class + ": " + l.Pct(&r) + " (" + strconv.Itoa(t.ToYear) + ")"
		s.TargetBelow = i == 1
		sp.Series = append(sp.Series, s)
	}
	return sp
}

// targetTable lists every target with its progress in year (or the last
// year of its period, when that is over).
func targetTable(l Lang, plan *staffPlan, year int) *table {
	t := &table{ID: "targets", Title: l.T("staffing.targets"), Cols: []col{
		{l.T("staff.target.name"), kText}, {l.T("staff.class"), kText}, {l.T("staffing.base"), kText}, {l.T("staff.target.period"), kText},
		{l.T("staff.target"), kPct}, {l.T("staff.target.year"), kText}, {l.T("staff.quota_base"), kInt}, {l.T("staff.quota"), kInt},
		{l.T("staff.quota_reduction_vs_base"), kPct}, {l.T("staff.target.status"), kText},
	}}
	for i := range plan.Targets {
		tg := &plan.Targets[i]
		y := min(max(year, tg.FromYear), tg.ToYear)
		g := plan.progress(tg, y)
		var base, quota, red any
		status := "–"
		if g != nil {
			base, quota = g.QuotaBase, g.QuotaWithBase
			if r := g.Reduction(); r != nil {
				red = r
				status = l.T("staff.target.notMet")
				if *r >= tg.Reduction-1e-9 {
					status = l.T("staff.target.met")
				}
			}
		}
		row := t.add(l, tg.Name, tg.Class, strconv.Itoa(tg.BaseYear), fmt.Sprintf("%d–%d", tg.FromYear, tg.ToYear), tg.Reduction,
			strconv.Itoa(y), base, quota, red, status)
		if status == l.T("staff.target.notMet") {
			row.Cells[9].Class = "bad"
		}
	}
	return t
}
