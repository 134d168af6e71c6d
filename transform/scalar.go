package transform

import (
	"errors"
	"strconv"
	"time"

	"github.com/valyala/fastjson"
)

// Local is Asia/Ho_Chi_Minh. Vietnam has kept UTC+7 without daylight saving
// since 1975, so a fixed zone is exact and needs no tzdata on the host.
var Local = time.FixedZone("ICT", 7*3600)

var errBadDate = errors.New("not a date")

// scalar returns the text of a JSON string or number member: contract
// section 2.1 lets every scalar arrive as either. Null, "" and any other type
// are absent (nil).
func scalar(v *fastjson.Value, buf []byte) []byte {
	if v == nil {
		return nil
	}
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return b
	case fastjson.TypeNumber:
		return v.MarshalTo(buf[:0])
	}
	return nil
}

// smallInt parses a non-negative integer scalar ("10", 10, 10.0).
func smallInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for i, c := range b {
		if c == '.' {
			for _, d := range b[i+1:] {
				if d != '0' {
					return 0, false
				}
			}
			return n, i > 0
		}
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parseLocalDigits parses yyyyMMdd[HHmm[ss]] in Local into Unix microseconds.
func parseLocalDigits(b []byte) (int64, error) {
	if n := len(b); n != 8 && n != 12 && n != 14 {
		return 0, errBadDate
	}
	var f [6]int
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, errBadDate
		}
	}
	f[0] = atoiN(b[0:4])
	f[1] = atoiN(b[4:6])
	f[2] = atoiN(b[6:8])
	if len(b) >= 12 {
		f[3] = atoiN(b[8:10])
		f[4] = atoiN(b[10:12])
	}
	if len(b) == 14 {
		f[5] = atoiN(b[12:14])
	}
	return localMicros(f[0], f[1], f[2], f[3], f[4], f[5])
}

// localMicros validates a Local (UTC+7) wall-clock time and returns Unix
// microseconds. It is plain arithmetic rather than time.Date: dates are on
// the ingest hot path, several per record.
func localMicros(y, mo, d, h, mi, s int) (int64, error) {
	if y < 1900 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || s > 59 {
		return 0, errBadDate
	}
	secs := daysFromCivil(y, mo, d)*86400 + int64(h*3600+mi*60+s) - 7*3600
	return secs * 1_000_000, nil
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the number of days from 1970-01-01 to y-m-d in the
// proleptic Gregorian calendar (H. Hinnant's algorithm), for y >= 0.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097+doe) - 719468
}

func atoiN(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// MonthOf returns the Local calendar month "YYYY-MM" of Unix microseconds.
func MonthOf(micros int64) string {
	t := time.UnixMicro(micros).In(Local)
	var b [7]byte
	y, m := t.Year(), int(t.Month())
	b[0], b[1], b[2], b[3] = byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10)
	b[4] = '-'
	b[5], b[6] = byte('0'+m/10), byte('0'+m%10)
	return internMonth(b)
}

var months = map[[7]byte]string{}

// internMonth avoids allocating the same few month strings per row. Months
// are pre-filled for the years data can carry, so the map is read-only.
func internMonth(b [7]byte) string {
	if s, ok := months[b]; ok {
		return s
	}
	return string(b[:])
}

func init() {
	for y := 1990; y <= 2100; y++ {
		for m := 1; m <= 12; m++ {
			t := time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
			s := t.Format("2006-01")
			var k [7]byte
			copy(k[:], s)
			months[k] = s
		}
	}
}
