package dashboards

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// page is what a page template renders.
type page struct {
	Lang        Lang
	Name, Title string
	Period      Period
	PeriodLabel string
	// PrevLabel says what the cards' changes compare with.
	PrevLabel string
	Months    []option
	Kinds     []option
	Hidden    []option // the page's own parameters, kept by the month picker
	Nav       []link
	Langs     []link
	Notice    string
	Cards     []card
	Charts    map[string]*chart
	Tables    map[string]*table
	Crumbs    []link
	Tabs      []link
	Notes     []string
	Generated string
	Province  string
}

type option struct {
	Value, Label string
	Selected     bool
}

type link struct {
	Label, URL string
	Current    bool
	Class      string
}

// card is one headline figure with its change from the previous period.
type card struct {
	Key, Label, Value string
	Delta             string
	Class             string // good, bad or flat: how the change reads
}

func (p *page) Chart(id string) *chart { return p.Charts[id] }
func (p *page) Table(id string) *table { return p.Tables[id] }

// T translates for the template.
func (p *page) T(key string) string { return p.Lang.T(key) }

// newPage starts a page over the months that have data, choosing the month
// to show: the one asked for, else the latest with data.
func newPage(rq *request, name string, months []Month, kindsApply bool) *page {
	l := rq.lang
	p := &page{Lang: l, Name: name, Charts: map[string]*chart{}, Tables: map[string]*table{},
		Generated: time.Now().In(local).Format("02/01/2006 15:04"), Province: l.T("app.title")}
	p.Title = l.T(name + ".title")
	kind := rq.kind
	if !kindsApply && kind == KindReport {
		kind = KindMonth
	}
	switch {
	case rq.hasMonth:
		p.Period = Period{rq.month, kind}
		if !slices.Contains(months, rq.month) {
			p.Notice = l.T("nodata")
		}
	case len(months) > 0:
		p.Period = Period{months[len(months)-1], kind}
	default:
		now := time.Now().In(local)
		p.Period = Period{Month(now.Year()*12 + int(now.Month()) - 1), kind}
		p.Notice = l.T("nodata.lake")
	}
	if !kindsApply && rq.kind == KindReport {
		p.Notes = append(p.Notes, l.T("calendar.only")+" "+p.Period.Month.Label()+".")
	}
	p.PeriodLabel = p.Period.Label(l)
	p.PrevLabel = l.T("prev.month")
	if p.Period.Kind == KindReport {
		p.PrevLabel = l.T("prev.period")
	}
	seen := false
	for i := len(months) - 1; i >= 0; i-- {
		m := months[i]
		sel := m == p.Period.Month
		seen = seen || sel
		p.Months = append(p.Months, option{m.String(), m.Label(), sel})
	}
	if !seen {
		p.Months = append([]option{{p.Period.Month.String(), p.Period.Month.Label(), true}}, p.Months...)
	}
	p.Kinds = []option{
		{string(KindMonth), l.T("picker.kind.month"), rq.kind != KindReport},
		{string(KindReport), l.T("picker.kind.report"), rq.kind == KindReport},
	}
	for _, pg := range pageOrder {
		p.Nav = append(p.Nav, link{Label: l.T(pg.key), URL: rq.navLink(pg.path), Current: pg.name == name})
	}
	p.Langs = []link{
		{Label: "Tiếng Việt", URL: rq.link(pagePath(name), "lang", "vi"), Current: l == LangVI},
		{Label: "English", URL: rq.link(pagePath(name), "lang", "en"), Current: l == LangEN},
	}
	for _, k := range []string{"group", "sector", "level", "parent", "lang"} {
		if v := rq.query.Get(k); v != "" {
			p.Hidden = append(p.Hidden, option{Value: v, Label: k})
		}
	}
	return p
}

// addTable registers t with its download links.
func (p *page) addTable(rq *request, t *table) {
	t.CSV = rq.link("/download/"+p.Name+"/"+t.ID+".csv", "month", p.Period.Month.String(), "period", string(rq.kind))
	t.XLSX = rq.link("/download/"+p.Name+"/"+t.ID+".xlsx", "month", p.Period.Month.String(), "period", string(rq.kind))
	p.Tables[t.ID] = t
}

func (p *page) addChart(sp *chartSpec) error {
	if sp.FileName == "" {
		sp.FileName = fmt.Sprintf("ktxh-%s-%s-%s", p.Name, sp.ID, p.Period.Month)
	}
	c, err := sp.build(p.Lang)
	if err != nil {
		return err
	}
	p.Charts[sp.ID] = c
	return nil
}

// countCard shows a count and its change; upGood says whether a rise is
// good news (nil: neither).
func countCard(l Lang, key string, cur, prev int64, hasPrev bool, upGood *bool) card {
	c := card{Key: key, Label: l.T(key), Value: l.Int(cur), Class: "flat", Delta: "–"}
	if !hasPrev {
		c.Delta = l.T("prev.none")
		return c
	}
	d := cur - prev
	c.Delta = trendArrow(float64(d)) + " " + l.Int(abs64(d))
	if prev != 0 {
		c.Delta += " (" + signed(l, float64(d)/float64(prev)*100, 1) + "%)"
	}
	c.Class = tone(float64(d), upGood)
	return c
}

// rateCard shows a rate and its change in percentage points.
func rateCard(l Lang, key string, cur, prev *float64, hasPrev bool, upGood *bool) card {
	c := card{Key: key, Label: l.T(key), Value: l.Pct(cur), Class: "flat", Delta: "–"}
	if !hasPrev {
		c.Delta = l.T("prev.none")
		return c
	}
	if cur == nil || prev == nil {
		return c
	}
	d := (*cur - *prev) * 100
	c.Delta = trendArrow(d) + " " + l.Dec(math.Abs(d), 1) + " " + l.T("pp")
	c.Class = tone(d, upGood)
	return c
}

// decCard shows a decimal figure (working days) and its change.
func decCard(l Lang, key string, cur, prev *float64, hasPrev bool, upGood *bool) card {
	c := card{Key: key, Label: l.T(key), Value: l.OptDec(cur, 1), Class: "flat", Delta: "–"}
	if !hasPrev {
		c.Delta = l.T("prev.none")
		return c
	}
	if cur == nil || prev == nil {
		return c
	}
	d := *cur - *prev
	c.Delta = trendArrow(d) + " " + l.Dec(math.Abs(d), 1)
	c.Class = tone(d, upGood)
	return c
}

var (
	up   = ptrBool(true)
	down = ptrBool(false)
)

func ptrBool(b bool) *bool { return &b }

func trendArrow(d float64) string {
	switch {
	case d > 1e-12:
		return "▲"
	case d < -1e-12:
		return "▼"
	}
	return "="
}

func tone(d float64, upGood *bool) string {
	if upGood == nil || math.Abs(d) < 1e-12 {
		return "flat"
	}
	if (d > 0) == *upGood {
		return "good"
	}
	return "bad"
}

func signed(l Lang, f float64, digits int) string {
	if f > 0 {
		return "+" + l.Dec(f, digits)
	}
	return l.Dec(f, digits)
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// window lists the n months ending at m.
func window(m Month, n int) []Month {
	out := make([]Month, n)
	for i := range out {
		out[i] = m.Add(i - n + 1)
	}
	return out
}

func monthLabels(ms []Month) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Label()
	}
	return out
}

func f64(n int64) *float64 { f := float64(n); return &f }
