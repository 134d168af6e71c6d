package dashboards

import "context"

// overview: the month's headline figures with their change, and 12-month
// trends. Printed on A4 it is the one-page monthly report.
func (s *Server) overview(ctx context.Context, rq *request) (*page, error) {
	cube, err := s.onestop(ctx, rq.kind)
	if err != nil {
		return nil, err
	}
	l := rq.lang
	p := newPage(rq, "overview", cube.months, true)
	m := p.Period.Month
	cur, prev := cube.total(m), cube.total(m-1)
	hasPrev := cube.has(m - 1)
	p.Cards = []card{
		countCard(l, "received", cur.Received, prev.Received, hasPrev, nil),
		countCard(l, "resolved", cur.Resolved, prev.Resolved, hasPrev, nil),
		rateCard(l, "on_time_rate", cur.OnTimeRate(), prev.OnTimeRate(), hasPrev, up),
		countCard(l, "open_end", cur.OpenEnd, prev.OpenEnd, hasPrev, down),
		countCard(l, "open_overdue", cur.OpenOverdue, prev.OpenOverdue, hasPrev, down),
		rateCard(l, "apology_rate", cur.ApologyRate(), prev.ApologyRate(), hasPrev, up),
		rateCard(l, "online_share", cur.OnlineShare(), prev.OnlineShare(), hasPrev, up),
	}

	months := window(m, 12)
	labels := monthLabels(months)
	trend := func(f func(k *OnestopKPI) *float64) []*float64 {
		out := make([]*float64, len(months))
		for i, mm := range months {
			if cube.has(mm) {
				out[i] = f(cube.total(mm))
			}
		}
		return out
	}
	count := func(f func(k *OnestopKPI) int64) []*float64 {
		return trend(func(k *OnestopKPI) *float64 { return f64(f(k)) })
	}
	charts := []*chartSpec{
		{ID: "flow", Title: l.T("overview.flow"), Categories: labels,
			Axes: []valueAxis{{Format: kInt}, {Format: kPct, Max: 1}},
			Series: []series{
				{Name: l.T("received"), Format: kInt, Values: count(func(k *OnestopKPI) int64 { return k.Received }), Color: colorNeutral},
				{Name: l.T("resolved"), Format: kInt, Values: count(func(k *OnestopKPI) int64 { return k.Resolved }), Color: "#7fb3d5"},
				{Name: l.T("on_time_rate"), Line: true, Axis: 1, Format: kPct, Values: trend((*OnestopKPI).OnTimeRate), Color: colorGood},
			}},
		{ID: "backlog", Title: l.T("overview.backlog"), Categories: labels,
			Series: []series{
				{Name: l.T("open_within"), Format: kInt, Stack: "open", Values: count(func(k *OnestopKPI) int64 { return k.OpenWithin }), Color: "#7fb3d5"},
				{Name: l.T("open_paused"), Format: kInt, Stack: "open", Values: count(func(k *OnestopKPI) int64 { return k.OpenPaused }), Color: "#f2c14e"},
				{Name: l.T("open_overdue"), Format: kInt, Stack: "open", Values: count(func(k *OnestopKPI) int64 { return k.OpenOverdue }), Color: colorBad},
			}},
		{ID: "channels", Title: l.T("overview.channels"), Categories: labels,
			Series: []series{
				{Name: l.T("received_online"), Format: kInt, Stack: "ch", Values: count(func(k *OnestopKPI) int64 { return k.ReceivedOnline }), Color: colorNeutral},
				{Name: l.T("received_direct"), Format: kInt, Stack: "ch", Values: count(func(k *OnestopKPI) int64 { return k.ReceivedDirect }), Color: "#b0bec5"},
				{Name: l.T("received_postal"), Format: kInt, Stack: "ch", Values: count(func(k *OnestopKPI) int64 { return k.ReceivedPostal }), Color: "#f2c14e"},
			}},
		{ID: "rates", Title: l.T("overview.rates"), Categories: labels,
			Axes: []valueAxis{{Format: kPct, Max: 1}},
			Series: []series{
				{Name: l.T("on_time_rate"), Line: true, Format: kPct, Values: trend((*OnestopKPI).OnTimeRate), Color: colorGood},
				{Name: l.T("progress_rate_766"), Line: true, Format: kPct, Values: trend((*OnestopKPI).ProgressRate766), Color: "#26a69a"},
				{Name: l.T("online_share"), Line: true, Format: kPct, Values: trend((*OnestopKPI).OnlineShare), Color: colorNeutral},
				{Name: l.T("apology_rate"), Line: true, Format: kPct, Values: trend((*OnestopKPI).ApologyRate), Color: colorWarn},
			}},
	}
	for _, c := range charts {
		c.Height = 260
		if err := p.addChart(c); err != nil {
			return nil, err
		}
	}

	t := &table{ID: "trend", Title: l.T("overview.table"), Cols: []col{
		{l.T("period.month"), kMonth}, {l.T("received"), kInt}, {l.T("received_online"), kInt}, {l.T("received_postal"), kInt},
		{l.T("carried_over"), kInt}, {l.T("resolved"), kInt}, {l.T("resolved_early"), kInt}, {l.T("resolved_on_time"), kInt},
		{l.T("resolved_late"), kInt}, {l.T("on_time_rate"), kPct}, {l.T("open_end"), kInt}, {l.T("open_overdue"), kInt},
		{l.T("late_total"), kInt}, {l.T("late_apologized"), kInt}, {l.T("apology_rate"), kPct}, {l.T("online_share"), kPct},
		{l.T("progress_rate_766"), kPct}, {l.T("avg_processing_workdays"), kDec1},
	}}
	for i := len(months) - 1; i >= 0; i-- {
		mm := months[i]
		if !cube.has(mm) {
			continue
		}
		k := cube.total(mm)
		r := t.add(l, mm, k.Received, k.ReceivedOnline, k.ReceivedPostal, k.CarriedOver, k.Resolved, k.ResolvedEarly, k.ResolvedOnTime,
			k.ResolvedLate, k.OnTimeRate(), k.OpenEnd, k.OpenOverdue, k.LateTotal, k.LateApologized, k.ApologyRate(), k.OnlineShare(),
			k.ProgressRate766(), k.AvgProcessingWorkdays())
		if mm == m {
			r.Class = "current"
		}
	}
	p.addTable(rq, t)
	return p, nil
}
