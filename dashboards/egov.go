package dashboards

import (
	"cmp"
	"context"
)

// egovTarget is the national target for electronic exchange.
const egovTarget = 0.9

func addEgov(dst, src *EgovKPI) { dst.add(src) }

// egov: electronic-only and signed shares, completion time, overdue
// documents by agency. The view is by calendar month only.
func (s *Server) egov(ctx context.Context, rq *request) (*page, error) {
	d, err := s.dims(ctx)
	if err != nil {
		return nil, err
	}
	cube, err := s.egovCube(ctx)
	if err != nil {
		return nil, err
	}
	l := rq.lang
	p := newPage(rq, "egov", cube.months, false)
	m := p.Period.Month
	total := func(mm Month) *EgovKPI {
		t := sumBy(cube, mm, func(string, string) string { return "" }, addEgov)[""]
		if t == nil {
			t = &EgovKPI{}
		}
		return t
	}
	cur, prev := total(m), total(m-1)
	hasPrev := cube.has(m - 1)
	p.Cards = []card{
		countCard(l, "egov.sent", cur.Sent, prev.Sent, hasPrev, nil),
		rateCard(l, "egov.electronic_share", cur.ElectronicShare(), prev.ElectronicShare(), hasPrev, up),
		rateCard(l, "egov.signed_share", cur.SignedShare(), prev.SignedShare(), hasPrev, up),
		countCard(l, "egov.received", cur.Received, prev.Received, hasPrev, nil),
		countCard(l, "egov.completed", cur.Completed, prev.Completed, hasPrev, nil),
		decCard(l, "egov.avg_completion_workdays", cur.AvgCompletionWorkdays(), prev.AvgCompletionWorkdays(), hasPrev, down),
		countCard(l, "egov.open_overdue", cur.OpenOverdue, prev.OpenOverdue, hasPrev, down),
	}

	months := window(m, 12)
	labels := monthLabels(months)
	trend := func(f func(*EgovKPI) *float64) []*float64 {
		out := make([]*float64, len(months))
		for i, mm := range months {
			if cube.has(mm) {
				out[i] = f(total(mm))
			}
		}
		return out
	}
	target := egovTarget
	specs := []*chartSpec{
		{ID: "shares", Title: l.T("egov.shares"), Categories: labels, Axes: []valueAxis{{Format: kPct, Max: 1}}, Series: []series{
			{Name: l.T("egov.electronic_share"), Line: true, Format: kPct, Values: trend((*EgovKPI).ElectronicShare), Color: colorNeutral,
				Target: &target, TargetLabel: l.T("egov.target")},
			{Name: l.T("egov.signed_share"), Line: true, Format: kPct, Values: trend((*EgovKPI).SignedShare), Color: colorGood},
		}},
		{ID: "completion", Title: l.T("egov.completion"), Categories: labels, Axes: []valueAxis{{Format: kInt}, {Format: kDec1}}, Series: []series{
			{Name: l.T("egov.open_overdue"), Format: kInt, Values: trend(func(k *EgovKPI) *float64 { return f64(k.OpenOverdue) }), Color: colorBad},
			{Name: l.T("egov.avg_completion_workdays"), Line: true, Axis: 1, Format: kDec1, Values: trend((*EgovKPI).AvgCompletionWorkdays), Color: colorNeutral},
		}},
	}
	by := sumBy(cube, m, func(a, _ string) string { return a }, addEgov)
	keys := sortedKeys(by, func(a, b string) bool {
		if c := cmp.Compare(by[b].OpenOverdue, by[a].OpenOverdue); c != 0 {
			return c < 0
		}
		if c := cmp.Compare(by[b].Sent, by[a].Sent); c != 0 {
			return c < 0
		}
		return a < b
	})
	top := &chartSpec{ID: "overdue", Title: l.T("egov.byAgency"), Horizontal: true}
	s1 := series{Name: l.T("egov.open_overdue"), Format: kInt, Color: colorBad, Labels: true}
	for _, a := range keys {
		if len(top.Categories) == 15 || by[a].OpenOverdue == 0 {
			break
		}
		top.Categories = append(top.Categories, d.agencyName(a))
		s1.Values = append(s1.Values, f64(by[a].OpenOverdue))
	}
	top.Series = []series{s1}
	top.Height = max(220, 80+24*len(top.Categories))
	specs = append(specs, top)
	for _, sp := range specs {
		if sp.Height == 0 {
			sp.Height = 280
		}
		if err := p.addChart(sp); err != nil {
			return nil, err
		}
	}

	t := &table{ID: "agencies", Title: l.T("egov.table"), Cols: []col{
		{l.T("agencies.agency"), kText}, {l.T("agencies.code"), kText}, {l.T("egov.sent"), kInt}, {l.T("egov.sent_electronic_only"), kInt},
		{l.T("egov.electronic_share"), kPct}, {l.T("egov.sent_signed"), kInt}, {l.T("egov.signed_share"), kPct},
		{l.T("egov.received"), kInt}, {l.T("egov.completed"), kInt}, {l.T("egov.avg_completion_workdays"), kDec1}, {l.T("egov.open_overdue"), kInt},
	}}
	for _, a := range keys {
		v := by[a]
		r := t.add(l, d.agencyName(a), a, v.Sent, v.SentElectronicOnly, v.ElectronicShare(), v.SentSigned, v.SignedShare(), v.Received,
			v.Completed, v.AvgCompletionWorkdays(), v.OpenOverdue)
		if es := v.ElectronicShare(); es != nil && *es < egovTarget {
			r.Cells[4].Class = "bad"
		}
	}
	t.Foot = t.row(l, l.T("total"), "", cur.Sent, cur.SentElectronicOnly, cur.ElectronicShare(), cur.SentSigned, cur.SignedShare(),
		cur.Received, cur.Completed, cur.AvgCompletionWorkdays(), cur.OpenOverdue)
	p.addTable(rq, t)
	return p, nil
}
