package dashboards

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// arrowBatchRows is how many rows go in one record batch of the stream.
const arrowBatchRows = 16 << 10

// arrowZone is the session time zone, the zone of TIMESTAMPTZ columns.
const arrowZone = "Asia/Ho_Chi_Minh"

// writeArrow streams rows as an Arrow IPC stream. DuckDB types map to
// their Arrow twins (integers, floats, DECIMAL, DATE, TIME, TIMESTAMP and
// TIMESTAMPTZ in microseconds, VARCHAR, BLOB); HUGEINT becomes
// decimal128(38,0) and nested or exotic types (LIST, STRUCT, MAP,
// INTERVAL...) their JSON text.
func writeArrow(w io.Writer, rows *sql.Rows) error {
	cts, err := rows.ColumnTypes()
	if err != nil {
		return err
	}
	fields := make([]arrow.Field, len(cts))
	conv := make([]func(b array.Builder, v any) error, len(cts))
	for i, ct := range cts {
		dt, fn := arrowType(ct.DatabaseTypeName())
		fields[i] = arrow.Field{Name: ct.Name(), Type: dt, Nullable: true,
			Metadata: arrow.NewMetadata([]string{"duckdb_type"}, []string{ct.DatabaseTypeName()})}
		conv[i] = fn
	}
	schema := arrow.NewSchema(fields, nil)
	mem := memory.NewGoAllocator()
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	iw := ipc.NewWriter(w, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	vals := make([]any, len(cts))
	ptrs := make([]any, len(cts))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	flush := func() error {
		rec := b.NewRecordBatch()
		defer rec.Release()
		return iw.Write(rec)
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			fb := b.Field(i)
			if v == nil {
				fb.AppendNull()
				continue
			}
			if err := conv[i](fb, v); err != nil {
				return fmt.Errorf("column %s: %w", fields[i].Name, err)
			}
		}
		if n++; n == arrowBatchRows {
			if err := flush(); err != nil {
				return err
			}
			n = 0
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n > 0 {
		if err := flush(); err != nil {
			return err
		}
	}
	return iw.Close()
}

// arrowType maps a DuckDB type name to an Arrow type and an appender.
func arrowType(duck string) (arrow.DataType, func(array.Builder, any) error) {
	upper := strings.ToUpper(duck)
	ints := func(dt arrow.DataType, app func(array.Builder, int64)) (arrow.DataType, func(array.Builder, any) error) {
		return dt, func(b array.Builder, v any) error {
			n, err := toInt64(v)
			if err != nil {
				return err
			}
			app(b, n)
			return nil
		}
	}
	switch {
	case upper == "BOOLEAN":
		return arrow.FixedWidthTypes.Boolean, func(b array.Builder, v any) error {
			x, ok := v.(bool)
			if !ok {
				return fmt.Errorf("%T is not a bool", v)
			}
			b.(*array.BooleanBuilder).Append(x)
			return nil
		}
	case upper == "TINYINT":
		return ints(arrow.PrimitiveTypes.Int8, func(b array.Builder, n int64) { b.(*array.Int8Builder).Append(int8(n)) })
	case upper == "SMALLINT":
		return ints(arrow.PrimitiveTypes.Int16, func(b array.Builder, n int64) { b.(*array.Int16Builder).Append(int16(n)) })
	case upper == "INTEGER":
		return ints(arrow.PrimitiveTypes.Int32, func(b array.Builder, n int64) { b.(*array.Int32Builder).Append(int32(n)) })
	case upper == "BIGINT":
		return ints(arrow.PrimitiveTypes.Int64, func(b array.Builder, n int64) { b.(*array.Int64Builder).Append(n) })
	case upper == "UTINYINT":
		return ints(arrow.PrimitiveTypes.Uint8, func(b array.Builder, n int64) { b.(*array.Uint8Builder).Append(uint8(n)) })
	case upper == "USMALLINT":
		return ints(arrow.PrimitiveTypes.Uint16, func(b array.Builder, n int64) { b.(*array.Uint16Builder).Append(uint16(n)) })
	case upper == "UINTEGER":
		return ints(arrow.PrimitiveTypes.Uint32, func(b array.Builder, n int64) { b.(*array.Uint32Builder).Append(uint32(n)) })
	case upper == "UBIGINT":
		return arrow.PrimitiveTypes.Uint64, func(b array.Builder, v any) error {
			switch x := v.(type) {
			case uint64:
				b.(*array.Uint64Builder).Append(x)
			default:
				n, err := toInt64(v)
				if err != nil {
					return err
				}
				b.(*array.Uint64Builder).Append(uint64(n))
			}
			return nil
		}
	case upper == "FLOAT":
		return arrow.PrimitiveTypes.Float32, func(b array.Builder, v any) error {
			f, err := toFloat64(v)
			b.(*array.Float32Builder).Append(float32(f))
			return err
		}
	case upper == "DOUBLE":
		return arrow.PrimitiveTypes.Float64, func(b array.Builder, v any) error {
			f, err := toFloat64(v)
			b.(*array.Float64Builder).Append(f)
			return err
		}
	case strings.HasPrefix(upper, "DECIMAL("), upper == "HUGEINT", upper == "UHUGEINT":
		prec, scale := int32(38), int32(0)
		if strings.HasPrefix(upper, "DECIMAL(") {
			fmt.Sscanf(upper, "DECIMAL(%d,%d)", &prec, &scale)
		}
		dt := &arrow.Decimal128Type{Precision: prec, Scale: scale}
		return dt, func(b array.Builder, v any) error {
			var s string
			switch x := v.(type) {
			case *big.Int:
				s = x.String()
			case fmt.Stringer:
				s = x.String()
			default:
				s = fmt.Sprint(v)
			}
			d, err := decimal128.FromString(s, prec, scale)
			if err != nil {
				return err
			}
			b.(*array.Decimal128Builder).Append(d)
			return nil
		}
	case upper == "DATE":
		return arrow.FixedWidthTypes.Date32, func(b array.Builder, v any) error {
			t, ok := v.(time.Time)
			if !ok {
				return fmt.Errorf("%T is not a date", v)
			}
			b.(*array.Date32Builder).Append(arrow.Date32FromTime(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)))
			return nil
		}
	case upper == "TIME":
		return arrow.FixedWidthTypes.Time64us, func(b array.Builder, v any) error {
			t, ok := v.(time.Time)
			if !ok {
				return fmt.Errorf("%T is not a time", v)
			}
			us := int64(t.Hour())*3600e6 + int64(t.Minute())*60e6 + int64(t.Second())*1e6 + int64(t.Nanosecond())/1e3
			b.(*array.Time64Builder).Append(arrow.Time64(us))
			return nil
		}
	case upper == "TIMESTAMPTZ", upper == "TIMESTAMP WITH TIME ZONE":
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: arrowZone}, appendTimestamp
	case strings.HasPrefix(upper, "TIMESTAMP"):
		return &arrow.TimestampType{Unit: arrow.Microsecond}, appendTimestamp
	case upper == "BLOB":
		return arrow.BinaryTypes.Binary, func(b array.Builder, v any) error {
			switch x := v.(type) {
			case []byte:
				b.(*array.BinaryBuilder).Append(x)
			default:
				b.(*array.BinaryBuilder).Append([]byte(fmt.Sprint(v)))
			}
			return nil
		}
	}
	// VARCHAR, ENUM, UUID, JSON and everything nested or exotic: text.
	return arrow.BinaryTypes.String, func(b array.Builder, v any) error {
		b.(*array.StringBuilder).Append(arrowText(v))
		return nil
	}
}

func appendTimestamp(b array.Builder, v any) error {
	t, ok := v.(time.Time)
	if !ok {
		return fmt.Errorf("%T is not a timestamp", v)
	}
	b.(*array.TimestampBuilder).Append(arrow.Timestamp(t.UnixMicro()))
	return nil
}

func arrowText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case fmt.Stringer:
		return x.String()
	case int64, int32, int16, int8, uint64, uint32, uint16, uint8, float64, float32, bool:
		return fmt.Sprint(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func toInt64(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case int:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		return int64(x), nil
	case string:
		return strconv.ParseInt(x, 10, 64)
	}
	return 0, fmt.Errorf("%T is not an integer", v)
}

func toFloat64(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	}
	n, err := toInt64(v)
	return float64(n), err
}
