package ktxhfeed

import (
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/goccy/go-yaml"
)

//go:embed catalogue.yaml
var defaultCatalogue []byte

// Agency levels (contract 4, dims/agencies.csv). LevelUnknown is an agency
// code seen in the data but missing from dim_agency.
const (
	LevelProvince   = "province"
	LevelDepartment = "department"
	LevelDistrict   = "district"
	LevelCommune    = "commune"
	LevelUnknown    = "unknown"
)

var levels = []string{LevelProvince, LevelDepartment, LevelDistrict, LevelCommune}

// Aggregates: how an agency row and the province row are made from the
// view's rows (see catalogue.yaml).
const (
	AggSum             = "sum"
	AggSumOrNull       = "sum_or_null"
	AggRatio           = "ratio"
	AggComplementRatio = "complement_ratio"
	AggWeightedMean    = "weighted_mean"
	AggNone            = "none"
)

// Catalogue is the indicator set: groups (one source view per period kind)
// and indicators, in report order.
type Catalogue struct {
	Set        string      `yaml:"set" json:"set"`
	Version    int         `yaml:"version" json:"version"`
	Groups     []Group     `yaml:"groups" json:"groups"`
	Indicators []Indicator `yaml:"indicators" json:"indicators"`
}

// Group is a set of indicators read from the same view.
type Group struct {
	ID    string `yaml:"id" json:"id"`
	Title string `yaml:"title" json:"title"`
	// Sheet is the XLSX sheet name (at most 31 characters).
	Sheet string `yaml:"sheet" json:"sheet"`
	// Views maps a period kind to the view the group reads; a kind without
	// a view leaves the group out of reports of that kind.
	Views map[Kind]string `yaml:"views" json:"views"`
	// Levels are the default levels of the group's indicators.
	Levels []string `yaml:"levels" json:"levels"`
}

// Indicator is one reported figure.
type Indicator struct {
	Code  string `yaml:"code" json:"code"`
	Group string `yaml:"group" json:"group"`
	Name  string `yaml:"name" json:"name"`
	Unit  string `yaml:"unit" json:"unit"`
	// Column is the view column the indicator is at the view's grain
	// (empty for a ratio the view does not carry).
	Column    string   `yaml:"column" json:"column,omitempty"`
	Aggregate string   `yaml:"aggregate" json:"aggregate"`
	Numerator []string `yaml:"numerator" json:"numerator,omitempty"`
	// Denominator of a ratio; NULL when its sum is 0.
	Denominator []string `yaml:"denominator" json:"denominator,omitempty"`
	// Weight of a weighted mean of whole numbers: the number of items
	// each row's mean is over.
	Weight string `yaml:"weight" json:"weight,omitempty"`
	// Where restricts the rows aggregated: column = value.
	Where  map[string]string `yaml:"where" json:"where,omitempty"`
	Levels []string          `yaml:"levels" json:"levels"`
}

// IsCount reports whether the indicator's value is a whole number.
func (ind *Indicator) IsCount() bool {
	return ind.Aggregate == AggSum || ind.Aggregate == AggSumOrNull
}

// ReportedAt reports whether the indicator is reported for a unit of level.
// Units of unknown level carry every indicator, so that the rows add up to
// the province.
func (ind *Indicator) ReportedAt(level string) bool {
	return level == LevelUnknown || slices.Contains(ind.Levels, level)
}

// ReportedFor reports whether the indicator is reported for u: at its
// level, and for the province row only when it can be aggregated.
func (ind *Indicator) ReportedFor(u *Unit) bool {
	if ind.Aggregate == AggNone && u.Scope == ScopeProvince {
		return false
	}
	return ind.ReportedAt(u.Level)
}

// DefaultCatalogue is the catalogue kept in the repository.
func DefaultCatalogue() *Catalogue {
	c, err := ParseCatalogue(defaultCatalogue)
	if err != nil {
		panic("ktxhfeed: embedded catalogue.yaml: " + err.Error()) // a programmer error, caught by the tests
	}
	return c
}

// ParseCatalogue reads and checks a catalogue in YAML.
func ParseCatalogue(b []byte) (*Catalogue, error) {
	var c Catalogue
	if err := yaml.UnmarshalWithOptions(b, &c, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("parse catalogue: %w", err)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	return &c, nil
}

var (
	codeRe  = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)
	identRe = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	setRe   = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
)

func (c *Catalogue) validate() error {
	if !setRe.MatchString(c.Set) {
		return fmt.Errorf("set %q: want lowercase letters, digits and dashes", c.Set)
	}
	if c.Version < 1 {
		return errors.New("version must be 1 or more")
	}
	groups := map[string]*Group{}
	for i := range c.Groups {
		g := &c.Groups[i]
		if !identRe.MatchString(g.ID) || groups[g.ID] != nil {
			return fmt.Errorf("group %q: missing, malformed or duplicate id", g.ID)
		}
		groups[g.ID] = g
		if g.Title == "" || g.Sheet == "" || len([]rune(g.Sheet)) > 31 {
			return fmt.Errorf("group %s: title and sheet (at most 31 characters) are required", g.ID)
		}
		if len(g.Views) == 0 {
			return fmt.Errorf("group %s: no views", g.ID)
		}
		for k, v := range g.Views {
			if !k.valid() {
				return fmt.Errorf("group %s: unknown period kind %q", g.ID, k)
			}
			if !identRe.MatchString(v) {
				return fmt.Errorf("group %s: view %q is not an identifier", g.ID, v)
			}
		}
		if err := checkLevels(g.Levels); err != nil {
			return fmt.Errorf("group %s: %w", g.ID, err)
		}
	}
	codes := map[string]bool{}
	for i := range c.Indicators {
		ind := &c.Indicators[i]
		if !codeRe.MatchString(ind.Code) || codes[ind.Code] {
			return fmt.Errorf("indicator %q: missing, malformed or duplicate code", ind.Code)
		}
		codes[ind.Code] = true
		g := groups[ind.Group]
		if g == nil {
			return fmt.Errorf("indicator %s: unknown group %q", ind.Code, ind.Group)
		}
		if ind.Name == "" || ind.Unit == "" {
			return fmt.Errorf("indicator %s: name and unit are required", ind.Code)
		}
		if ind.Levels == nil {
			ind.Levels = g.Levels
		}
		if err := checkLevels(ind.Levels); err != nil {
			return fmt.Errorf("indicator %s: %w", ind.Code, err)
		}
		if err := ind.checkFormula(); err != nil {
			return fmt.Errorf("indicator %s: %w", ind.Code, err)
		}
	}
	return nil
}

func (ind *Indicator) checkFormula() error {
	idents := func(what string, cols ...string) error {
		for _, col := range cols {
			if !identRe.MatchString(col) {
				return fmt.Errorf("%s %q is not a column name", what, col)
			}
		}
		return nil
	}
	if ind.Column != "" {
		if err := idents("column", ind.Column); err != nil {
			return err
		}
	}
	for k := range ind.Where {
		if err := idents("where", k); err != nil {
			return err
		}
	}
	switch ind.Aggregate {
	case AggSum, AggSumOrNull, AggNone:
		if ind.Column == "" || ind.Numerator != nil || ind.Denominator != nil || ind.Weight != "" {
			return fmt.Errorf("%s takes a column and nothing else", ind.Aggregate)
		}
	case AggRatio, AggComplementRatio:
		if len(ind.Numerator) == 0 || len(ind.Denominator) == 0 || ind.Weight != "" {
			return fmt.Errorf("%s takes a numerator and a denominator", ind.Aggregate)
		}
		if err := idents("numerator", ind.Numerator...); err != nil {
			return err
		}
		return idents("denominator", ind.Denominator...)
	case AggWeightedMean:
		if ind.Column == "" || ind.Weight == "" || ind.Numerator != nil || ind.Denominator != nil {
			return fmt.Errorf("%s takes a column and a weight", ind.Aggregate)
		}
		return idents("weight", ind.Weight)
	default:
		return fmt.Errorf("unknown aggregate %q", ind.Aggregate)
	}
	return nil
}

func checkLevels(ls []string) error {
	if len(ls) == 0 {
		return errors.New("no levels")
	}
	for _, l := range ls {
		if !slices.Contains(levels, l) {
			return fmt.Errorf("unknown level %q (province, department, district, commune)", l)
		}
	}
	return nil
}

// Group returns the group with id, or nil.
func (c *Catalogue) Group(id string) *Group {
	for i := range c.Groups {
		if c.Groups[i].ID == id {
			return &c.Groups[i]
		}
	}
	return nil
}

// Indicator returns the indicator with code, or nil.
func (c *Catalogue) Indicator(code string) *Indicator {
	for i := range c.Indicators {
		if c.Indicators[i].Code == code {
			return &c.Indicators[i]
		}
	}
	return nil
}

// ForKind returns the indicators that have a view for kind, in order.
func (c *Catalogue) ForKind(k Kind) []*Indicator {
	var out []*Indicator
	for i := range c.Indicators {
		if c.Group(c.Indicators[i].Group).Views[k] != "" {
			out = append(out, &c.Indicators[i])
		}
	}
	return out
}
