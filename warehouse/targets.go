package warehouse

import (
	"context"
	"fmt"
)

// StaffingOptions configure the staffing-reduction views: the quota base
// year kpi_staffing_monthly measures against and the targets the view
// staffing_targets shows. Zero values mean defaults.
type StaffingOptions struct {
	// BaseYear is the year whose assigned quota is quota_base in
	// kpi_staffing_monthly (default 2015, the base of resolution 39-NQ/TW).
	BaseYear int
	// Targets are the reduction targets (default DefaultStaffingTargets).
	// A nil slice means the defaults, an empty non-nil one no targets.
	Targets []StaffingTarget
}

// StaffingTarget is one reduction target: at least Reduction of the quota
// assigned to StaffClass in BaseYear is to be cut between FromYear and
// ToYear, measured against the assigned quota (biên chế được giao), not the
// headcount.
type StaffingTarget struct {
	// Name is the act setting the target, e.g. "39-NQ/TW".
	Name string
	// StaffClass is CC or VC (HD contract workers sit outside the quota).
	StaffClass string
	FromYear   int
	ToYear     int
	// BaseYear is the quota year the reduction is measured against
	// (default: StaffingOptions.BaseYear).
	BaseYear int
	// Reduction is the share to cut, in (0, 1]: 0.1 is 10 %.
	Reduction float64
}

// DefaultStaffingBaseYear is the default quota base year.
const DefaultStaffingBaseYear = 2015

// DefaultStaffingTargets are the targets of domain.md: resolution
// 39-NQ/TW (at least 10 % of the quota by 2021 against 2015, for civil
// servants and public employees alike; its base year follows
// StaffingOptions.BaseYear) and conclusion 40-KL/TW (2022-2026: at least
// 5 % of civil servants and 10 % of public employees against the quota
// assigned in 2021, the end of the previous period).
func DefaultStaffingTargets() []StaffingTarget {
	return []StaffingTarget{
		{Name: "39-NQ/TW", StaffClass: "CC", FromYear: 2015, ToYear: 2021, Reduction: 0.10},
		{Name: "39-NQ/TW", StaffClass: "VC", FromYear: 2015, ToYear: 2021, Reduction: 0.10},
		{Name: "40-KL/TW", StaffClass: "CC", FromYear: 2022, ToYear: 2026, BaseYear: 2021, Reduction: 0.05},
		{Name: "40-KL/TW", StaffClass: "VC", FromYear: 2022, ToYear: 2026, BaseYear: 2021, Reduction: 0.10},
	}
}

// DefaultStaffingOptions returns the base year 2015 and the default targets.
func DefaultStaffingOptions() StaffingOptions {
	return StaffingOptions{BaseYear: DefaultStaffingBaseYear, Targets: DefaultStaffingTargets()}
}

// validate fills zero values with the defaults and checks every target.
func (o *StaffingOptions) validate() error {
	if o.BaseYear == 0 {
		o.BaseYear = DefaultStaffingBaseYear
	}
	if o.BaseYear < 1900 || o.BaseYear > 9999 {
		return fmt.Errorf("staffing base year %d out of range", o.BaseYear)
	}
	if o.Targets == nil {
		o.Targets = DefaultStaffingTargets()
	}
	targets := make([]StaffingTarget, len(o.Targets))
	for i, t := range o.Targets {
		if t.BaseYear == 0 {
			t.BaseYear = o.BaseYear
		}
		switch {
		case t.StaffClass != "CC" && t.StaffClass != "VC" && t.StaffClass != "HD":
			return fmt.Errorf("staffing target %d (%s): staff class %q is not CC, VC or HD", i, t.Name, t.StaffClass)
		case t.FromYear < 1900 || t.ToYear > 9999 || t.FromYear > t.ToYear:
			return fmt.Errorf("staffing target %d (%s): years %d-%d out of order or range", i, t.Name, t.FromYear, t.ToYear)
		case t.BaseYear < 1900 || t.BaseYear > 9999:
			return fmt.Errorf("staffing target %d (%s): base year %d out of range", i, t.Name, t.BaseYear)
		case !(t.Reduction > 0 && t.Reduction <= 1):
			return fmt.Errorf("staffing target %d (%s): reduction %v not in (0, 1]", i, t.Name, t.Reduction)
		}
		targets[i] = t
	}
	o.Targets = targets
	return nil
}

// loadStaffingTargets writes the staffing options to the tables
// src_staffing_settings (one row: base_year) and src_staffing_targets, from
// which sql/60_staffing.sql builds staffing_settings, staffing_targets and
// the quota base of kpi_staffing_monthly.
func (w *Warehouse) loadStaffingTargets(ctx context.Context) error {
	o := w.opts.Staffing
	if err := o.validate(); err != nil {
		return err
	}
	stmts := []string{
		"CREATE TABLE src_staffing_settings (base_year INTEGER NOT NULL)",
		`CREATE TABLE src_staffing_targets (target_name VARCHAR, staff_class VARCHAR NOT NULL,
			period_from_year INTEGER NOT NULL, period_to_year INTEGER NOT NULL,
			base_year INTEGER NOT NULL, target_reduction DOUBLE NOT NULL)`,
	}
	for _, q := range stmts {
		if _, err := w.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create staffing targets: %w", err)
		}
	}
	if _, err := w.db.ExecContext(ctx, "INSERT INTO src_staffing_settings VALUES (?)", o.BaseYear); err != nil {
		return fmt.Errorf("load staffing settings: %w", err)
	}
	for _, t := range o.Targets {
		var name any
		if t.Name != "" {
			name = t.Name
		}
		if _, err := w.db.ExecContext(ctx, "INSERT INTO src_staffing_targets VALUES (?, ?, ?, ?, ?, ?)",
			name, t.StaffClass, t.FromYear, t.ToYear, t.BaseYear, t.Reduction); err != nil {
			return fmt.Errorf("load staffing target %s %s: %w", t.Name, t.StaffClass, err)
		}
	}
	return nil
}
