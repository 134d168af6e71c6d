package ktxhfeed

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// The XLSX workbook: the dossier counts on sheet II.06a in the layout of
// form II.06a/VPCP/KSTT, a sheet per other group (one column per
// indicator), and the catalogue. Cells hold the exact values (a rate is
// the fraction, shown as a percentage); NULL is an empty cell.

// formCol is a data column of sheet II.06a: the sum of its indicators.
type formCol struct {
	codes []string
}

// formCols are columns D.. of sheet II.06a. "Trong hạn" counts the dossiers
// paused for a supplement too (their deadline does not run, Decree 61/2018),
// and the last column shows those separately.
var formCols = []formCol{
	{[]string{"onestop.received", "onestop.carried_over"}}, // Tổng số nhận giải quyết
	{[]string{"onestop.received_online"}},
	{[]string{"onestop.received_direct"}},
	{[]string{"onestop.received_postal"}},
	{[]string{"onestop.carried_over"}},
	{[]string{"onestop.resolved"}},
	{[]string{"onestop.resolved_early"}},
	{[]string{"onestop.resolved_on_time"}},
	{[]string{"onestop.resolved_late"}},
	{[]string{"onestop.open_end"}},
	{[]string{"onestop.open_within", "onestop.open_paused"}},
	{[]string{"onestop.open_overdue"}},
	{[]string{"onestop.open_paused"}},
}

const (
	formSheet     = "II.06a"
	formFirstData = 9 // first data row of sheet II.06a
	groupFirstRow = 7 // first data row of a group sheet
	catalogueName = "Danh mục chỉ tiêu"
)

var levelTitles = []struct{ level, roman, title string }{
	{LevelProvince, "I", "Cấp tỉnh (UBND tỉnh)"},
	{LevelDepartment, "II", "Sở, ban, ngành tỉnh"},
	{LevelDistrict, "III", "UBND cấp huyện"},
	{LevelCommune, "IV", "UBND cấp xã"},
	{LevelUnknown, "V", "Đơn vị chưa có trong danh mục"},
}

type xlsxWriter struct {
	f      *excelize.File
	r      *Report
	c      *Catalogue
	styles map[string]int
	err    error
}

// WriteXLSX writes the report as an XLSX workbook.
func WriteXLSX(w io.Writer, r *Report, c *Catalogue) error {
	f := excelize.NewFile()
	defer f.Close()
	x := &xlsxWriter{f: f, r: r, c: c, styles: map[string]int{}}
	x.makeStyles()
	first := true
	for _, g := range c.Groups {
		if g.Views[r.Period.Kind] == "" {
			continue
		}
		name := g.Sheet
		if g.ID == "onestop" {
			name = formSheet
		}
		if first {
			x.check(f.SetSheetName("Sheet1", name))
			first = false
		} else {
			_, err := f.NewSheet(name)
			x.check(err)
		}
		if g.ID == "onestop" {
			x.formSheet(name)
		} else {
			x.groupSheet(name, &g)
		}
	}
	if first {
		x.check(f.SetSheetName("Sheet1", catalogueName))
	} else {
		_, err := f.NewSheet(catalogueName)
		x.check(err)
	}
	x.catalogueSheet()
	x.check(f.SetDocProps(&excelize.DocProperties{Creator: "ktxh", Title: fmt.Sprintf("Chỉ tiêu CCHC %s", r.Period)}))
	if x.err != nil {
		return fmt.Errorf("build xlsx: %w", x.err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

func (x *xlsxWriter) check(err error) {
	if err != nil && x.err == nil {
		x.err = err
	}
}

func (x *xlsxWriter) makeStyles() {
	border := []excelize.Border{{Type: "left", Color: "000000", Style: 1}, {Type: "right", Color: "000000", Style: 1},
		{Type: "top", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1}}
	pct, mean := "0.00%", "0.00"
	defs := map[string]*excelize.Style{
		"title":  {Font: &excelize.Font{Bold: true, Size: 13}, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}},
		"bold":   {Font: &excelize.Font{Bold: true}},
		"italic": {Font: &excelize.Font{Italic: true}, Alignment: &excelize.Alignment{Horizontal: "center"}},
		"head": {Font: &excelize.Font{Bold: true}, Border: border, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}},
		"colno":   {Font: &excelize.Font{Italic: true}, Border: border, Alignment: &excelize.Alignment{Horizontal: "center"}},
		"text":    {Border: border, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}},
		"section": {Font: &excelize.Font{Bold: true}, Border: border},
		"count":   {Border: border, NumFmt: 3},
		"rate":    {Border: border, CustomNumFmt: &pct},
		"mean":    {Border: border, CustomNumFmt: &mean},
		"tcount":  {Border: border, NumFmt: 3, Font: &excelize.Font{Bold: true}},
		"trate":   {Border: border, CustomNumFmt: &pct, Font: &excelize.Font{Bold: true}},
		"tmean":   {Border: border, CustomNumFmt: &mean, Font: &excelize.Font{Bold: true}},
		"ttext":   {Border: border, Font: &excelize.Font{Bold: true}},
	}
	for k, s := range defs {
		id, err := x.f.NewStyle(s)
		x.check(err)
		x.styles[k] = id
	}
}

func cell(col, row int) string {
	s, _ := excelize.CoordinatesToCellName(col, row)
	return s
}

func (x *xlsxWriter) set(sheet string, col, row int, v any, style string) {
	c := cell(col, row)
	switch v := v.(type) {
	case nil:
	case float64:
		// The shortest decimal that reads back to v: excelize's automatic
		// precision would cut it to 15 significant digits.
		s := strconv.FormatFloat(v, 'f', -1, 64)
		prec := 0
		if i := strings.IndexByte(s, '.'); i >= 0 {
			prec = len(s) - i - 1
		}
		x.check(x.f.SetCellFloat(sheet, c, v, prec, 64))
	default:
		x.check(x.f.SetCellValue(sheet, c, v))
	}
	if style != "" {
		x.check(x.f.SetCellStyle(sheet, c, c, x.styles[style]))
	}
}

func (x *xlsxWriter) merge(sheet string, c1, r1, c2, r2 int, v any, style string) {
	x.set(sheet, c1, r1, v, style)
	if c1 != c2 || r1 != r2 {
		x.check(x.f.MergeCell(sheet, cell(c1, r1), cell(c2, r2)))
		x.check(x.f.SetCellStyle(sheet, cell(c1, r1), cell(c2, r2), x.styles[style]))
	}
}

// periodLine describes the period in words.
func periodLine(p Period) string {
	d := func(s string) string { return s[8:10] + "/" + s[5:7] + "/" + s[:4] }
	basis := ""
	if p.Kind == KindReport {
		basis = " (theo Nghị định 09/2019/NĐ-CP)"
	}
	return fmt.Sprintf("Kỳ báo cáo: tháng %02d/%d%s, từ ngày %s đến ngày %s", int(p.Month), p.Year, basis, d(p.FirstDay()), d(p.LastDay()))
}

func (x *xlsxWriter) province() *Unit {
	for _, u := range x.r.Units {
		if u.Scope == ScopeProvince {
			return u
		}
	}
	return nil
}

// unitRows calls fn for each unit in sheet order with its row and, before
// each level's first agency, a section row.
func (x *xlsxWriter) unitRows(first int, fn func(row int, u *Unit, stt string), section func(row int, roman, title string)) {
	row := first
	if p := x.province(); p != nil {
		fn(row, p, "")
		row++
	}
	for _, lt := range levelTitles {
		n := 0
		for _, u := range x.r.Units {
			if u.Scope != ScopeAgency || u.Level != lt.level {
				continue
			}
			if n == 0 {
				section(row, lt.roman, lt.title)
				row++
			}
			n++
			fn(row, u, fmt.Sprint(n))
			row++
		}
	}
}

func (x *xlsxWriter) formSheet(sh string) {
	last := 3 + len(formCols)
	x.set(sh, 1, 1, "Biểu số II.06a/VPCP/KSTT", "bold")
	x.merge(sh, 1, 2, last, 2, "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH", "title")
	x.merge(sh, 1, 3, last, 3, periodLine(x.r.Period), "italic")
	unitName := "UBND tỉnh"
	if p := x.province(); p != nil && p.AgencyCode != "" {
		unitName = strings.TrimSuffix(p.Name, " (toàn tỉnh)")
	}
	x.set(sh, 1, 4, "Đơn vị báo cáo: "+unitName+". Đơn vị tính: hồ sơ.", "")
	h := "head"
	x.merge(sh, 1, 5, 1, 7, "STT", h)
	x.merge(sh, 2, 5, 2, 7, "Mã định danh đơn vị", h)
	x.merge(sh, 3, 5, 3, 7, "Đơn vị giải quyết", h)
	x.merge(sh, 4, 5, 8, 5, "Số hồ sơ nhận giải quyết", h)
	x.merge(sh, 9, 5, 15, 5, "Kết quả giải quyết", h)
	x.merge(sh, 16, 5, 16, 7, "Ghi chú: trong đó số hồ sơ tạm dừng chờ bổ sung", h)
	x.merge(sh, 4, 6, 4, 7, "Tổng số", h)
	x.merge(sh, 5, 6, 7, 6, "Số mới tiếp nhận trong kỳ", h)
	x.merge(sh, 8, 6, 8, 7, "Số kỳ trước chuyển qua", h)
	x.merge(sh, 9, 6, 12, 6, "Số hồ sơ đã giải quyết", h)
	x.merge(sh, 13, 6, 15, 6, "Số hồ sơ đang giải quyết", h)
	for i, t := range []string{"Trực tuyến", "Trực tiếp", "Dịch vụ bưu chính công ích"} {
		x.set(sh, 5+i, 7, t, h)
	}
	for i, t := range []string{"Tổng số", "Trước hạn", "Đúng hạn", "Quá hạn", "Tổng số", "Trong hạn", "Quá hạn"} {
		x.set(sh, 9+i, 7, t, h)
	}
	for col := 1; col <= last; col++ {
		x.set(sh, col, 8, fmt.Sprintf("(%d)", col), "colno")
	}
	x.unitRows(formFirstData, func(row int, u *Unit, stt string) {
		total := u.Scope == ScopeProvince
		name, style, text := u.Name, "count", "text"
		if total {
			name, style, text = "Tổng cộng toàn tỉnh", "tcount", "ttext"
		}
		x.set(sh, 1, row, stt, text)
		x.set(sh, 2, row, u.AgencyCode, text)
		x.set(sh, 3, row, name, text)
		for i, fc := range formCols {
			x.set(sh, 4+i, row, sumValues(u, fc.codes), style)
		}
	}, func(row int, roman, title string) {
		x.set(sh, 1, row, roman, "section")
		x.merge(sh, 2, row, 3, row, title, "section")
		for col := 4; col <= last; col++ {
			x.set(sh, col, row, nil, "section")
		}
	})
	x.check(x.f.SetColWidth(sh, "A", "A", 6))
	x.check(x.f.SetColWidth(sh, "B", "B", 16))
	x.check(x.f.SetColWidth(sh, "C", "C", 42))
	x.check(x.f.SetColWidth(sh, "D", cellCol(last), 12))
	x.check(x.f.SetRowHeight(sh, 7, 45))
	x.check(x.f.SetPanes(sh, &excelize.Panes{Freeze: true, XSplit: 3, YSplit: 8, TopLeftCell: "D9", ActivePane: "bottomRight"}))
}

func cellCol(n int) string {
	s, _ := excelize.ColumnNumberToName(n)
	return s
}

// sumValues adds the unit's values of codes; nil when one is absent or
// NULL.
func sumValues(u *Unit, codes []string) any {
	var sum int64
	for _, c := range codes {
		v, ok := u.Values[c].(int64)
		if !ok {
			return nil
		}
		sum += v
	}
	return sum
}

func (x *xlsxWriter) groupSheet(sh string, g *Group) {
	var inds []*Indicator
	for _, ind := range x.r.Indicators {
		if ind.Group == g.ID {
			inds = append(inds, ind)
		}
	}
	last := 4 + len(inds)
	x.merge(sh, 1, 1, last, 1, strings.ToUpper(g.Title), "title")
	x.merge(sh, 1, 2, last, 2, periodLine(x.r.Period), "italic")
	h := "head"
	x.merge(sh, 1, 4, 1, 6, "STT", h)
	x.merge(sh, 2, 4, 2, 6, "Mã định danh đơn vị", h)
	x.merge(sh, 3, 4, 3, 6, "Đơn vị", h)
	x.merge(sh, 4, 4, 4, 6, "Cấp", h)
	for i, ind := range inds {
		x.set(sh, 5+i, 4, ind.Name, h)
		x.set(sh, 5+i, 5, "("+ind.Unit+")", "colno")
		x.set(sh, 5+i, 6, ind.Code, "colno")
	}
	x.unitRows(groupFirstRow, func(row int, u *Unit, stt string) {
		total := u.Scope == ScopeProvince
		name, text, prefix := u.Name, "text", ""
		if total {
			name, text, prefix = "Tổng cộng toàn tỉnh", "ttext", "t"
		}
		x.set(sh, 1, row, stt, text)
		x.set(sh, 2, row, u.AgencyCode, text)
		x.set(sh, 3, row, name, text)
		x.set(sh, 4, row, u.Level, text)
		for i, ind := range inds {
			style := prefix + "count"
			switch {
			case ind.Aggregate == AggWeightedMean || ind.Aggregate == AggNone:
				style = prefix + "mean"
			case !ind.IsCount():
				style = prefix + "rate"
			}
			v, ok := u.Values[ind.Code]
			if !ok {
				v = nil
			}
			x.set(sh, 5+i, row, v, style)
		}
	}, func(row int, roman, title string) {
		x.set(sh, 1, row, roman, "section")
		x.merge(sh, 2, row, 4, row, title, "section")
		for col := 5; col <= last; col++ {
			x.set(sh, col, row, nil, "section")
		}
	})
	x.check(x.f.SetColWidth(sh, "A", "A", 6))
	x.check(x.f.SetColWidth(sh, "B", "B", 16))
	x.check(x.f.SetColWidth(sh, "C", "C", 42))
	x.check(x.f.SetColWidth(sh, "D", "D", 11))
	x.check(x.f.SetColWidth(sh, "E", cellCol(last), 16))
	x.check(x.f.SetRowHeight(sh, 4, 75))
	x.check(x.f.SetPanes(sh, &excelize.Panes{Freeze: true, XSplit: 4, YSplit: 6, TopLeftCell: "E7", ActivePane: "bottomRight"}))
}

func (x *xlsxWriter) catalogueSheet() {
	sh := catalogueName
	head := []string{"Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Nhóm", "Nguồn (view)", "Cột", "Cách tổng hợp", "Cấp báo cáo"}
	x.merge(sh, 1, 1, len(head), 1, fmt.Sprintf("DANH MỤC CHỈ TIÊU %s, PHIÊN BẢN %d", strings.ToUpper(x.r.Set), x.r.Version), "title")
	for i, t := range head {
		x.set(sh, 1+i, 3, t, "head")
	}
	for i, ind := range x.r.Indicators {
		row := 4 + i
		formula := ind.Aggregate
		switch ind.Aggregate {
		case AggRatio:
			formula = fmt.Sprintf("Σ(%s) / Σ(%s)", strings.Join(ind.Numerator, " + "), strings.Join(ind.Denominator, " + "))
		case AggComplementRatio:
			formula = fmt.Sprintf("1 − Σ(%s) / Σ(%s)", strings.Join(ind.Numerator, " + "), strings.Join(ind.Denominator, " + "))
		case AggWeightedMean:
			formula = fmt.Sprintf("bình quân gia quyền theo %s", ind.Weight)
		case AggNone:
			formula = "giá trị của view (không tổng hợp)"
		case AggSum, AggSumOrNull:
			formula = "Σ"
		}
		for k, v := range ind.Where {
			formula += fmt.Sprintf(", %s = %s", k, v)
		}
		vals := []string{ind.Code, ind.Name, ind.Unit, x.c.Group(ind.Group).Title, x.c.Group(ind.Group).Views[x.r.Period.Kind],
			ind.Column, formula, strings.Join(ind.Levels, ", ")}
		for j, v := range vals {
			x.set(sh, 1+j, row, v, "text")
		}
	}
	x.check(x.f.SetColWidth(sh, "A", "A", 34))
	x.check(x.f.SetColWidth(sh, "B", "B", 60))
	x.check(x.f.SetColWidth(sh, "C", "F", 18))
	x.check(x.f.SetColWidth(sh, "G", "G", 50))
	x.check(x.f.SetColWidth(sh, "H", "H", 34))
}
