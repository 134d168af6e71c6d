package ktxhfeed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Unit scopes: the province row (the sum over all agencies) or one agency.
const (
	ScopeProvince = "province"
	ScopeAgency   = "agency"
)

// Report is one period's indicator values for every agency and the
// province.
type Report struct {
	Set         string
	Version     int
	Period      Period
	GeneratedAt time.Time
	// Indicators are those the period's kind has a view for, in catalogue
	// order.
	Indicators []*Indicator
	// Units: the province row first, then agencies by level and code.
	Units []*Unit
}

// Unit is one reporting unit of a report: the province or an agency.
type Unit struct {
	Scope      string
	AgencyCode string // for the province row, the province's own code
	Name       string
	Level      string
	ParentCode string
	// Values by indicator code: int64, float64 or nil (NULL: a rate with a
	// zero denominator). An indicator not reported at the unit's level has
	// no entry.
	Values map[string]any
}

// ID names the unit inside a period: "province" or the agency code.
func (u *Unit) ID() string {
	if u.Scope == ScopeProvince {
		return ScopeProvince
	}
	return u.AgencyCode
}

// Key is the idempotency key of a unit's values for a period: a hash of
// (set, version, period kind, period, scope, agency code), stable across
// runs and machines.
func Key(set string, version int, p Period, scope, agency string) string {
	h := sha256.New()
	fmt.Fprintf(h, "ktxh-feed\x00%s\x00%d\x00%s\x00%s\x00%s\x00%s", set, version, p.Kind, p.ID(), scope, agency)
	return hex.EncodeToString(h.Sum(nil))
}

// Key is the idempotency key of the unit in r.
func (r *Report) Key(u *Unit) string {
	return Key(r.Set, r.Version, r.Period, u.Scope, u.AgencyCode)
}

// ValuesHash is a hash of the unit's values as sent, to notice figures
// that changed after they were acknowledged.
func ValuesHash(u *Unit) string {
	b, _ := json.Marshal(u.Values) // map keys sorted: canonical
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

var levelOrder = map[string]int{LevelProvince: 0, LevelDepartment: 1, LevelDistrict: 2, LevelCommune: 3, LevelUnknown: 4}

// Build computes the report of one period.
func Build(ctx context.Context, q Querier, c *Catalogue, p Period) (*Report, error) {
	rs, err := BuildRange(ctx, q, c, p.Kind, []Period{p})
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// BuildRange computes the reports of several periods of kind k with one
// statement per group.
func BuildRange(ctx context.Context, q Querier, c *Catalogue, k Kind, periods []Period) ([]*Report, error) {
	if len(periods) == 0 {
		return nil, nil
	}
	agencies, err := queryAgencies(ctx, q)
	if err != nil {
		return nil, err
	}
	months := make([]string, len(periods))
	for i, p := range periods {
		if p.Kind != k {
			return nil, fmt.Errorf("period %s is not of kind %s", p, k)
		}
		months[i] = p.ID()
	}
	inds := c.ForKind(k)
	// Rows by group, month, then agency ("" = province).
	type key struct{ month, agency string }
	data := map[string]map[key][]any{}
	seen := map[string]map[string]bool{} // month -> agencies with data
	for _, g := range c.Groups {
		if g.Views[k] == "" {
			continue
		}
		rows, err := c.queryGroup(ctx, q, g.ID, k, months)
		if err != nil {
			return nil, err
		}
		m := map[key][]any{}
		for _, r := range rows {
			if r.total {
				m[key{r.month, ""}] = r.values
				continue
			}
			m[key{r.month, r.agency}] = r.values
			if seen[r.month] == nil {
				seen[r.month] = map[string]bool{}
			}
			seen[r.month][r.agency] = true
		}
		data[g.ID] = m
	}
	now := time.Now().UTC().Truncate(time.Second)
	out := make([]*Report, len(periods))
	for i, p := range periods {
		r := &Report{Set: c.Set, Version: c.Version, Period: p, GeneratedAt: now, Indicators: inds}
		prov := &Unit{Scope: ScopeProvince, Name: "Toàn tỉnh", Level: LevelProvince}
		units := []*Unit{}
		known := map[string]bool{}
		for _, a := range agencies {
			known[a.code] = true
			if a.level == LevelProvince && prov.AgencyCode == "" && a.validIn(p) {
				prov.AgencyCode, prov.Name = a.code, a.name+" (toàn tỉnh)"
			}
			if a.validIn(p) || seen[p.ID()][a.code] {
				level := a.level
				if !slices.Contains(levels, level) {
					level = LevelUnknown
				}
				units = append(units, &Unit{Scope: ScopeAgency, AgencyCode: a.code, Name: a.name, Level: level, ParentCode: a.parent})
			}
		}
		for code := range seen[p.ID()] {
			if !known[code] {
				units = append(units, &Unit{Scope: ScopeAgency, AgencyCode: code, Name: code, Level: LevelUnknown})
			}
		}
		sort.SliceStable(units, func(i, j int) bool {
			if li, lj := levelOrder[units[i].Level], levelOrder[units[j].Level]; li != lj {
				return li < lj
			}
			return units[i].AgencyCode < units[j].AgencyCode
		})
		units = append([]*Unit{prov}, units...)
		for _, u := range units {
			agency := u.AgencyCode
			if u.Scope == ScopeProvince {
				agency = ""
			}
			u.Values = map[string]any{}
			pos := map[string]int{}
			for _, ind := range inds {
				j := pos[ind.Group]
				pos[ind.Group]++
				if !ind.ReportedFor(u) {
					continue
				}
				if vals, ok := data[ind.Group][key{p.ID(), agency}]; ok {
					u.Values[ind.Code] = vals[j]
				} else {
					u.Values[ind.Code] = ind.empty()
				}
			}
		}
		r.Units = units
		out[i] = r
	}
	return out, nil
}

// empty is the value over no rows: 0 for a sum, else NULL.
func (ind *Indicator) empty() any {
	if ind.Aggregate == AggSum {
		return int64(0)
	}
	return nil
}

// Unit returns the unit with the given ID (see Unit.ID), or nil.
func (r *Report) Unit(id string) *Unit {
	for _, u := range r.Units {
		if u.ID() == id {
			return u
		}
	}
	return nil
}
