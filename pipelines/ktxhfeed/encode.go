package ktxhfeed

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// The JSON documents (schema/report.schema.json, schema/feed.schema.json).

type periodJSON struct {
	Kind     Kind   `json:"kind"`
	ID       string `json:"id"`
	FirstDay string `json:"first_day"`
	LastDay  string `json:"last_day"`
}

type indicatorJSON struct {
	Code        string            `json:"code"`
	Name        string            `json:"name"`
	Unit        string            `json:"unit"`
	Group       string            `json:"group"`
	View        string            `json:"view"`
	Column      string            `json:"column,omitempty"`
	Aggregate   string            `json:"aggregate"`
	Numerator   []string          `json:"numerator,omitempty"`
	Denominator []string          `json:"denominator,omitempty"`
	Weight      string            `json:"weight,omitempty"`
	Where       map[string]string `json:"where,omitempty"`
	Levels      []string          `json:"levels"`
}

type unitJSON struct {
	Scope      string         `json:"scope"`
	AgencyCode string         `json:"agency_code"`
	Name       string         `json:"name"`
	Level      string         `json:"level"`
	ParentCode *string        `json:"parent_code"`
	Values     map[string]any `json:"values"`
}

type reportJSON struct {
	IndicatorSet string          `json:"indicator_set"`
	Version      int             `json:"indicator_set_version"`
	Period       periodJSON      `json:"period"`
	GeneratedAt  string          `json:"generated_at"`
	Indicators   []indicatorJSON `json:"indicators"`
	Units        []unitJSON      `json:"units"`
}

// ItemJSON is the document the feed sends for one unit of one period.
type itemJSON struct {
	IdempotencyKey string     `json:"idempotency_key"`
	IndicatorSet   string     `json:"indicator_set"`
	Version        int        `json:"indicator_set_version"`
	Period         periodJSON `json:"period"`
	GeneratedAt    string     `json:"generated_at"`
	Unit           unitJSON   `json:"unit"`
}

func (r *Report) periodJSON() periodJSON {
	return periodJSON{Kind: r.Period.Kind, ID: r.Period.ID(), FirstDay: r.Period.FirstDay(), LastDay: r.Period.LastDay()}
}

func unitToJSON(u *Unit) unitJSON {
	j := unitJSON{Scope: u.Scope, AgencyCode: u.AgencyCode, Name: u.Name, Level: u.Level, Values: u.Values}
	if u.ParentCode != "" {
		p := u.ParentCode
		j.ParentCode = &p
	}
	return j
}

func (r *Report) toJSON(c *Catalogue) reportJSON {
	out := reportJSON{IndicatorSet: r.Set, Version: r.Version, Period: r.periodJSON(),
		GeneratedAt: r.GeneratedAt.Format(time.RFC3339), Indicators: []indicatorJSON{}, Units: []unitJSON{}}
	for _, ind := range r.Indicators {
		view := ""
		if c != nil {
			view = c.Group(ind.Group).Views[r.Period.Kind]
		}
		out.Indicators = append(out.Indicators, indicatorJSON{Code: ind.Code, Name: ind.Name, Unit: ind.Unit, Group: ind.Group,
			View: view, Column: ind.Column, Aggregate: ind.Aggregate, Numerator: ind.Numerator, Denominator: ind.Denominator,
			Weight: ind.Weight, Where: ind.Where, Levels: ind.Levels})
	}
	for _, u := range r.Units {
		out.Units = append(out.Units, unitToJSON(u))
	}
	return out
}

// WriteJSON writes the report as one JSON document (report.schema.json).
// c, the catalogue the report was built from, names each indicator's view.
func WriteJSON(w io.Writer, r *Report, c *Catalogue) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r.toJSON(c))
}

// ItemJSON is the feed document of one unit of the report
// (feed.schema.json).
func (r *Report) ItemJSON(u *Unit) ([]byte, error) {
	b, err := json.Marshal(itemJSON{IdempotencyKey: r.Key(u), IndicatorSet: r.Set, Version: r.Version,
		Period: r.periodJSON(), GeneratedAt: r.GeneratedAt.Format(time.RFC3339), Unit: unitToJSON(u)})
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", r.Period, u.ID(), err)
	}
	return b, nil
}

// CSVHeader is the header of WriteCSV: the long format, one row per unit
// and indicator reported at the unit's level.
var CSVHeader = []string{"period_kind", "period", "first_day", "last_day", "scope", "agency_code", "agency_name",
	"level", "parent_code", "indicator_code", "indicator_name", "unit", "value"}

// WriteCSV writes the report in the long format (CSVHeader). value is an
// integer for counts, the shortest exact decimal for other numbers, and
// empty for NULL.
func WriteCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, u := range r.Units {
		for _, ind := range r.Indicators {
			v, ok := u.Values[ind.Code]
			if !ok {
				continue
			}
			rec := []string{string(r.Period.Kind), r.Period.ID(), r.Period.FirstDay(), r.Period.LastDay(), u.Scope, u.AgencyCode,
				u.Name, u.Level, u.ParentCode, ind.Code, ind.Name, ind.Unit, FormatValue(v)}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// FormatValue renders a value as text: integers in decimal, floats as the
// shortest decimal that reads back to the same float64, NULL as "".
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return ""
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
