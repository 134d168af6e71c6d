package dashboards

import (
	"fmt"
	"strconv"
	"time"
)

// local is the province's time zone: months and periods are cut at 00:00
// local time (contract section 4).
var local = time.FixedZone("ICT", 7*3600)

// Month is a calendar month, counted from year 0 (y*12 + m-1), so that
// month arithmetic is integer arithmetic.
type Month int

// ParseMonth reads "YYYY-MM".
func ParseMonth(s string) (Month, error) {
	if len(s) != 7 || s[4] != '-' {
		return 0, fmt.Errorf("month %q: want YYYY-MM", s)
	}
	y, err1 := strconv.Atoi(s[:4])
	m, err2 := strconv.Atoi(s[5:])
	if err1 != nil || err2 != nil || m < 1 || m > 12 || y < 1900 || y > 2999 {
		return 0, fmt.Errorf("month %q: want YYYY-MM", s)
	}
	return Month(y*12 + m - 1), nil
}

func (m Month) Year() int       { return int(m) / 12 }
func (m Month) Num() int        { return int(m)%12 + 1 }
func (m Month) Add(n int) Month { return m + Month(n) }

// String is the views' spelling, "2019-09".
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year(), m.Num()) }

// Label is how a reader sees it, "09/2019".
func (m Month) Label() string { return fmt.Sprintf("%02d/%04d", m.Num(), m.Year()) }

// First is 00:00 local time on the month's first day.
func (m Month) First() time.Time {
	return time.Date(m.Year(), time.Month(m.Num()), 1, 0, 0, 0, 0, local)
}

// PeriodKind says how a month is cut: a calendar month, or the monthly
// reporting period of Decree 09/2019/NĐ-CP (the 15th of the previous month
// to the 14th of the month).
type PeriodKind string

const (
	KindMonth  PeriodKind = "month"
	KindReport PeriodKind = "report"
)

// ParseKind reads "month" or "report"; "" is month.
func ParseKind(s string) (PeriodKind, error) {
	switch s {
	case "", "month", "calendar":
		return KindMonth, nil
	case "report", "decree09", "09":
		return KindReport, nil
	}
	return "", fmt.Errorf("period %q: want month or report", s)
}

// Period is the month a page shows and how it is cut.
type Period struct {
	Month Month
	Kind  PeriodKind
}

// Range is [from, to) in local time.
func (p Period) Range() (from, to time.Time) {
	if p.Kind == KindReport {
		return p.Month.Add(-1).First().AddDate(0, 0, 14), p.Month.First().AddDate(0, 0, 14)
	}
	return p.Month.First(), p.Month.Add(1).First()
}

// Label names the period: "09/2019" or "09/2019 (15/08/2019–14/09/2019)".
func (p Period) Label(l Lang) string {
	if p.Kind != KindReport {
		return l.T("period.month") + " " + p.Month.Label()
	}
	from, to := p.Range()
	return fmt.Sprintf("%s %s (%s–%s)", l.T("period.report"), p.Month.Label(), from.Format("02/01/2006"), to.AddDate(0, 0, -1).Format("02/01/2006"))
}
