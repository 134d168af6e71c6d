package dashboards

import (
	"cmp"
	"context"
	"slices"
)

var levels = []string{"province", "department", "district", "commune"}

// agencies: a ranking of agencies by late rate and overdue backlog, with
// apology compliance, per level (?level=province|department|district|
// commune; ?parent= narrows to one district's communes). The province
// level compares the levels themselves.
func (s *Server) agencies(ctx context.Context, rq *request) (*page, error) {
	d, err := s.dims(ctx)
	if err != nil {
		return nil, err
	}
	cube, err := s.onestop(ctx, rq.kind)
	if err != nil {
		return nil, err
	}
	l := rq.lang
	p := newPage(rq, "agencies", cube.months, true)
	m := p.Period.Month
	level := rq.query.Get("level")
	if level == "" {
		level = "province"
	}
	parent := rq.query.Get("parent")
	for _, lv := range levels {
		p.Tabs = append(p.Tabs, link{Label: l.T("level." + lv), URL: rq.link("/agencies", "level", lv, "parent", ""), Current: lv == level})
	}

	if level == "province" {
		by := cube.by(m, func(r *onestopRow) string { return d.agencyLevel(r.agency) }, nil)
		order := []string{"province", "department", "district", "commune", "other"}
		var keys, cats, links []string
		for _, lv := range order {
			if _, ok := by[lv]; ok {
				keys = append(keys, lv)
				label := l.T("level." + lv)
				if lv == "province" {
					label = l.T("level.province.own")
				}
				cats = append(cats, label)
				if lv == "other" || lv == "province" {
					links = append(links, "")
				} else {
					links = append(links, rq.link("/agencies", "level", lv, "parent", ""))
				}
			}
		}
		if err := rankingCharts(p, l, keys, cats, links, by); err != nil {
			return nil, err
		}
		t := &table{ID: "levels", Title: l.T("agencies.byLevel"), Cols: []col{
			{l.T("agencies.level"), kText}, {l.T("received"), kInt}, {l.T("resolved"), kInt}, {l.T("resolved_late"), kInt},
			{l.T("late_rate"), kPct}, {l.T("open_end"), kInt}, {l.T("open_overdue"), kInt}, {l.T("late_total"), kInt},
			{l.T("late_apologized"), kInt}, {l.T("agencies.apology"), kPct}, {l.T("on_time_rate"), kPct}, {l.T("online_share"), kPct},
		}}
		total := &OnestopKPI{}
		for i, k := range keys {
			v := by[k]
			total.add(v)
			r := t.add(l, cats[i], v.Received, v.Resolved, v.ResolvedLate, v.LateRate(), v.OpenEnd, v.OpenOverdue, v.LateTotal,
				v.LateApologized, v.ApologyRate(), v.OnTimeRate(), v.OnlineShare())
			r.Cells[0].Link = links[i]
		}
		t.Foot = t.row(l, l.T("total"), total.Received, total.Resolved, total.ResolvedLate, total.LateRate(), total.OpenEnd, total.OpenOverdue,
			total.LateTotal, total.LateApologized, total.ApologyRate(), total.OnTimeRate(), total.OnlineShare())
		p.addTable(rq, t)
		return p, nil
	}

	by := cube.by(m, func(r *onestopRow) string { return r.agency }, func(r *onestopRow) bool {
		if d.agencyLevel(r.agency) != level {
			return false
		}
		return parent == "" || d.agencies[r.agency].Parent == parent
	})
	if parent != "" {
		p.Crumbs = []link{
			{Label: l.T("level.district"), URL: rq.link("/agencies", "level", "district", "parent", "")},
			{Label: l.T("level."+level) + " " + l.T("agencies.of") + " " + d.agencyName(parent), Current: true},
		}
	}
	keys := rankAgencies(by)
	cats := make([]string, len(keys))
	links := make([]string, len(keys))
	var rowLink func(string) string
	if level == "district" {
		rowLink = func(a string) string { return rq.link("/agencies", "level", "commune", "parent", a) }
	}
	for i, a := range keys {
		cats[i] = d.agencyName(a)
		if rowLink != nil {
			links[i] = rowLink(a)
		}
	}
	if rowLink == nil {
		links = nil
	}
	if err := rankingCharts(p, l, keys, cats, links, by); err != nil {
		return nil, err
	}
	p.addTable(rq, agencyTable(l, d, "ranking", l.T("agencies.title")+" · "+l.T("level."+level), by, rowLink))
	return p, nil
}

// rankingCharts draws the top 15 by late rate, by overdue backlog, and the
// apology rate of the 15 with most late dossiers.
func rankingCharts(p *page, l Lang, keys, cats, links []string, by map[string]*OnestopKPI) error {
	type item struct {
		key, cat, link string
	}
	items := make([]item, len(keys))
	for i := range keys {
		items[i] = item{keys[i], cats[i], ""}
		if links != nil {
			items[i].link = links[i]
		}
	}
	top := func(less func(a, b item) int, keep func(*OnestopKPI) bool) []item {
		var out []item
		for _, it := range items {
			if keep(by[it.key]) {
				out = append(out, it)
			}
		}
		slices.SortStableFunc(out, less)
		if len(out) > 15 {
			out = out[:15]
		}
		return out
	}
	spec := func(id, title, format string, its []item, val func(*OnestopKPI) *float64, color string) *chartSpec {
		sp := &chartSpec{ID: id, Title: title, Horizontal: true, Height: max(220, 80+24*len(its)), Axes: []valueAxis{{Format: format}}}
		s := series{Name: title, Format: format, Color: color, Labels: true}
		hasLinks := false
		for _, it := range its {
			sp.Categories = append(sp.Categories, it.cat)
			sp.Links = append(sp.Links, it.link)
			hasLinks = hasLinks || it.link != ""
			s.Values = append(s.Values, val(by[it.key]))
		}
		if !hasLinks {
			sp.Links = nil
		}
		sp.Series = []series{s}
		return sp
	}
	lateTop := top(func(a, b item) int {
		la, lb := by[a.key].LateRate(), by[b.key].LateRate()
		return cmp.Compare(*lb, *la)
	}, func(k *OnestopKPI) bool { return k.LateRate() != nil })
	overdueTop := top(func(a, b item) int { return cmp.Compare(by[b.key].OpenOverdue, by[a.key].OpenOverdue) },
		func(k *OnestopKPI) bool { return k.OpenOverdue > 0 })
	apologyTop := top(func(a, b item) int { return cmp.Compare(by[b.key].LateTotal, by[a.key].LateTotal) },
		func(k *OnestopKPI) bool { return k.LateTotal > 0 })
	for _, sp := range []*chartSpec{
		spec("late", l.T("agencies.topLate"), kPct, lateTop, (*OnestopKPI).LateRate, colorWarn),
		spec("overdue", l.T("agencies.topOverdue"), kInt, overdueTop, func(k *OnestopKPI) *float64 { return f64(k.OpenOverdue) }, colorBad),
		spec("apology", l.T("agencies.topApology"), kPct, apologyTop, (*OnestopKPI).ApologyRate, colorGood),
	} {
		if err := p.addChart(sp); err != nil {
			return err
		}
	}
	return nil
}
