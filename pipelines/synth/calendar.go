package synth

import (
	"bufio"
	"bytes"
	"io/fs"
	"strings"
	"sync"

	"github.com/tayninh/ktxh/warehouse/dimdata"
)

// Times inside the generator are Unix seconds; days are Local
// (Asia/Ho_Chi_Minh, UTC+7 without daylight saving) day numbers counted
// from 1970-01-01. Integer arithmetic keeps time.Time off the hot path.
const (
	secPerDay = 86400
	tzOffset  = 7 * 3600
	hour      = 3600
	minute    = 60
)

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// dayOf is the Local day number of a Unix second.
func dayOf(sec int64) int64 { return floorDiv(sec+tzOffset, secPerDay) }

// dayStart is the Unix second of 00:00 Local on day.
func dayStart(day int64) int64 { return day*secPerDay - tzOffset }

// secOfDay is the Local wall-clock second within its day.
func secOfDay(sec int64) int64 { return sec + tzOffset - dayOf(sec)*secPerDay }

// weekday is 0 for Sunday .. 6 for Saturday (1970-01-01 was a Thursday).
func weekday(day int64) int { return int(((day+4)%7 + 7) % 7) }

// civil converts a day number to its calendar date (H. Hinnant's algorithm).
func civil(day int64) (y, m, d int) {
	z := day + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return
}

// dayNum is the day number of a calendar date; out-of-range months and days
// roll over like time.Date's.
func dayNum(y, m, d int) int64 {
	for m > 12 {
		m -= 12
		y++
	}
	for m < 1 {
		m += 12
		y--
	}
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := floorDiv(yy, 400)
	yoe := yy - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func yearOf(day int64) int {
	y, _, _ := civil(day)
	return y
}

// lunarNewYear is mùng 1 Tết; hungKings is 10/3 of the lunar calendar.
// Outside the table the dates are approximated.
var lunarNewYear = map[int][2]int{
	2010: {2, 14}, 2011: {2, 3}, 2012: {1, 23}, 2013: {2, 10}, 2014: {1, 31},
	2015: {2, 19}, 2016: {2, 8}, 2017: {1, 28}, 2018: {2, 16}, 2019: {2, 5},
	2020: {1, 25}, 2021: {2, 12}, 2022: {2, 1}, 2023: {1, 22}, 2024: {2, 10},
	2025: {1, 29}, 2026: {2, 17}, 2027: {2, 6}, 2028: {1, 26}, 2029: {2, 13},
	2030: {2, 3}, 2031: {1, 23}, 2032: {2, 11}, 2033: {1, 31}, 2034: {2, 19},
}

var hungKings = map[int][2]int{
	2010: {4, 23}, 2011: {4, 12}, 2012: {3, 31}, 2013: {4, 19}, 2014: {4, 9},
	2015: {4, 28}, 2016: {4, 16}, 2017: {4, 6}, 2018: {4, 25}, 2019: {4, 14},
	2020: {4, 2}, 2021: {4, 21}, 2022: {4, 10}, 2023: {4, 29}, 2024: {4, 18},
	2025: {4, 7}, 2026: {4, 26}, 2027: {4, 16}, 2028: {4, 4}, 2029: {4, 23},
	2030: {4, 12}, 2031: {4, 2}, 2032: {4, 20}, 2033: {4, 9}, 2034: {4, 28},
}

func tetDay(y int) int64 {
	if md, ok := lunarNewYear[y]; ok {
		return dayNum(y, md[0], md[1])
	}
	return dayNum(y, 2, 5)
}

// ruleHolidays returns the approximate weekdays off of year y under the
// Labour Code (art. 112): 1/1, five days of Tết, Hùng Kings, 30/4, 1/5, 2/9
// and an adjacent day since 2021; a single holiday on a weekend is
// compensated on the next working day. The exact days are announced every
// year, so these are only used where dimdata has no calendar.
func ruleHolidays(y int) map[int64]bool {
	off := map[int64]bool{}
	// A holiday on a weekend (or on another holiday) moves to the next
	// free weekday.
	single := func(d int64) {
		for {
			if w := weekday(d); w != 0 && w != 6 && !off[d] {
				off[d] = true
				return
			}
			d++
		}
	}
	// Tết: the eve and the first days of the year, a week with its weekend.
	t := tetDay(y)
	for d := t - 2; d <= t+4; d++ {
		off[d] = true
	}
	single(dayNum(y, 1, 1))
	hk := dayNum(y, 4, 15)
	if md, ok := hungKings[y]; ok {
		hk = dayNum(y, md[0], md[1])
	}
	single(hk)
	single(dayNum(y, 4, 30))
	single(dayNum(y, 5, 1))
	single(dayNum(y, 9, 2))
	if y >= 2021 {
		single(dayNum(y, 9, 3))
	}
	return off
}

// builtinCalendar is dimdata's calendar.csv when there is one: for the years
// it covers, its holidays and worked weekend days replace the rules.
var builtinCalendar = sync.OnceValue(func() map[int]map[int64]byte {
	b, err := fs.ReadFile(dimdata.FS, "calendar.csv")
	if err != nil {
		return nil
	}
	years := map[int]map[int64]byte{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ",")
		if len(f) < 2 || len(f[0]) != 10 || f[0][4] != '-' {
			continue
		}
		y, m, d := atoi(f[0][0:4]), atoi(f[0][5:7]), atoi(f[0][8:10])
		if y <= 0 || m <= 0 || d <= 0 {
			continue
		}
		var kind byte
		switch strings.TrimSpace(f[1]) {
		case "holiday":
			kind = 'h'
		case "workday":
			kind = 'w'
		default:
			continue
		}
		if years[y] == nil {
			years[y] = map[int64]byte{}
		}
		years[y][dayNum(y, m, d)] = kind
	}
	return years
})

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// calendar answers working-day questions fast over a precomputed range and
// slowly (but correctly) outside it.
type calendar struct {
	lo, hi int64   // precomputed days [lo, hi)
	work   []bool  // work[d-lo]
	cum    []int32 // cum[d-lo] = working days in [lo, d]
	days   []int64 // the working days of [lo, hi) in order
	years  map[int]map[int64]bool
}

func newCalendar(lo, hi int64) *calendar {
	c := &calendar{lo: lo, hi: hi, years: map[int]map[int64]bool{}}
	c.work = make([]bool, hi-lo)
	c.cum = make([]int32, hi-lo)
	var n int32
	for d := lo; d < hi; d++ {
		w := c.isWorkSlow(d)
		c.work[d-lo] = w
		if w {
			n++
			c.days = append(c.days, d)
		}
		c.cum[d-lo] = n
	}
	return c
}

func (c *calendar) isWorkSlow(d int64) bool {
	y := yearOf(d)
	if csv := builtinCalendar(); csv != nil {
		if days, ok := csv[y]; ok {
			switch days[d] {
			case 'h':
				return false
			case 'w':
				return true
			}
			w := weekday(d)
			return w != 0 && w != 6
		}
	}
	w := weekday(d)
	if w == 0 || w == 6 {
		return false
	}
	off, ok := c.years[y]
	if !ok {
		off = ruleHolidays(y)
		c.years[y] = off
	}
	return !off[d]
}

func (c *calendar) isWork(d int64) bool {
	if d >= c.lo && d < c.hi {
		return c.work[d-c.lo]
	}
	return c.isWorkSlow(d)
}

// addWork returns the n-th working day after d (d itself not counted, Civil
// Code art. 147); n = 0 returns d; n < 0 counts back from d.
func (c *calendar) addWork(d int64, n int) int64 {
	if n == 0 {
		return d
	}
	if d >= c.lo && d < c.hi {
		if n > 0 {
			i := int(c.cum[d-c.lo]) + n - 1
			if i < len(c.days) {
				return c.days[i]
			}
		} else {
			before := int(c.cum[d-c.lo])
			if c.work[d-c.lo] {
				before--
			}
			i := before + n
			if i >= 0 {
				return c.days[i]
			}
		}
	}
	step := int64(1)
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d += step
		if c.isWork(d) {
			n--
		}
	}
	return d
}

// nextWork is d when it is a working day, else the next one.
func (c *calendar) nextWork(d int64) int64 {
	for !c.isWork(d) {
		d++
	}
	return d
}

// Office hours: 07:30–11:30 and 13:30–17:00, 27,000 seconds a day.
const (
	amStart   = 7*hour + 30*minute
	amEnd     = 11*hour + 30*minute
	pmStart   = 13*hour + 30*minute
	pmEnd     = 17 * hour
	officeLen = (amEnd - amStart) + (pmEnd - pmStart)
)

// officeSec is the instant u seconds into day's office hours.
func officeSec(day, u int64) int64 {
	if u < amEnd-amStart {
		return dayStart(day) + amStart + u
	}
	return dayStart(day) + pmStart + (u - (amEnd - amStart))
}

// officeOffset is how many office seconds of its day precede t.
func officeOffset(t int64) int64 {
	s := secOfDay(t)
	switch {
	case s <= amStart:
		return 0
	case s <= amEnd:
		return s - amStart
	case s <= pmStart:
		return amEnd - amStart
	case s <= pmEnd:
		return amEnd - amStart + s - pmStart
	}
	return officeLen
}

// addOffice moves t forward by secs of office time on working days.
func (c *calendar) addOffice(t, secs int64) int64 {
	d := dayOf(t)
	var off int64
	if c.isWork(d) {
		off = officeOffset(t)
	} else {
		d = c.nextWork(d)
	}
	off += secs
	for off >= officeLen {
		off -= officeLen
		d = c.nextWork(d + 1)
	}
	r := officeSec(d, off)
	if r < t {
		return t
	}
	return r
}

// Formatting, all in Local time.

func appendN(b []byte, n, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for n > 0 || width > 0 {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
		width--
	}
	return append(b, tmp[i:]...)
}

// appendTS14 appends yyyyMMddHHmmss.
func appendTS14(b []byte, t int64) []byte {
	d := dayOf(t)
	y, m, dd := civil(d)
	s := int(t + tzOffset - d*secPerDay)
	b = appendN(b, y, 4)
	b = appendN(b, m, 2)
	b = appendN(b, dd, 2)
	b = appendN(b, s/3600, 2)
	b = appendN(b, s/60%60, 2)
	return appendN(b, s%60, 2)
}

// appendDate8 appends yyyyMMdd.
func appendDate8(b []byte, day int64) []byte {
	y, m, d := civil(day)
	b = appendN(b, y, 4)
	b = appendN(b, m, 2)
	return appendN(b, d, 2)
}

// appendSlashDate appends yyyy/MM/dd.
func appendSlashDate(b []byte, day int64) []byte {
	y, m, d := civil(day)
	b = appendN(b, y, 4)
	b = append(b, '/')
	b = appendN(b, m, 2)
	b = append(b, '/')
	return appendN(b, d, 2)
}

// appendSlashTS appends yyyy/MM/dd HH:mm:ss.
func appendSlashTS(b []byte, t int64) []byte {
	d := dayOf(t)
	b = appendSlashDate(b, d)
	s := int(t + tzOffset - d*secPerDay)
	b = append(b, ' ')
	b = appendN(b, s/3600, 2)
	b = append(b, ':')
	b = appendN(b, s/60%60, 2)
	b = append(b, ':')
	return appendN(b, s%60, 2)
}

// appendYYMMDD appends the date part of a dossier code.
func appendYYMMDD(b []byte, day int64) []byte {
	y, m, d := civil(day)
	b = appendN(b, y%100, 2)
	b = appendN(b, m, 2)
	return appendN(b, d, 2)
}
