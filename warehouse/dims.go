package warehouse

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tayninh/ktxh/warehouse/dimdata"
)

// dimSource is a dimension file of contract section 4: <lake>/dims/<File>
// when present, else the built-in default embedded in dimdata. It is loaded
// into the table src_<name>, from which sql/*.sql build the dim_* views.
type dimSource struct {
	Name    string
	File    string
	Columns string // DuckDB column definitions, in file order
}

var dimSources = []dimSource{
	{"calendar", "calendar.csv", "date DATE, kind VARCHAR, name VARCHAR"},
	{"agencies", "agencies.csv", "agency_code VARCHAR, name VARCHAR, level VARCHAR, parent_code VARCHAR, valid_from DATE, valid_to DATE, successor_code VARCHAR"},
	{"sectors", "sectors.csv", "sector_code VARCHAR, name VARCHAR, sector_group VARCHAR, group_name VARCHAR"},
}

// DimOverride is the path of a dimension's override file in a lake.
func DimOverride(lakeDir, file string) string { return filepath.Join(lakeDir, "dims", file) }

// loadDims loads the dimensions and returns their content, file by file:
// the materialized tables depend on it (compatKey). A file is copied to
// the scratch directory and loaded from there, so that what is loaded is
// what was read.
func (w *Warehouse) loadDims(ctx context.Context) ([]byte, error) {
	var content []byte
	for _, d := range dimSources {
		b, err := os.ReadFile(DimOverride(w.lakeDir, d.File))
		if errors.Is(err, fs.ErrNotExist) {
			b, err = fs.ReadFile(dimdata.FS, d.File)
			if errors.Is(err, fs.ErrNotExist) {
				q := fmt.Sprintf("CREATE TABLE src_%s (%s)", d.Name, d.Columns)
				if _, err := w.db.ExecContext(ctx, q); err != nil {
					return nil, fmt.Errorf("create src_%s: %w", d.Name, err)
				}
				content = fmt.Appendf(content, "%s absent\n", d.File)
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("read built-in %s: %w", d.File, err)
			}
		} else if err != nil {
			return nil, fmt.Errorf("read %s: %w", DimOverride(w.lakeDir, d.File), err)
		}
		content = fmt.Appendf(content, "%s %d\n%s\n", d.File, len(b), b)
		path := filepath.Join(w.scratch, d.File)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return nil, fmt.Errorf("stage %s: %w", d.File, err)
		}
		q := fmt.Sprintf(`CREATE TABLE src_%s AS SELECT * FROM read_csv(%s, header = true, auto_detect = false,
			columns = %s, dateformat = '%%Y-%%m-%%d', nullstr = '')`, d.Name, quote(path), columnsStruct(d.Columns))
		if _, err := w.db.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("load %s: %w", d.File, err)
		}
	}
	return content, nil
}

// columnsStruct turns "a DATE, b VARCHAR" into read_csv's {'a': 'DATE', 'b': 'VARCHAR'}.
func columnsStruct(defs string) string {
	out := "{"
	for i, def := range splitTrim(defs, ",") {
		parts := splitTrim(def, " ")
		if i > 0 {
			out += ", "
		}
		out += quote(parts[0]) + ": " + quote(parts[1])
	}
	return out + "}"
}
