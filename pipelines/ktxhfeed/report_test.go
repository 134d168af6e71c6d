package ktxhfeed

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/xuri/excelize/v2"
)

// viewRow is a row of a KPI view, numbers normalised (int64, float64,
// nil), text kept.
type viewRow map[string]any

func fetchView(t *testing.T, q Querier, view, month string) []viewRow {
	t.Helper()
	rows, err := q.Query(context.Background(), fmt.Sprintf("SELECT * FROM %s WHERE month = '%s'", view, month))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []viewRow
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		r := viewRow{}
		for i, c := range cols {
			if s, ok := vals[i].(string); ok {
				r[c] = s
				continue
			}
			v, err := normalise(vals[i])
			if err != nil {
				t.Fatalf("%s.%s: %v", view, c, err)
			}
			r[c] = v
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// expect computes an indicator over raw view rows in Go, independently of
// GroupSQL: sums of integers, rates from summed counts, means of whole
// numbers from their recovered sums. approx is never set by the current
// aggregates; it allows a tolerance for one whose last digits would depend
// on the order of summation.
func expect(ind *Indicator, rows []viewRow) (v any, approx bool) {
	var sel []viewRow
	for _, r := range rows {
		ok := true
		for k, want := range ind.Where {
			if r[k] != want {
				ok = false
			}
		}
		if ok {
			sel = append(sel, r)
		}
	}
	i64 := func(r viewRow, c string) (int64, bool) {
		x, ok := r[c].(int64)
		return x, ok
	}
	sumOf := func(r viewRow, cols []string) (int64, bool) {
		var s int64
		for _, c := range cols {
			x, ok := i64(r, c)
			if !ok {
				return 0, false
			}
			s += x
		}
		return s, true
	}
	switch ind.Aggregate {
	case AggSum, AggSumOrNull:
		var s int64
		any := false
		for _, r := range sel {
			if x, ok := i64(r, ind.Column); ok {
				s += x
				any = true
			}
		}
		if !any && ind.Aggregate == AggSumOrNull {
			return nil, false
		}
		return s, false
	case AggRatio, AggComplementRatio:
		var n, d int64
		for _, r := range sel {
			a, ok1 := sumOf(r, ind.Numerator)
			b, ok2 := sumOf(r, ind.Denominator)
			if ok1 && ok2 {
				n += a
				d += b
			}
		}
		if d == 0 {
			return nil, false
		}
		if ind.Aggregate == AggComplementRatio {
			return 1 - float64(n)/float64(d), false
		}
		return float64(n) / float64(d), false
	case AggWeightedMean:
		var s float64
		var w int64
		for _, r := range sel {
			m, ok1 := r[ind.Column].(float64)
			x, ok2 := i64(r, ind.Weight)
			if ok1 && ok2 {
				s += math.Round(m * float64(x))
				w += x
			}
		}
		if w == 0 {
			return nil, false
		}
		return s / float64(w), false
	case AggNone:
		if len(sel) != 1 {
			return nil, false
		}
		return sel[0][ind.Column], false
	}
	panic(ind.Aggregate)
}

func sameValue(got, want any, approx bool) bool {
	if g, ok := got.(float64); ok {
		w, ok := want.(float64)
		if !ok {
			return false
		}
		if approx {
			return math.Abs(g-w) <= 1e-12*math.Max(1, math.Abs(w))
		}
		return g == w
	}
	return got == want
}

// expected is the independent expectation of a report: per unit ID, per
// indicator code.
type expected map[string]map[string]struct {
	v      any
	approx bool
}

func expectReport(t *testing.T, q Querier, c *Catalogue, r *Report) expected {
	t.Helper()
	views := map[string][]viewRow{}
	out := expected{}
	for _, u := range r.Units {
		out[u.ID()] = map[string]struct {
			v      any
			approx bool
		}{}
		for _, ind := range r.Indicators {
			view := c.Group(ind.Group).Views[r.Period.Kind]
			rows, ok := views[view]
			if !ok {
				rows = fetchView(t, q, view, r.Period.ID())
				views[view] = rows
			}
			if u.Scope == ScopeAgency {
				var mine []viewRow
				for _, row := range rows {
					if row["agency_code"] == u.AgencyCode {
						mine = append(mine, row)
					}
				}
				rows = mine
			}
			v, approx := expect(ind, rows)
			out[u.ID()][ind.Code] = struct {
				v      any
				approx bool
			}{v, approx}
		}
	}
	return out
}

func TestReportMatchesViews(t *testing.T) {
	q := sharedWarehouse(t)
	c := DefaultCatalogue()
	for _, kind := range []Kind{KindMonth, KindReport} {
		t.Run(string(kind), func(t *testing.T) {
			p, _ := ParsePeriod(kind, "2019-09")
			r, err := Build(context.Background(), q, c, p)
			if err != nil {
				t.Fatal(err)
			}
			if r.Units[0].Scope != ScopeProvince || len(r.Units) < 100 {
				t.Fatalf("units: province first and every agency expected, got %d units, first %+v", len(r.Units), r.Units[0])
			}
			want := expectReport(t, q, c, r)
			checked := 0
			for _, u := range r.Units {
				for _, ind := range r.Indicators {
					got, ok := u.Values[ind.Code]
					if ok != ind.ReportedFor(u) {
						t.Fatalf("%s %s: reported=%v at level %s", u.ID(), ind.Code, ok, u.Level)
					}
					if !ok {
						continue
					}
					w := want[u.ID()][ind.Code]
					if !sameValue(got, w.v, w.approx) {
						t.Errorf("%s %s: report %v (%T), views %v (%T)", u.ID(), ind.Code, got, got, w.v, w.v)
					}
					checked++
				}
			}
			// The province row is the sum of every agency row.
			for _, ind := range r.Indicators {
				if ind.Aggregate != AggSum || len(ind.Levels) != len(levels) {
					continue
				}
				var sum int64
				for _, u := range r.Units[1:] {
					sum += u.Values[ind.Code].(int64)
				}
				if got := r.Units[0].Values[ind.Code]; got != sum {
					t.Errorf("%s: province %v, sum of agencies %d", ind.Code, got, sum)
				}
			}
			if got := r.Units[0].Values["onestop.received"].(int64); got == 0 {
				t.Errorf("no dossiers received in %s: the test lake is empty", p)
			}
			t.Logf("%s: %d units, %d values checked", p, len(r.Units), checked)
		})
	}
}

// At the view's grain (an agency with one row in the view) a rate is the
// view's own column, to the last digit.
func TestRatesEqualViewColumnsAtGrain(t *testing.T) {
	q := sharedWarehouse(t)
	c := DefaultCatalogue()
	p, _ := ParsePeriod(KindMonth, "2019-09")
	r, err := Build(context.Background(), q, c, p)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ind := range r.Indicators {
		if ind.IsCount() || ind.Column == "" || len(ind.Where) > 0 {
			continue
		}
		rows := fetchView(t, q, c.Group(ind.Group).Views[p.Kind], p.ID())
		byAgency := map[string][]viewRow{}
		for _, row := range rows {
			a := row["agency_code"].(string)
			byAgency[a] = append(byAgency[a], row)
		}
		for a, rs := range byAgency {
			if len(rs) != 1 {
				continue
			}
			u := r.Unit(a)
			if u == nil {
				t.Fatalf("agency %s of %s missing from the report", a, ind.Group)
			}
			got, ok := u.Values[ind.Code]
			if !ok {
				continue
			}
			if want := rs[0][ind.Column]; !sameValue(got, want, false) {
				t.Errorf("%s %s: report %v, view column %s %v", a, ind.Code, got, ind.Column, want)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no agency with a single view row: nothing compared")
	}
	t.Logf("%d rates compared with their view column", n)
}

func compileSchema(t *testing.T, ptr string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaID + ptr)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, b []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(inst); err != nil {
		t.Fatalf("schema: %v", err)
	}
}

func TestReportFormats(t *testing.T) {
	q := sharedWarehouse(t)
	c := DefaultCatalogue()
	for _, kind := range []Kind{KindMonth, KindReport} {
		t.Run(string(kind), func(t *testing.T) {
			p, _ := ParsePeriod(kind, "2019-09")
			r, err := Build(context.Background(), q, c, p)
			if err != nil {
				t.Fatal(err)
			}
			want := expectReport(t, q, c, r)
			t.Run("json", func(t *testing.T) { checkJSON(t, r, c, want) })
			t.Run("csv", func(t *testing.T) { checkCSV(t, r, want) })
			t.Run("xlsx", func(t *testing.T) { checkXLSX(t, r, c, want) })
		})
	}
}

func checkJSON(t *testing.T, r *Report, c *Catalogue, want expected) {
	var b bytes.Buffer
	if err := WriteJSON(&b, r, c); err != nil {
		t.Fatal(err)
	}
	validate(t, compileSchema(t, ""), b.Bytes())
	var doc struct {
		Units []struct {
			Scope, AgencyCode string
			Values            map[string]json.Number
		}
	}
	dec := json.NewDecoder(&b)
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for i, u := range doc.Units {
		id := r.Units[i].ID()
		for code, num := range u.Values {
			w := want[id][code]
			var got any
			switch {
			case num == "":
				got = nil
			case strings.ContainsAny(string(num), ".eE"):
				got, _ = num.Float64()
			default:
				got, _ = num.Int64()
				if _, isF := w.v.(float64); isF { // a whole rate, e.g. 1
					got, _ = num.Float64()
				}
			}
			if !sameValue(got, w.v, w.approx) {
				t.Errorf("json %s %s: %v, views %v", id, code, num, w.v)
			}
		}
	}
	// Each unit's feed document is valid too.
	item := compileSchema(t, "#/$defs/item")
	for _, u := range r.Units[:5] {
		b, err := r.ItemJSON(u)
		if err != nil {
			t.Fatal(err)
		}
		validate(t, item, b)
	}
}

func checkCSV(t *testing.T, r *Report, want expected) {
	var b bytes.Buffer
	if err := WriteCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != strings.Join(CSVHeader, ",") {
		t.Fatalf("header %v", recs[0])
	}
	n := 0
	for _, rec := range recs[1:] {
		id := rec[5]
		if rec[4] == ScopeProvince {
			id = ScopeProvince
		}
		w, ok := want[id][rec[9]]
		if !ok {
			t.Fatalf("csv row for unknown unit/indicator %s %s", id, rec[9])
		}
		if !cellMatches(rec[12], w.v, w.approx) {
			t.Errorf("csv %s %s: %q, views %v", id, rec[9], rec[12], w.v)
		}
		n++
	}
	total := 0
	for _, u := range r.Units {
		total += len(u.Values)
	}
	if n != total {
		t.Errorf("csv has %d values, report %d", n, total)
	}
}

// cellMatches compares a text cell (CSV or raw XLSX) with a value.
func cellMatches(s string, want any, approx bool) bool {
	switch w := want.(type) {
	case nil:
		return s == ""
	case int64:
		return s == strconv.FormatInt(w, 10)
	case float64:
		f, err := strconv.ParseFloat(s, 64)
		return err == nil && sameValue(f, w, approx)
	}
	return false
}

func checkXLSX(t *testing.T, r *Report, c *Catalogue, want expected) {
	var b bytes.Buffer
	if err := WriteXLSX(&b, r, c); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw := excelize.Options{RawCellValue: true}
	get := func(sheet string, col, row int) string {
		v, err := f.GetCellValue(sheet, cell(col, row), raw)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	agencies := 0
	for _, u := range r.Units {
		if u.Scope == ScopeAgency {
			agencies++
		}
	}
	// rowsOf maps each data row of a sheet to its unit ID.
	rowsOf := func(sheet string, first int) map[int]string {
		out := map[int]string{}
		n := 0
		for row := first; ; row++ {
			stt, code := get(sheet, 1, row), get(sheet, 2, row)
			if stt == "" && code == "" {
				break
			}
			switch {
			case row == first:
				if code != r.Units[0].AgencyCode || !strings.HasPrefix(get(sheet, 3, row), "Tổng cộng") {
					t.Fatalf("%s: first row %q %q is not the province", sheet, code, get(sheet, 3, row))
				}
				out[row] = ScopeProvince
			case stt == "I" || stt == "II" || stt == "III" || stt == "IV" || stt == "V": // a level's heading
			default:
				if _, err := strconv.Atoi(stt); err != nil {
					t.Fatalf("%s row %d: STT %q", sheet, row, stt)
				}
				out[row] = code
				n++
			}
		}
		if n != agencies {
			t.Fatalf("%s: %d agency rows, report has %d agencies", sheet, n, agencies)
		}
		return out
	}

	// Sheet II.06a: the form's headers and columns.
	for _, h := range []struct {
		col, row int
		text     string
	}{{4, 5, "Số hồ sơ nhận giải quyết"}, {9, 5, "Kết quả giải quyết"}, {5, 7, "Trực tuyến"}, {6, 7, "Trực tiếp"},
		{7, 7, "Dịch vụ bưu chính công ích"}, {8, 6, "Số kỳ trước chuyển qua"}, {9, 6, "Số hồ sơ đã giải quyết"},
		{10, 7, "Trước hạn"}, {11, 7, "Đúng hạn"}, {12, 7, "Quá hạn"}, {13, 6, "Số hồ sơ đang giải quyết"},
		{14, 7, "Trong hạn"}, {15, 7, "Quá hạn"}} {
		if got := get(formSheet, h.col, h.row); got != h.text {
			t.Errorf("II.06a %s: %q, want %q", cell(h.col, h.row), got, h.text)
		}
	}
	cells := 0
	for row, id := range rowsOf(formSheet, formFirstData) {
		for i, fc := range formCols {
			var sum int64
			for _, code := range fc.codes {
				sum += want[id][code].v.(int64)
			}
			if got := get(formSheet, 4+i, row); got != strconv.FormatInt(sum, 10) {
				t.Errorf("II.06a %s (%s, %v): %q, views %d", cell(4+i, row), id, fc.codes, got, sum)
			}
			cells++
		}
	}
	// Form identities: received + carried over = resolved + in progress.
	for row := range rowsOf(formSheet, formFirstData) {
		n := func(col int) int64 { v, _ := strconv.ParseInt(get(formSheet, col, row), 10, 64); return v }
		if n(4) != n(5)+n(6)+n(7)+n(8) || n(9) != n(10)+n(11)+n(12) || n(13) != n(14)+n(15) {
			t.Errorf("II.06a row %d: the form's totals do not add up", row)
		}
	}

	// A sheet per other group: one column per indicator, its code in row 6.
	for _, g := range c.Groups {
		if g.ID == "onestop" || g.Views[r.Period.Kind] == "" {
			if _, err := f.GetSheetIndex(g.Sheet); g.ID != "onestop" && g.Views[r.Period.Kind] == "" && err == nil {
				if idx, _ := f.GetSheetIndex(g.Sheet); idx >= 0 {
					t.Errorf("sheet %s present for kind %s without a view", g.Sheet, r.Period.Kind)
				}
			}
			continue
		}
		var codes []string
		for col := 5; ; col++ {
			code := get(g.Sheet, col, 6)
			if code == "" {
				break
			}
			codes = append(codes, code)
		}
		var wantCodes []string
		for _, ind := range r.Indicators {
			if ind.Group == g.ID {
				wantCodes = append(wantCodes, ind.Code)
			}
		}
		if strings.Join(codes, ",") != strings.Join(wantCodes, ",") {
			t.Fatalf("sheet %s columns %v, want %v", g.Sheet, codes, wantCodes)
		}
		for row, id := range rowsOf(g.Sheet, groupFirstRow) {
			u := r.Unit(id)
			for i, code := range codes {
				got := get(g.Sheet, 5+i, row)
				if !c.Indicator(code).ReportedFor(u) {
					if got != "" {
						t.Errorf("%s %s: %q for an indicator not reported at level %s", g.Sheet, cell(5+i, row), got, u.Level)
					}
					continue
				}
				w := want[id][code]
				if !cellMatches(got, w.v, w.approx) {
					t.Errorf("%s %s (%s %s): %q, views %v", g.Sheet, cell(5+i, row), id, code, got, w.v)
				}
				cells++
			}
		}
	}
	if n := len(f.GetSheetList()); n < 2 {
		t.Errorf("%d sheets", n)
	}
	t.Logf("%d cells compared with the views", cells)
}
