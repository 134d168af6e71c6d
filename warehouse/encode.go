package warehouse

import (
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"
)

// Encoder writes a result set in one output format.
type Encoder interface {
	Encode(w io.Writer, rows *sql.Rows) error
}

// NewEncoder returns the encoder for "table", "csv" or "json".
func NewEncoder(format string) (Encoder, error) {
	switch format {
	case "table":
		return tableEncoder{}, nil
	case "csv":
		return csvEncoder{}, nil
	case "json":
		return jsonEncoder{}, nil
	}
	return nil, fmt.Errorf("unknown format %q (table, csv or json)", format)
}

var local = time.FixedZone("ICT", 7*3600)

// scanAll yields each row's values with their column types.
func scanAll(rows *sql.Rows, fn func(cols []string, types []string, vals []any) error) error {
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	cts, err := rows.ColumnTypes()
	if err != nil {
		return err
	}
	types := make([]string, len(cts))
	for i, ct := range cts {
		types[i] = ct.DatabaseTypeName()
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := fn(cols, types, nil); err != nil {
		return err
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := fn(cols, types, vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

// text renders a value the way an analyst expects to read it: NULL as "",
// timestamps in local time, dates as YYYY-MM-DD, nested values as JSON.
func text(v any, typ string) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		switch typ {
		case "DATE":
			return x.UTC().Format("2006-01-02")
		case "TIME":
			return x.UTC().Format("15:04:05")
		case "TIMESTAMP":
			return x.UTC().Format("2006-01-02 15:04:05")
		}
		return x.In(local).Format("2006-01-02 15:04:05-07")
	case []byte:
		if utf8.Valid(x) {
			return string(x)
		}
		return fmt.Sprintf("%x", x)
	case string:
		return x
	case float64:
		return formatFloat(x)
	case float32:
		return formatFloat(float64(x))
	case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x)
	case *big.Int: // HUGEINT, e.g. sum() of integers
		return x.String()
	case duckdb.Decimal:
		return x.String()
	}
	b, err := json.Marshal(jsonValue(v, typ))
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func formatFloat(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// jsonValue makes v encodable as JSON: times as text, decimals and big
// integers as their exact text.
func jsonValue(v any, typ string) any {
	switch x := v.(type) {
	case time.Time:
		return text(x, typ)
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = jsonValue(x[i], "")
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue(e, "")
		}
		return out
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case []byte:
		return text(x, typ)
	case *big.Int:
		return json.Number(x.String())
	case duckdb.Decimal:
		return json.Number(x.String())
	case fmt.Stringer:
		return x.String()
	}
	return v
}

type csvEncoder struct{}

func (csvEncoder) Encode(w io.Writer, rows *sql.Rows) error {
	cw := csv.NewWriter(w)
	var rec []string
	err := scanAll(rows, func(cols, types []string, vals []any) error {
		if vals == nil {
			return cw.Write(cols)
		}
		rec = rec[:0]
		for i, v := range vals {
			rec = append(rec, text(v, types[i]))
		}
		return cw.Write(rec)
	})
	cw.Flush()
	if err != nil {
		return err
	}
	return cw.Error()
}

type jsonEncoder struct{}

func (jsonEncoder) Encode(w io.Writer, rows *sql.Rows) error {
	first := true
	if _, err := io.WriteString(w, "["); err != nil {
		return err
	}
	err := scanAll(rows, func(cols, types []string, vals []any) error {
		if vals == nil {
			return nil
		}
		if !first {
			if _, err := io.WriteString(w, ","); err != nil {
				return err
			}
		}
		first = false
		var b strings.Builder
		b.WriteString("{")
		for i, c := range cols {
			if i > 0 {
				b.WriteString(",")
			}
			k, _ := json.Marshal(c)
			b.Write(k)
			b.WriteString(":")
			v, err := json.Marshal(jsonValue(vals[i], types[i]))
			if err != nil {
				return fmt.Errorf("encode column %s: %w", c, err)
			}
			b.Write(v)
		}
		b.WriteString("}\n")
		_, err := io.WriteString(w, b.String())
		return err
	})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "]\n")
	return err
}

type tableEncoder struct{}

func (tableEncoder) Encode(w io.Writer, rows *sql.Rows) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	n := 0
	err := scanAll(rows, func(cols, types []string, vals []any) error {
		if vals == nil {
			fmt.Fprintln(tw, strings.Join(cols, "\t"))
			seps := make([]string, len(cols))
			for i, c := range cols {
				seps[i] = strings.Repeat("-", max(3, utf8.RuneCountInString(c)))
			}
			fmt.Fprintln(tw, strings.Join(seps, "\t"))
			return nil
		}
		n++
		cells := make([]string, len(vals))
		for i, v := range vals {
			if v == nil {
				cells[i] = "NULL"
			} else {
				cells[i] = strings.ReplaceAll(text(v, types[i]), "\t", " ")
			}
		}
		_, err := fmt.Fprintln(tw, strings.Join(cells, "\t"))
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(tw, "(%d rows)\n", n)
	return tw.Flush()
}

// SplitStatements splits a script into its ;-terminated statements,
// respecting quotes and comments. A final statement without ; is kept.
func SplitStatements(script string) []string {
	var out []string
	var cur strings.Builder
	inSingle, inDouble, inLine, inBlock := false, false, false, false
	for i := 0; i < len(script); i++ {
		c := script[i]
		next := byte(0)
		if i+1 < len(script) {
			next = script[i+1]
		}
		switch {
		case inLine:
			if c == '\n' {
				inLine = false
			}
		case inBlock:
			if c == '*' && next == '/' {
				inBlock = false
				cur.WriteByte(c)
				i++
				c = next
			}
		case inSingle:
			if c == '\'' {
				inSingle = false
			}
		case inDouble:
			if c == '"' {
				inDouble = false
			}
		case c == '\'':
			inSingle = true
		case c == '"':
			inDouble = true
		case c == '-' && next == '-':
			inLine = true
		case c == '/' && next == '*':
			inBlock = true
		case c == ';':
			if s := strings.TrimSpace(cur.String()); s != "" {
				out = append(out, s)
			}
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	if s := strings.TrimSpace(cur.String()); s != "" && strings.TrimSpace(leadingComments.ReplaceAllString(s, "")) != "" {
		out = append(out, s)
	}
	return out
}
