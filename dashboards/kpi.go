package dashboards

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// ratio is num/den, nil when den is 0 (contract section 4: every rate is
// NULL when its denominator is 0).
func ratio(num, den float64) *float64 {
	if den == 0 {
		return nil
	}
	r := num / den
	return &r
}

// OnestopKPI holds the additive counts of contract 4.1 for any set of
// (agency, sector) rows of one period; the rates derive from them, so an
// aggregate's rate is the rate of its sums.
type OnestopKPI struct {
	Received       int64 `json:"received"`
	ReceivedOnline int64 `json:"received_online"`
	ReceivedDirect int64 `json:"received_direct"`
	ReceivedPostal int64 `json:"received_postal"`
	CarriedOver    int64 `json:"carried_over"`
	Resolved       int64 `json:"resolved"`
	ResolvedEarly  int64 `json:"resolved_early"`
	ResolvedOnTime int64 `json:"resolved_on_time"`
	ResolvedLate   int64 `json:"resolved_late"`
	OpenEnd        int64 `json:"open_end"`
	OpenPaused     int64 `json:"open_paused"`
	OpenOverdue    int64 `json:"open_overdue"`
	OpenWithin     int64 `json:"open_within"`
	LateTotal      int64 `json:"late_total"`
	LateApologized int64 `json:"late_apologized"`
	// Workdays is the sum of the processing working days of the resolved
	// dossiers that have them (processing_workdays_total), WorkdaysN how
	// many they are: avg_processing_workdays = Workdays / WorkdaysN.
	Workdays  float64 `json:"-"`
	WorkdaysN float64 `json:"-"`
}

func (k *OnestopKPI) add(o *OnestopKPI) {
	k.Received += o.Received
	k.ReceivedOnline += o.ReceivedOnline
	k.ReceivedDirect += o.ReceivedDirect
	k.ReceivedPostal += o.ReceivedPostal
	k.CarriedOver += o.CarriedOver
	k.Resolved += o.Resolved
	k.ResolvedEarly += o.ResolvedEarly
	k.ResolvedOnTime += o.ResolvedOnTime
	k.ResolvedLate += o.ResolvedLate
	k.OpenEnd += o.OpenEnd
	k.OpenPaused += o.OpenPaused
	k.OpenOverdue += o.OpenOverdue
	k.OpenWithin += o.OpenWithin
	k.LateTotal += o.LateTotal
	k.LateApologized += o.LateApologized
	k.Workdays += o.Workdays
	k.WorkdaysN += o.WorkdaysN
}

func (k *OnestopKPI) OnTimeRate() *float64 {
	return ratio(float64(k.ResolvedEarly+k.ResolvedOnTime), float64(k.Resolved))
}

// LateRate is the share of resolved dossiers resolved late (tỷ lệ trễ
// hạn), 1 − on_time_rate.
func (k *OnestopKPI) LateRate() *float64 {
	return ratio(float64(k.ResolvedLate), float64(k.Resolved))
}

func (k *OnestopKPI) ProgressRate766() *float64 {
	return ratio(float64(k.ResolvedEarly+k.ResolvedOnTime+k.OpenWithin+k.OpenPaused), float64(k.Resolved+k.OpenEnd))
}

func (k *OnestopKPI) OnlineShare() *float64 {
	return ratio(float64(k.ReceivedOnline), float64(k.Received))
}

func (k *OnestopKPI) ApologyRate() *float64 {
	return ratio(float64(k.LateApologized), float64(k.LateTotal))
}

func (k *OnestopKPI) AvgProcessingWorkdays() *float64 {
	return ratio(k.Workdays, k.WorkdaysN)
}

// empty reports whether nothing at all happened.
func (k *OnestopKPI) empty() bool {
	return k.Received == 0 && k.CarriedOver == 0 && k.Resolved == 0 && k.OpenEnd == 0
}

// MarshalJSON writes the counts and the rates under the contract's names.
func (k OnestopKPI) MarshalJSON() ([]byte, error) {
	type counts OnestopKPI
	return json.Marshal(struct {
		counts
		OnTimeRate            *float64 `json:"on_time_rate"`
		ProgressRate766       *float64 `json:"progress_rate_766"`
		OnlineShare           *float64 `json:"online_share"`
		ApologyRate           *float64 `json:"apology_rate"`
		LateRate              *float64 `json:"late_rate"`
		AvgProcessingWorkdays *float64 `json:"avg_processing_workdays"`
	}{counts(k), k.OnTimeRate(), k.ProgressRate766(), k.OnlineShare(), k.ApologyRate(), k.LateRate(), k.AvgProcessingWorkdays()})
}

// onestopRow is one row of kpi_onestop_monthly (or its reporting-period
// twin).
type onestopRow struct {
	month                 Month
	agency, sector, group string
	k                     OnestopKPI
}

// onestopCube is a whole one-stop monthly view in memory, rows ordered by
// month.
type onestopCube struct {
	kind   PeriodKind
	months []Month
	rows   []onestopRow
	span   map[Month][2]int
	totals map[Month]*OnestopKPI
}

// onestopColumns are the contract's columns of the one-stop monthly views
// that the pages read.
var onestopColumns = []string{"month", "agency_code", "sector_code", "sector_group",
	"received", "received_online", "received_direct", "received_postal", "carried_over",
	"resolved", "resolved_early", "resolved_on_time", "resolved_late",
	"open_end", "open_paused", "open_overdue", "open_within", "late_total", "late_apologized",
	"avg_processing_workdays"}

func onestopView(kind PeriodKind) string {
	if kind == KindReport {
		return "kpi_onestop_report_monthly"
	}
	return "kpi_onestop_monthly"
}

func loadOnestop(ctx context.Context, q Querier, kind PeriodKind) (*onestopCube, error) {
	// SELECT *: the view may carry more than the contract's columns (the
	// sum behind the average, processing_workdays_total); the contract's
	// own are required.
	stmt := fmt.Sprintf("SELECT * FROM %s", onestopView(kind))
	c := &onestopCube{kind: kind, span: map[Month][2]int{}, totals: map[Month]*OnestopKPI{}}
	checked := false
	err := queryAll(ctx, q, stmt, func(s *scanner) error {
		if !checked {
			if err := s.require(onestopColumns...); err != nil {
				return err
			}
			checked = true
		}
		m, err := ParseMonth(s.str("month"))
		if err != nil {
			return fmt.Errorf("%s: %w", onestopView(kind), err)
		}
		r := onestopRow{month: m, agency: s.str("agency_code"), sector: s.str("sector_code"), group: s.str("sector_group")}
		k := &r.k
		k.Received = s.int("received")
		k.ReceivedOnline = s.int("received_online")
		k.ReceivedDirect = s.int("received_direct")
		k.ReceivedPostal = s.int("received_postal")
		k.CarriedOver = s.int("carried_over")
		k.Resolved = s.int("resolved")
		k.ResolvedEarly = s.int("resolved_early")
		k.ResolvedOnTime = s.int("resolved_on_time")
		k.ResolvedLate = s.int("resolved_late")
		k.OpenEnd = s.int("open_end")
		k.OpenPaused = s.int("open_paused")
		k.OpenOverdue = s.int("open_overdue")
		k.OpenWithin = s.int("open_within")
		k.LateTotal = s.int("late_total")
		k.LateApologized = s.int("late_apologized")
		avg := s.float("avg_processing_workdays")
		switch {
		case avg == nil:
		case s.has("processing_workdays_total") && *avg > 0:
			k.Workdays = *s.float("processing_workdays_total")
			k.WorkdaysN = k.Workdays / *avg
		default:
			k.Workdays, k.WorkdaysN = *avg*float64(k.Resolved), float64(k.Resolved)
		}
		c.rows = append(c.rows, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", onestopView(kind), err)
	}
	sort.SliceStable(c.rows, func(i, j int) bool { return c.rows[i].month < c.rows[j].month })
	for i := 0; i < len(c.rows); {
		j := i
		m := c.rows[i].month
		t := &OnestopKPI{}
		for j < len(c.rows) && c.rows[j].month == m {
			t.add(&c.rows[j].k)
			j++
		}
		c.months = append(c.months, m)
		c.span[m] = [2]int{i, j}
		c.totals[m] = t
		i = j
	}
	return c, nil
}

// total is the province's figures for month m (zero when absent).
func (c *onestopCube) total(m Month) *OnestopKPI {
	if t := c.totals[m]; t != nil {
		return t
	}
	return &OnestopKPI{}
}

func (c *onestopCube) has(m Month) bool { _, ok := c.span[m]; return ok }

// by sums month m's rows that keep passes, per key.
func (c *onestopCube) by(m Month, key func(*onestopRow) string, keep func(*onestopRow) bool) map[string]*OnestopKPI {
	out := map[string]*OnestopKPI{}
	sp, ok := c.span[m]
	if !ok {
		return out
	}
	for i := sp[0]; i < sp[1]; i++ {
		r := &c.rows[i]
		if keep != nil && !keep(r) {
			continue
		}
		k := key(r)
		t := out[k]
		if t == nil {
			t = &OnestopKPI{}
			out[k] = t
		}
		t.add(&r.k)
	}
	return out
}

// EgovKPI holds the additive counts of kpi_egov_monthly (contract 4.2).
type EgovKPI struct {
	Sent               int64 `json:"sent"`
	SentElectronicOnly int64 `json:"sent_electronic_only"`
	SentSigned         int64 `json:"sent_signed"`
	Received           int64 `json:"received"`
	Completed          int64 `json:"completed"`
	OpenOverdue        int64 `json:"open_overdue"`
	// CompletionDays sums the working days of the completions.
	CompletionDays float64 `json:"-"`
}

func (k *EgovKPI) add(o *EgovKPI) {
	k.Sent += o.Sent
	k.SentElectronicOnly += o.SentElectronicOnly
	k.SentSigned += o.SentSigned
	k.Received += o.Received
	k.Completed += o.Completed
	k.OpenOverdue += o.OpenOverdue
	k.CompletionDays += o.CompletionDays
}

func (k *EgovKPI) ElectronicShare() *float64 {
	return ratio(float64(k.SentElectronicOnly), float64(k.Sent))
}
func (k *EgovKPI) SignedShare() *float64 { return ratio(float64(k.SentSigned), float64(k.Sent)) }
func (k *EgovKPI) AvgCompletionWorkdays() *float64 {
	return ratio(k.CompletionDays, float64(k.Completed))
}

func (k EgovKPI) MarshalJSON() ([]byte, error) {
	type counts EgovKPI
	return json.Marshal(struct {
		counts
		AvgCompletionWorkdays *float64 `json:"avg_completion_workdays"`
		ElectronicShare       *float64 `json:"electronic_share"`
		SignedShare           *float64 `json:"signed_share"`
	}{counts(k), k.AvgCompletionWorkdays(), k.ElectronicShare(), k.SignedShare()})
}

// StaffKPI holds the additive figures of kpi_staffing_monthly (contract
// 4.3). Quotas are nullable (contract workers have none): QuotaRows and
// BaseRows count the rows that had one.
type StaffKPI struct {
	HeadcountEnd       int64 `json:"headcount_end"`
	Hires              int64 `json:"hires"`
	Departures         int64 `json:"departures"`
	DeparturesTinhGian int64 `json:"departures_tinh_gian"`
	DeparturesNghiHuu  int64 `json:"departures_nghi_huu"`
	DeparturesThoiViec int64 `json:"departures_thoi_viec"`
	Quota              int64 `json:"-"`
	QuotaBase          int64 `json:"-"`
	QuotaRows          int   `json:"-"`
	BaseRows           int   `json:"-"`
	// HeadcountWithQuota, HeadcountWithBase and QuotaWithBase are the
	// numerators over the same rows as their denominators: an agency
	// without a base-year quota (created since) counts in neither side.
	HeadcountWithQuota int64 `json:"-"`
	HeadcountWithBase  int64 `json:"-"`
	QuotaWithBase      int64 `json:"-"`
}

func (k *StaffKPI) add(o *StaffKPI) {
	k.HeadcountEnd += o.HeadcountEnd
	k.Hires += o.Hires
	k.Departures += o.Departures
	k.DeparturesTinhGian += o.DeparturesTinhGian
	k.DeparturesNghiHuu += o.DeparturesNghiHuu
	k.DeparturesThoiViec += o.DeparturesThoiViec
	k.Quota += o.Quota
	k.QuotaBase += o.QuotaBase
	k.QuotaRows += o.QuotaRows
	k.BaseRows += o.BaseRows
	k.HeadcountWithQuota += o.HeadcountWithQuota
	k.HeadcountWithBase += o.HeadcountWithBase
	k.QuotaWithBase += o.QuotaWithBase
}

func (k *StaffKPI) DeparturesOther() int64 {
	return max(0, k.Departures-k.DeparturesTinhGian-k.DeparturesNghiHuu-k.DeparturesThoiViec)
}

func (k *StaffKPI) QuotaOrNil() *float64 {
	if k.QuotaRows == 0 {
		return nil
	}
	f := float64(k.Quota)
	return &f
}

func (k *StaffKPI) QuotaBaseOrNil() *float64 {
	if k.BaseRows == 0 {
		return nil
	}
	f := float64(k.QuotaBase)
	return &f
}

// QuotaUse is headcount over quota.
func (k *StaffKPI) QuotaUse() *float64 {
	if k.QuotaRows == 0 {
		return nil
	}
	return ratio(float64(k.HeadcountWithQuota), float64(k.Quota))
}

func (k *StaffKPI) QuotaReductionVsBase() *float64 {
	if k.BaseRows == 0 || k.QuotaRows == 0 || k.QuotaBase == 0 {
		return nil
	}
	r := 1 - float64(k.QuotaWithBase)/float64(k.QuotaBase)
	return &r
}

func (k *StaffKPI) HeadcountReductionVsBase() *float64 {
	if k.BaseRows == 0 || k.QuotaBase == 0 {
		return nil
	}
	r := 1 - float64(k.HeadcountWithBase)/float64(k.QuotaBase)
	return &r
}

func (k StaffKPI) MarshalJSON() ([]byte, error) {
	type counts StaffKPI
	return json.Marshal(struct {
		counts
		DeparturesOther          int64    `json:"departures_other"`
		Quota                    *float64 `json:"quota"`
		QuotaBase                *float64 `json:"quota_base"`
		QuotaUse                 *float64 `json:"quota_use"`
		QuotaReductionVsBase     *float64 `json:"quota_reduction_vs_base"`
		HeadcountReductionVsBase *float64 `json:"headcount_reduction_vs_base"`
	}{counts(k), k.DeparturesOther(), k.QuotaOrNil(), k.QuotaBaseOrNil(), k.QuotaUse(), k.QuotaReductionVsBase(), k.HeadcountReductionVsBase()})
}

// monthCube is a per-(month, agency[, class]) view in memory.
type monthCube[K any] struct {
	view   string
	months []Month
	rows   map[Month][]keyed[K]
}

type keyed[K any] struct {
	agency, class string
	k             K
}

func (c *monthCube[K]) has(m Month) bool { _, ok := c.rows[m]; return ok }

func (c *monthCube[K]) add(m Month, agency, class string, k K) {
	if c.rows == nil {
		c.rows = map[Month][]keyed[K]{}
	}
	if _, ok := c.rows[m]; !ok {
		c.months = append(c.months, m)
	}
	c.rows[m] = append(c.rows[m], keyed[K]{agency, class, k})
}

func (c *monthCube[K]) finish() {
	sort.Slice(c.months, func(i, j int) bool { return c.months[i] < c.months[j] })
}

func loadEgov(ctx context.Context, q Querier) (*monthCube[EgovKPI], error) {
	c := &monthCube[EgovKPI]{}
	err := queryAll(ctx, q, `SELECT month, agency_code, sent, sent_electronic_only, sent_signed, received, completed,
  avg_completion_workdays, open_overdue FROM kpi_egov_monthly`, func(s *scanner) error {
		m, err := ParseMonth(s.str("month"))
		if err != nil {
			return err
		}
		k := EgovKPI{Sent: s.int("sent"), SentElectronicOnly: s.int("sent_electronic_only"), SentSigned: s.int("sent_signed"),
			Received: s.int("received"), Completed: s.int("completed"), OpenOverdue: s.int("open_overdue")}
		if avg := s.float("avg_completion_workdays"); avg != nil {
			k.CompletionDays = *avg * float64(k.Completed)
		}
		c.add(m, s.str("agency_code"), "", k)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read kpi_egov_monthly: %w", err)
	}
	c.finish()
	return c, nil
}

// staffingViews are read in order: the figures restated on today's
// agencies when the warehouse has them (a merged agency measured against
// the base-year quotas of all it absorbed, so that the province's
// reduction spans the 2025 restructuring), else as reported (contract 4.3).
var staffingViews = []string{"kpi_staffing_monthly_current", "kpi_staffing_monthly"}

func loadStaffing(ctx context.Context, q Querier) (*monthCube[StaffKPI], error) {
	var errs []error
	for _, v := range staffingViews {
		c, err := loadStaffingView(ctx, q, v)
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func loadStaffingView(ctx context.Context, q Querier, view string) (*monthCube[StaffKPI], error) {
	c := &monthCube[StaffKPI]{view: view}
	err := queryAll(ctx, q, `SELECT month, agency_code, staff_class, headcount_end, hires, departures,
  departures_tinh_gian, departures_nghi_huu, departures_thoi_viec, quota, quota_base FROM `+view, func(s *scanner) error {
		m, err := ParseMonth(s.str("month"))
		if err != nil {
			return err
		}
		k := StaffKPI{HeadcountEnd: s.int("headcount_end"), Hires: s.int("hires"), Departures: s.int("departures"),
			DeparturesTinhGian: s.int("departures_tinh_gian"), DeparturesNghiHuu: s.int("departures_nghi_huu"),
			DeparturesThoiViec: s.int("departures_thoi_viec")}
		q, b := s.float("quota"), s.float("quota_base")
		if q != nil {
			k.Quota, k.QuotaRows, k.HeadcountWithQuota = int64(*q), 1, k.HeadcountEnd
		}
		if b != nil {
			k.QuotaBase, k.BaseRows, k.HeadcountWithBase = int64(*b), 1, k.HeadcountEnd
			if q != nil {
				k.QuotaWithBase = int64(*q)
			}
		}
		c.add(m, s.str("agency_code"), s.str("staff_class"), k)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", view, err)
	}
	c.finish()
	return c, nil
}

// sumBy sums month m's rows per key.
func sumBy[K any](c *monthCube[K], m Month, key func(agency, class string) string, add func(dst, src *K)) map[string]*K {
	out := map[string]*K{}
	for i := range c.rows[m] {
		r := &c.rows[m][i]
		k := key(r.agency, r.class)
		if k == "\x00" {
			continue
		}
		t := out[k]
		if t == nil {
			t = new(K)
			out[k] = t
		}
		add(t, &r.k)
	}
	return out
}
