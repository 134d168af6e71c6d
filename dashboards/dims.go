package dashboards

import (
	"context"
	"fmt"
	"strings"
)

type agencyInfo struct {
	Code, Name, Level, Parent string
}

type sectorInfo struct {
	Code, Name, Group string
}

// dimensions are the names and hierarchies the pages label with.
type dimensions struct {
	agencies map[string]agencyInfo
	sectors  map[string]sectorInfo
	groups   map[string]string // sector_group → group_name
}

func loadDims(ctx context.Context, q Querier) (*dimensions, error) {
	d := &dimensions{agencies: map[string]agencyInfo{}, sectors: map[string]sectorInfo{}, groups: map[string]string{}}
	err := queryAll(ctx, q, "SELECT agency_code, name, level, parent_code FROM dim_agency", func(s *scanner) error {
		a := agencyInfo{Code: s.str("agency_code"), Name: s.str("name"), Level: s.str("level"), Parent: s.str("parent_code")}
		d.agencies[a.Code] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read dim_agency: %w", err)
	}
	err = queryAll(ctx, q, "SELECT sector_code, name, sector_group, group_name FROM dim_sector", func(s *scanner) error {
		sc := sectorInfo{Code: s.str("sector_code"), Name: s.str("name"), Group: s.str("sector_group")}
		d.sectors[sc.Code] = sc
		if g := s.str("group_name"); g != "" && sc.Group != "" {
			d.groups[sc.Group] = g
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read dim_sector: %w", err)
	}
	return d, nil
}

func (d *dimensions) agencyName(code string) string {
	if a, ok := d.agencies[code]; ok && a.Name != "" {
		return a.Name
	}
	if code == "" {
		return "–"
	}
	return code
}

// agencyLevel is province, department, district, commune or other.
func (d *dimensions) agencyLevel(code string) string {
	switch l := strings.ToLower(d.agencies[code].Level); l {
	case "province", "department", "district", "commune":
		return l
	}
	return "other"
}

func (d *dimensions) sectorName(code string) string {
	if s, ok := d.sectors[code]; ok && s.Name != "" {
		return s.Name
	}
	if code == "" {
		return "–"
	}
	return code
}

func (d *dimensions) groupName(group string) string {
	if n, ok := d.groups[group]; ok {
		return n
	}
	if n, ok := wellKnownGroups[group]; ok {
		return n
	}
	if group == "" {
		return "–"
	}
	return group
}

// tnmtGroup is Tài nguyên và Môi trường, the sector line letter 2070/UBND-HCC
// singles out for its backlog.
const tnmtGroup = "G13"

// wellKnownGroups names the ministry lines when dim_sector does not.
var wellKnownGroups = map[string]string{
	"G13": "Tài nguyên và Môi trường",
	"G15": "Tư pháp",
	"G03": "Giáo dục và Đào tạo",
	"G17": "Xây dựng",
	"G04": "Giao thông vận tải",
	"G05": "Kế hoạch và Đầu tư",
}

// staffTarget is a reduction target of staffing_targets: at least
// Reduction of the quota assigned to Class in BaseYear is cut over
// FromYear..ToYear.
type staffTarget struct {
	Name             string
	Class            string
	FromYear, ToYear int
	BaseYear         int
	Reduction        float64
}

// targetYear is a target's progress in one year (kpi_staffing_targets
// summed over agencies): the year's quota of the agencies that had a
// base-year quota, against that base.
type targetYear struct {
	staffTarget
	Year             int
	Quota, QuotaBase int64
	QuotaWithBase    int64
}

func (t *targetYear) Reduction() *float64 {
	if t.QuotaBase == 0 {
		return nil
	}
	r := 1 - float64(t.QuotaWithBase)/float64(t.QuotaBase)
	return &r
}

// staffPlan is the staffing configuration: the base year of
// kpi_staffing_monthly's quota_base, the targets and their progress.
type staffPlan struct {
	BaseYear int
	Targets  []staffTarget
	Progress []targetYear
}

// loadStaffPlan reads staffing_settings, staffing_targets and
// kpi_staffing_targets; a warehouse without them has the defaults of
// contract 4.3 (base year 2015) and no targets.
func loadStaffPlan(ctx context.Context, q Querier) (*staffPlan, []error) {
	p := &staffPlan{BaseYear: 2015}
	var errs []error
	err := queryAll(ctx, q, "SELECT base_year FROM staffing_settings", func(s *scanner) error {
		if y := s.int("base_year"); y > 0 {
			p.BaseYear = int(y)
		}
		return nil
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("read staffing_settings: %w", err))
	}
	target := func(s *scanner) staffTarget {
		t := staffTarget{Name: s.str("target_name"), Class: s.str("staff_class"), FromYear: int(s.int("period_from_year")),
			ToYear: int(s.int("period_to_year")), BaseYear: int(s.int("base_year"))}
		if r := s.float("target_reduction"); r != nil {
			t.Reduction = *r
		}
		return t
	}
	err = queryAll(ctx, q, "SELECT * FROM staffing_targets ORDER BY period_from_year, staff_class", func(s *scanner) error {
		p.Targets = append(p.Targets, target(s))
		return nil
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("read staffing_targets: %w", err))
	}
	err = queryAll(ctx, q, `SELECT target_name, staff_class, period_from_year, period_to_year, base_year, target_reduction, year,
  sum(quota)::BIGINT AS quota, sum(quota_base)::BIGINT AS quota_base,
  (sum(quota) FILTER (WHERE quota_base IS NOT NULL))::BIGINT AS quota_with_base
FROM kpi_staffing_targets GROUP BY ALL ORDER BY period_from_year, staff_class, year`, func(s *scanner) error {
		p.Progress = append(p.Progress, targetYear{staffTarget: target(s), Year: int(s.int("year")),
			Quota: s.int("quota"), QuotaBase: s.int("quota_base"), QuotaWithBase: s.int("quota_with_base")})
		return nil
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("read kpi_staffing_targets: %w", err))
	}
	return p, errs
}

// targetFor is class's target in force in year: the one whose period holds
// it, else the next one to come, else the last one.
func (p *staffPlan) targetFor(class string, year int) *staffTarget {
	var best *staffTarget
	score := func(t *staffTarget) int {
		switch {
		case t.FromYear <= year && year <= t.ToYear:
			return 3_000_000 - t.ToYear
		case t.FromYear > year:
			return 2_000_000 - t.FromYear
		}
		return 1_000_000 + t.ToYear
	}
	for i := range p.Targets {
		t := &p.Targets[i]
		if t.Class != class {
			continue
		}
		if best == nil || score(t) > score(best) {
			best = t
		}
	}
	return best
}

// progress is the target's figures for year, nil when none.
func (p *staffPlan) progress(t *staffTarget, year int) *targetYear {
	for i := range p.Progress {
		g := &p.Progress[i]
		if g.Name == t.Name && g.Class == t.Class && g.BaseYear == t.BaseYear && g.Year == year {
			return g
		}
	}
	return nil
}
