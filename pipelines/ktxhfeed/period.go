package ktxhfeed

import (
	"fmt"
	"strings"
	"time"
)

// Kind is a kind of reporting period.
type Kind string

// Period kinds (domain.md, "Reporting periods").
const (
	// KindMonth is the calendar month [1st, 1st of the next month).
	KindMonth Kind = "month"
	// KindReport is the Decree 09/2019 monthly period [15th of the
	// previous month, 15th), named by its last month.
	KindReport Kind = "report"
)

func (k Kind) valid() bool { return k == KindMonth || k == KindReport }

// ParseKinds parses a comma-separated list of kinds.
func ParseKinds(s string) ([]Kind, error) {
	var out []Kind
	for _, p := range strings.Split(s, ",") {
		k := Kind(strings.TrimSpace(p))
		if k == "" {
			continue
		}
		if !k.valid() {
			return nil, fmt.Errorf("period kind %q: want month or report", k)
		}
		out = append(out, k)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no period kind in %q", s)
	}
	return out, nil
}

// Local is the province's time zone: months and periods are cut at 00:00
// local time (contract 4).
var Local = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Ho_Chi_Minh"); err == nil {
		return l
	}
	return time.FixedZone("ICT", 7*3600)
}()

// Period is one reporting period: a kind and the month naming it.
type Period struct {
	Kind Kind
	// Year and Month name the period (for KindReport, its last month).
	Year  int
	Month time.Month
}

// ParsePeriod parses YYYY-MM as a period of kind k.
func ParsePeriod(k Kind, s string) (Period, error) {
	if !k.valid() {
		return Period{}, fmt.Errorf("period kind %q: want month or report", k)
	}
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 {
		return Period{}, fmt.Errorf("period %q: want YYYY-MM", s)
	}
	if t.Year() < 2000 || t.Year() > 2100 {
		return Period{}, fmt.Errorf("period %q: year out of range", s)
	}
	return Period{Kind: k, Year: t.Year(), Month: t.Month()}, nil
}

// PeriodOf returns the period of kind k that contains the instant t.
func PeriodOf(k Kind, t time.Time) Period {
	t = t.In(Local)
	p := Period{Kind: k, Year: t.Year(), Month: t.Month()}
	if k == KindReport && t.Day() >= 15 {
		p = p.Next()
	}
	return p
}

// ID is the period's name, YYYY-MM: the month column of the KPI views.
func (p Period) ID() string { return fmt.Sprintf("%04d-%02d", p.Year, int(p.Month)) }

func (p Period) String() string { return string(p.Kind) + " " + p.ID() }

// Start is the first instant of the period.
func (p Period) Start() time.Time {
	if p.Kind == KindReport {
		return time.Date(p.Year, p.Month-1, 15, 0, 0, 0, 0, Local)
	}
	return time.Date(p.Year, p.Month, 1, 0, 0, 0, 0, Local)
}

// End is the first instant after the period.
func (p Period) End() time.Time { return p.Next().Start() }

// FirstDay and LastDay are the period's dates, both inclusive, YYYY-MM-DD.
func (p Period) FirstDay() string { return p.Start().Format(time.DateOnly) }

// LastDay is the last date of the period.
func (p Period) LastDay() string { return p.End().AddDate(0, 0, -1).Format(time.DateOnly) }

// Next is the following period of the same kind.
func (p Period) Next() Period {
	t := time.Date(p.Year, p.Month+1, 1, 0, 0, 0, 0, time.UTC)
	return Period{Kind: p.Kind, Year: t.Year(), Month: t.Month()}
}

// Before reports whether p names an earlier month than q.
func (p Period) Before(q Period) bool {
	return p.Year < q.Year || p.Year == q.Year && p.Month < q.Month
}

// ClosedAt is when the period closes: its end plus grace. Figures of a
// period keep moving until then (dossiers finished on the last day are
// synchronised late); after it the period is sent.
func (p Period) ClosedAt(grace time.Duration) time.Time { return p.End().Add(grace) }

// Closed reports whether the period is closed at now.
func (p Period) Closed(now time.Time, grace time.Duration) bool {
	return !now.Before(p.ClosedAt(grace))
}

// DefaultGrace is the default time after a period's end before it closes.
const DefaultGrace = 48 * time.Hour
