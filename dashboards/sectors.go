package dashboards

import (
	"cmp"
	"context"
)

// Series colours of the backlog split, and their darker twins marking TN&MT.
var (
	backlogColors   = [3]string{"#7fb3d5", "#f2c14e", "#e57373"}
	backlogHiColors = [3]string{"#1f4e79", "#9a7400", colorHighlight}
)

// sectors: backlog and late rate by sector group (TN&MT highlighted), a
// group's sectors (?group=), a sector's agencies (?group=&sector=).
func (s *Server) sectors(ctx context.Context, rq *request) (*page, error) {
	d, err := s.dims(ctx)
	if err != nil {
		return nil, err
	}
	cube, err := s.onestop(ctx, rq.kind)
	if err != nil {
		return nil, err
	}
	l := rq.lang
	p := newPage(rq, "sectors", cube.months, true)
	m := p.Period.Month
	group, sector := rq.query.Get("group"), rq.query.Get("sector")
	if sector != "" && group == "" {
		group = d.sectors[sector].Group
	}
	p.Crumbs = []link{{Label: l.T("sectors.groups"), URL: rq.link("/sectors", "group", "", "sector", "")}}
	if group != "" {
		p.Crumbs = append(p.Crumbs, link{Label: group + " · " + d.groupName(group), URL: rq.link("/sectors", "group", group, "sector", "")})
	}
	if sector != "" {
		p.Crumbs = append(p.Crumbs, link{Label: d.sectorName(sector), URL: rq.link("/sectors", "group", group, "sector", sector)})
	}
	p.Crumbs[len(p.Crumbs)-1].Current = true
	p.Notes = append(p.Notes, l.T("sectors.tnmt"))

	// The level shown: groups, a group's sectors, or a sector's agencies.
	var (
		by      map[string]*OnestopKPI
		name    func(string) string
		linkTo  func(string) string
		hi      func(string) bool
		keyHead string
	)
	switch {
	case group == "":
		by = cube.by(m, func(r *onestopRow) string { return r.group }, nil)
		name = func(g string) string { return g + " · " + d.groupName(g) }
		linkTo = func(g string) string { return rq.link("/sectors", "group", g, "sector", "") }
		hi = func(g string) bool { return g == tnmtGroup }
		keyHead = l.T("sectors.group")
	case sector == "":
		by = cube.by(m, func(r *onestopRow) string { return r.sector }, func(r *onestopRow) bool { return r.group == group })
		name = func(sc string) string { return d.sectorName(sc) }
		linkTo = func(sc string) string { return rq.link("/sectors", "group", group, "sector", sc) }
		hi = func(string) bool { return false } // TN&MT stands out among groups
		keyHead = l.T("sectors.sector")
	default:
		by = cube.by(m, func(r *onestopRow) string { return r.agency }, func(r *onestopRow) bool { return r.sector == sector })
		name = func(a string) string { return d.agencyName(a) }
		linkTo = func(a string) string {
			return rq.link("/agencies", "level", d.agencyLevel(a), "group", "", "sector", "", "parent", "")
		}
		hi = func(string) bool { return false }
		keyHead = l.T("agencies.agency")
	}
	keys := sortedKeys(by, func(a, b string) bool {
		if c := cmp.Compare(by[b].OpenEnd, by[a].OpenEnd); c != 0 {
			return c < 0
		}
		return a < b
	})
	if err := sectorCharts(p, l, keys, by, name, linkTo, hi); err != nil {
		return nil, err
	}

	t := &table{ID: "breakdown", Title: l.T("sectors.title"), Cols: []col{
		{l.T("code"), kText}, {keyHead, kText}, {l.T("received"), kInt}, {l.T("resolved"), kInt}, {l.T("resolved_late"), kInt},
		{l.T("late_rate"), kPct}, {l.T("open_end"), kInt}, {l.T("open_overdue"), kInt}, {l.T("open_paused"), kInt},
		{l.T("on_time_rate"), kPct}, {l.T("apology_rate"), kPct}, {l.T("avg_processing_workdays"), kDec1},
	}}
	total := &OnestopKPI{}
	for _, k := range keys {
		v := by[k]
		total.add(v)
		r := t.add(l, k, name(k), v.Received, v.Resolved, v.ResolvedLate, v.LateRate(), v.OpenEnd, v.OpenOverdue, v.OpenPaused,
			v.OnTimeRate(), v.ApologyRate(), v.AvgProcessingWorkdays())
		r.Cells[1].Link = linkTo(k)
		if hi(k) && group == "" {
			r.Class = "highlight"
		}
	}
	t.Foot = t.row(l, "", l.T("all"), total.Received, total.Resolved, total.ResolvedLate, total.LateRate(), total.OpenEnd, total.OpenOverdue,
		total.OpenPaused, total.OnTimeRate(), total.ApologyRate(), total.AvgProcessingWorkdays())
	p.addTable(rq, t)

	// Below a group: the agencies handling the group's dossiers.
	if group != "" && sector == "" {
		ag := cube.by(m, func(r *onestopRow) string { return r.agency }, func(r *onestopRow) bool { return r.group == group })
		at := agencyTable(l, d, "agencies", l.T("sectors.agencies")+" · "+group+" "+d.groupName(group), ag, nil)
		p.addTable(rq, at)
	}
	return p, nil
}

// sectorCharts draws the backlog split and the late rate of the keys (the
// 20 with the largest backlog), highlighted ones in dark colours.
func sectorCharts(p *page, l Lang, keys []string, by map[string]*OnestopKPI, name func(string) string, linkTo func(string) string, hi func(string) bool) error {
	if len(keys) > 20 {
		keys = keys[:20]
	}
	cats := make([]string, len(keys))
	links := make([]string, len(keys))
	var within, paused, overdue, late []*float64
	colors := [4][]string{}
	for i, k := range keys {
		v := by[k]
		cats[i] = name(k)
		links[i] = linkTo(k)
		within = append(within, f64(v.OpenWithin))
		paused = append(paused, f64(v.OpenPaused))
		overdue = append(overdue, f64(v.OpenOverdue))
		late = append(late, v.LateRate())
		for j := range colors {
			c := ""
			if hi(k) {
				if j < 3 {
					c = backlogHiColors[j]
				} else {
					c = colorHighlight
				}
			}
			colors[j] = append(colors[j], c)
		}
	}
	height := 80 + 26*len(keys)
	err := p.addChart(&chartSpec{ID: "backlog", Title: l.T("sectors.backlog"), Categories: cats, Horizontal: true, Links: links, Height: max(height, 220),
		Series: []series{
			{Name: l.T("open_within"), Format: kInt, Stack: "open", Values: within, Color: backlogColors[0], Colors: colors[0]},
			{Name: l.T("open_paused"), Format: kInt, Stack: "open", Values: paused, Color: backlogColors[1], Colors: colors[1]},
			{Name: l.T("open_overdue"), Format: kInt, Stack: "open", Values: overdue, Color: backlogColors[2], Colors: colors[2]},
		}, Note: l.T("sectors.drill")})
	if err != nil {
		return err
	}
	return p.addChart(&chartSpec{ID: "late", Title: l.T("sectors.late"), Categories: cats, Horizontal: true, Links: links, Height: max(height, 220),
		Axes:   []valueAxis{{Format: kPct}},
		Series: []series{{Name: l.T("late_rate"), Format: kPct, Values: late, Color: colorWarn, Colors: colors[3], Labels: true}}})
}

// agencyTable ranks agencies by late rate, then overdue backlog.
func agencyTable(l Lang, d *dimensions, id, title string, by map[string]*OnestopKPI, rowLink func(string) string) *table {
	keys := rankAgencies(by)
	t := &table{ID: id, Title: title, Cols: []col{
		{l.T("agencies.rank"), kInt}, {l.T("agencies.agency"), kText}, {l.T("agencies.code"), kText}, {l.T("agencies.level"), kText},
		{l.T("resolved"), kInt}, {l.T("resolved_late"), kInt}, {l.T("late_rate"), kPct}, {l.T("open_end"), kInt},
		{l.T("open_overdue"), kInt}, {l.T("late_total"), kInt}, {l.T("late_apologized"), kInt}, {l.T("agencies.apology"), kPct},
		{l.T("on_time_rate"), kPct},
	}}
	total := &OnestopKPI{}
	for i, a := range keys {
		v := by[a]
		total.add(v)
		r := t.add(l, int64(i+1), d.agencyName(a), a, l.T("level."+d.agencyLevel(a)), v.Resolved, v.ResolvedLate, v.LateRate(), v.OpenEnd,
			v.OpenOverdue, v.LateTotal, v.LateApologized, v.ApologyRate(), v.OnTimeRate())
		if rowLink != nil {
			r.Cells[1].Link = rowLink(a)
		}
		if lr := v.LateRate(); lr != nil && *lr >= 0.2 {
			r.Cells[6].Class = "bad"
		}
	}
	t.Foot = t.row(l, "", l.T("all"), "", "", total.Resolved, total.ResolvedLate, total.LateRate(), total.OpenEnd, total.OpenOverdue,
		total.LateTotal, total.LateApologized, total.ApologyRate(), total.OnTimeRate())
	return t
}

// rankAgencies orders by late rate (highest first, none last), then
// overdue backlog, then code.
func rankAgencies(by map[string]*OnestopKPI) []string {
	return sortedKeys(by, func(a, b string) bool {
		la, lb := by[a].LateRate(), by[b].LateRate()
		switch {
		case la != nil && lb == nil:
			return true
		case la == nil && lb != nil:
			return false
		case la != nil && lb != nil && *la != *lb:
			return *la > *lb
		}
		if by[a].OpenOverdue != by[b].OpenOverdue {
			return by[a].OpenOverdue > by[b].OpenOverdue
		}
		return a < b
	})
}
