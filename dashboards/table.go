package dashboards

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Column kinds: how a cell is shown, and its type in CSV and XLSX.
const (
	kText  = "text"
	kInt   = "int"
	kDec1  = "dec1"
	kPct   = "pct"
	kMonth = "month"
)

// table is a table of a page: shown as HTML, downloadable as CSV and XLSX.
type table struct {
	ID, Title string
	Cols      []col
	Rows      []*trow
	Foot      *trow
	// Note is shown under the table.
	Note string
	// Downloads are filled by the page: format → URL.
	CSV, XLSX string
}

type col struct {
	Label string
	Kind  string
}

func (c col) Numeric() bool { return c.Kind != kText && c.Kind != kMonth }

type trow struct {
	Cells []cell
	Class string
}

// cell is what a reader sees (Text) and what a file holds (Raw: string,
// int64, float64 or nil).
type cell struct {
	Text  string
	Raw   any
	Link  string
	Class string
}

// row builds a row with cells formatted by the table's column kinds.
func (t *table) row(l Lang, vals ...any) *trow {
	r := &trow{}
	for i, v := range vals {
		kind := kText
		if i < len(t.Cols) {
			kind = t.Cols[i].Kind
		}
		r.Cells = append(r.Cells, mkCell(l, kind, v))
	}
	return r
}

func (t *table) add(l Lang, vals ...any) *trow {
	r := t.row(l, vals...)
	t.Rows = append(t.Rows, r)
	return r
}

// mkCell formats v for kind. v may be a string, an int64, a float64, a
// *float64 (nil = NULL) or a Month.
func mkCell(l Lang, kind string, v any) cell {
	switch x := v.(type) {
	case nil:
		return cell{Text: "–"}
	case *float64:
		if x == nil {
			return cell{Text: "–"}
		}
		return mkCell(l, kind, *x)
	case Month:
		return cell{Text: x.Label(), Raw: x.String()}
	case string:
		return cell{Text: x, Raw: x}
	case int:
		return mkCell(l, kind, int64(x))
	case int64:
		switch kind {
		case kPct:
			return mkCell(l, kind, float64(x))
		case kDec1:
			return cell{Text: l.Dec(float64(x), 1), Raw: float64(x)}
		}
		return cell{Text: l.Int(x), Raw: x}
	case float64:
		switch kind {
		case kPct:
			return cell{Text: l.Pct(&x), Raw: x}
		case kInt:
			return cell{Text: l.Dec(x, 0), Raw: x}
		}
		return cell{Text: l.Dec(x, 1), Raw: x}
	}
	s := fmt.Sprint(v)
	return cell{Text: s, Raw: s}
}

// writeCSV writes the table with a header row, numbers in plain machine
// form (rates as fractions) and a UTF-8 byte-order mark so that
// spreadsheet programs read Vietnamese text right.
func (t *table) writeCSV(w io.Writer) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	head := make([]string, len(t.Cols))
	for i, c := range t.Cols {
		head[i] = c.Label
		if c.Kind == kPct {
			head[i] += " (0-1)"
		}
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	rows := t.Rows
	if t.Foot != nil {
		rows = append(rows[:len(rows):len(rows)], t.Foot)
	}
	rec := make([]string, len(t.Cols))
	for _, r := range rows {
		for i := range rec {
			rec[i] = ""
			if i < len(r.Cells) {
				rec[i] = rawText(r.Cells[i].Raw)
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func rawText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return fmt.Sprintf("%.10g", x)
	}
	return fmt.Sprint(v)
}

// writeXLSX writes the table as a workbook of one sheet: a title row, the
// header, typed cells with number formats (Excel shows them with the
// reader's separators) and frozen header rows.
func (t *table) writeXLSX(w io.Writer, subtitle string) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := sheetName(t.Title)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DCE6F1"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"}})
	if err != nil {
		return err
	}
	numFmt := map[string]int{}
	for kind, code := range map[string]string{kInt: "#,##0", kDec1: "#,##0.0", kPct: "0.0%"} {
		id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		if err != nil {
			return err
		}
		numFmt[kind] = id
	}
	set := func(c, r int, v any) error {
		name, _ := excelize.CoordinatesToCellName(c, r)
		return f.SetCellValue(sheet, name, v)
	}
	if err := set(1, 1, t.Title); err != nil {
		return err
	}
	f.SetCellStyle(sheet, "A1", "A1", bold)
	if subtitle != "" {
		set(1, 2, subtitle)
	}
	const headRow = 3
	widths := make([]int, len(t.Cols))
	for i, c := range t.Cols {
		if err := set(i+1, headRow, c.Label); err != nil {
			return err
		}
		widths[i] = min(40, max(10, utf8.RuneCountInString(c.Label)/2+2))
	}
	first, _ := excelize.CoordinatesToCellName(1, headRow)
	last, _ := excelize.CoordinatesToCellName(len(t.Cols), headRow)
	f.SetCellStyle(sheet, first, last, head)
	rows := t.Rows
	if t.Foot != nil {
		rows = append(rows[:len(rows):len(rows)], t.Foot)
	}
	for ri, r := range rows {
		for ci, c := range r.Cells {
			if ci >= len(t.Cols) || c.Raw == nil {
				continue
			}
			if err := set(ci+1, headRow+1+ri, c.Raw); err != nil {
				return err
			}
			if s, ok := c.Raw.(string); ok {
				widths[ci] = min(60, max(widths[ci], utf8.RuneCountInString(s)+2))
			}
		}
	}
	if len(rows) > 0 {
		for ci, c := range t.Cols {
			if id, ok := numFmt[c.Kind]; ok {
				a, _ := excelize.CoordinatesToCellName(ci+1, headRow+1)
				b, _ := excelize.CoordinatesToCellName(ci+1, headRow+len(rows))
				f.SetCellStyle(sheet, a, b, id)
			}
		}
	}
	for i, wd := range widths {
		name, _ := excelize.ColumnNumberToName(i + 1)
		f.SetColWidth(sheet, name, name, float64(wd))
	}
	f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: headRow, TopLeftCell: "A4", ActivePane: "bottomLeft"})
	return f.Write(w)
}

// sheetName makes a valid worksheet name: at most 31 characters, none of
// []:*?/\.
func sheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return ' '
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > 31 {
		s = string([]rune(s)[:31])
	}
	if strings.TrimSpace(s) == "" {
		return "Sheet1"
	}
	return s
}
