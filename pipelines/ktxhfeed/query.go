package ktxhfeed

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"sort"
	"strings"
)

// Querier runs one read-only SQL statement over the warehouse views
// (*warehouse.Warehouse is one).
type Querier interface {
	Query(ctx context.Context, q string) (*sql.Rows, error)
}

var monthRe = regexp.MustCompile(`^\d{4}-\d{2}$`)

// GroupSQL is the one statement that computes a group's indicators for the
// given months ('YYYY-MM', naming periods of kind k): a row per (month,
// agency_code) and a province row per month with agency_code NULL and
// total true, then one column per indicator named by its code. Reports and
// the feed read exactly this; a dashboard that shows the same figures runs
// the same statement.
func (c *Catalogue) GroupSQL(groupID string, k Kind, months ...string) (string, error) {
	g := c.Group(groupID)
	if g == nil {
		return "", fmt.Errorf("unknown group %q", groupID)
	}
	view := g.Views[k]
	if view == "" {
		return "", fmt.Errorf("group %s has no view for period kind %s", g.ID, k)
	}
	if len(months) == 0 {
		return "", fmt.Errorf("group %s: no months", g.ID)
	}
	quoted := make([]string, len(months))
	for i, m := range months {
		if !monthRe.MatchString(m) {
			return "", fmt.Errorf("month %q: want YYYY-MM", m)
		}
		quoted[i] = sqlString(m)
	}
	var b strings.Builder
	b.WriteString("SELECT month, agency_code, grouping(agency_code) = 1 AS total")
	for i := range c.Indicators {
		ind := &c.Indicators[i]
		if ind.Group != g.ID {
			continue
		}
		fmt.Fprintf(&b, ",\n  %s AS %s", ind.expr(), sqlIdent(ind.Code))
	}
	fmt.Fprintf(&b, "\nFROM %s\nWHERE month IN (%s)\nGROUP BY GROUPING SETS ((month, agency_code), (month))\nORDER BY month, total DESC, agency_code",
		view, strings.Join(quoted, ", "))
	return b.String(), nil
}

// expr is the indicator's aggregate over the rows of one group.
func (ind *Indicator) expr() string {
	var conds []string
	keys := make([]string, 0, len(ind.Where))
	for k := range ind.Where {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		conds = append(conds, fmt.Sprintf("%s = %s", k, sqlString(ind.Where[k])))
	}
	filter := func(extra ...string) string {
		all := append(append([]string(nil), conds...), extra...)
		if len(all) == 0 {
			return ""
		}
		return " FILTER (WHERE " + strings.Join(all, " AND ") + ")"
	}
	notNull := func(cols ...string) []string {
		out := make([]string, len(cols))
		for i, c := range cols {
			out[i] = c + " IS NOT NULL"
		}
		return out
	}
	ratio := func(num, den []string) string {
		f := filter(notNull(append(append([]string(nil), num...), den...)...)...)
		return fmt.Sprintf("CAST(sum(%s)%s AS DOUBLE) / nullif(CAST(sum(%s)%s AS DOUBLE), 0)",
			strings.Join(num, " + "), f, strings.Join(den, " + "), f)
	}
	switch ind.Aggregate {
	case AggSum:
		return fmt.Sprintf("coalesce(sum(%s)%s, 0)", ind.Column, filter())
	case AggSumOrNull:
		return fmt.Sprintf("sum(%s)%s", ind.Column, filter())
	case AggRatio:
		return ratio(ind.Numerator, ind.Denominator)
	case AggComplementRatio:
		return "1 - " + ratio(ind.Numerator, ind.Denominator)
	case AggWeightedMean:
		// mean × count is the whole sum it was computed from, so the result
		// is the mean over all the rows' items, as the view would give it.
		f := filter(notNull(ind.Column, ind.Weight)...)
		return fmt.Sprintf("CAST(sum(round(%[1]s * %[2]s))%[3]s AS DOUBLE) / nullif(CAST(sum(%[2]s)%[3]s AS DOUBLE), 0)",
			ind.Column, ind.Weight, f)
	case AggNone:
		f := filter(ind.Column + " IS NOT NULL")
		return fmt.Sprintf("CASE WHEN count(*)%[2]s = 1 AND count(*)%[3]s = 1 THEN max(%[1]s)%[2]s END", ind.Column, f, filter())
	}
	panic("ktxhfeed: unchecked aggregate " + ind.Aggregate)
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
func sqlIdent(s string) string  { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// groupRow is one row of a GroupSQL result.
type groupRow struct {
	month, agency string
	total         bool
	values        []any
}

// queryGroup runs GroupSQL and returns its rows with normalised values
// (int64, float64 or nil), in the order of the group's indicators.
func (c *Catalogue) queryGroup(ctx context.Context, q Querier, groupID string, k Kind, months []string) ([]groupRow, error) {
	stmt, err := c.GroupSQL(groupID, k, months...)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, stmt)
	if err != nil {
		return nil, fmt.Errorf("query group %s: %w", groupID, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	n := len(cols) - 3
	var out []groupRow
	for rows.Next() {
		var month sql.NullString
		var agency sql.NullString
		var total bool
		vals := make([]any, n)
		dest := []any{&month, &agency, &total}
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("scan group %s: %w", groupID, err)
		}
		for i, v := range vals {
			if vals[i], err = normalise(v); err != nil {
				return nil, fmt.Errorf("group %s column %s: %w", groupID, cols[i+3], err)
			}
		}
		out = append(out, groupRow{month: month.String, agency: agency.String, total: total, values: vals})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read group %s: %w", groupID, err)
	}
	return out, nil
}

// normalise turns a scanned value into int64, float64 or nil.
func normalise(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, fmt.Errorf("%d overflows int64", x)
		}
		return int64(x), nil
	case *big.Int:
		if !x.IsInt64() {
			return nil, fmt.Errorf("%s overflows int64", x)
		}
		return x.Int64(), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, nil
		}
		return x, nil
	case float32:
		return normalise(float64(x))
	case interface{ Float64() float64 }: // DECIMAL
		return normalise(x.Float64())
	}
	return nil, fmt.Errorf("unexpected value %v (%T)", v, v)
}

// agencyRow is a row of dim_agency.
type agencyRow struct {
	code, name, level, parent string
	validFrom, validTo        string // YYYY-MM-DD, "" = open
}

func queryAgencies(ctx context.Context, q Querier) ([]agencyRow, error) {
	rows, err := q.Query(ctx, `SELECT agency_code, name, level, parent_code,
  CAST(valid_from AS VARCHAR) AS valid_from, CAST(valid_to AS VARCHAR) AS valid_to
FROM dim_agency ORDER BY agency_code`)
	if err != nil {
		return nil, fmt.Errorf("query dim_agency: %w", err)
	}
	defer rows.Close()
	var out []agencyRow
	for rows.Next() {
		var code, name, level, parent, from, to sql.NullString
		if err := rows.Scan(&code, &name, &level, &parent, &from, &to); err != nil {
			return nil, fmt.Errorf("scan dim_agency: %w", err)
		}
		out = append(out, agencyRow{code.String, name.String, level.String, parent.String, from.String, to.String})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read dim_agency: %w", err)
	}
	return out, nil
}

// validIn reports whether the agency existed during the period.
func (a agencyRow) validIn(p Period) bool {
	return (a.validFrom == "" || a.validFrom <= p.LastDay()) && (a.validTo == "" || a.validTo >= p.FirstDay())
}
