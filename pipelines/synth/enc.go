package synth

import (
	"math/rand/v2"
	"unicode/utf8"
)

// style is how one agency's one-stop software writes its messages: the real
// systems differ, and ingest must take them all (contract 2.1).
type style struct {
	// shape is the usual message shape; other shapes occur at times.
	shape uint8
	// numbers is the probability that a message writes scalars (codes,
	// statuses, dates) as JSON numbers rather than strings.
	numbers float64
	// absent is how an absent date is written: omitted, "" or null.
	absent uint8
	// xml is the probability that an eGov package goes as XML (else JSON).
	xml float64
	// prefixed: the eGov XML uses the edXML: prefix (else a default namespace).
	prefixed bool
}

const (
	shapeSingle uint8 = iota
	shapeArray
	shapeEnvelope
)

const (
	absentOmit uint8 = iota
	absentEmpty
	absentNull
)

func styleFor(code string) style {
	h := hash01("style" + code)
	s := style{}
	switch {
	case h < 0.5:
		s.shape = shapeSingle
	case h < 0.75:
		s.shape = shapeEnvelope
	default:
		s.shape = shapeArray
	}
	switch n := hash01("numbers" + code); {
	case n < 0.55:
		s.numbers = 0.02
	case n < 0.8:
		s.numbers = 0.5
	default:
		s.numbers = 0.97
	}
	s.absent = uint8(hash01("absent"+code) * 3)
	s.xml = 0.6 + 0.39*hash01("xml"+code)
	s.prefixed = hash01("prefix"+code) < 0.7
	return s
}

// shapeOf picks a message shape: usually the agency's own.
func (s style) shapeOf(r *rand.Rand) uint8 {
	if r.Float64() < 0.85 {
		return s.shape
	}
	return uint8(r.IntN(3))
}

// jw appends a JSON object member by member. Members are written in a
// fixed order; a comma goes before every member but the first of an object
// or array, judged from the byte before.
type jw struct {
	b      []byte
	nums   bool  // scalars as numbers
	absent uint8 // how absent dates are written
}

func (w *jw) sep() {
	if n := len(w.b); n > 0 {
		if c := w.b[n-1]; c != '{' && c != '[' {
			w.b = append(w.b, ',')
		}
	}
}

func (w *jw) key(k string) {
	w.sep()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *jw) obj()         { w.sep(); w.b = append(w.b, '{') }
func (w *jw) end()         { w.b = append(w.b, '}') }
func (w *jw) arr(k string) { w.key(k); w.b = append(w.b, '[') }
func (w *jw) endArr()      { w.b = append(w.b, ']') }

func (w *jw) str(k, v string) {
	w.key(k)
	w.b = appendJSONString(w.b, v)
}

// num writes a scalar that the contract lets travel as string or number.
func (w *jw) num(k string, n int) {
	w.key(k)
	if w.nums {
		w.b = appendN(w.b, n, 1)
		return
	}
	w.b = append(w.b, '"')
	w.b = appendN(w.b, n, 1)
	w.b = append(w.b, '"')
}

// intv writes a plain JSON number.
func (w *jw) intv(k string, n int) {
	w.key(k)
	w.b = appendN(w.b, n, 1)
}

// ts writes a yyyyMMddHHmmss date, or the style's absent form when t is 0.
func (w *jw) ts(k string, t int64) {
	if t == 0 {
		switch w.absent {
		case absentOmit:
		case absentEmpty:
			w.key(k)
			w.b = append(w.b, '"', '"')
		default:
			w.key(k)
			w.b = append(w.b, "null"...)
		}
		return
	}
	w.key(k)
	if w.nums {
		w.b = appendTS14(w.b, t)
		return
	}
	w.b = append(w.b, '"')
	w.b = appendTS14(w.b, t)
	w.b = append(w.b, '"')
}

const hexDigits = "0123456789abcdef"

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendXMLText escapes element text and attribute values.
func appendXMLText(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '&':
			esc = "&amp;"
		case '"':
			esc = "&quot;"
		default:
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, esc...)
		start = i + 1
	}
	return append(b, s[start:]...)
}

// corrupt turns a message value into one of the broken records ingest must
// quarantine (or skip): cut short, invalid UTF-8, a required member renamed
// away, or a tombstone. required lists the required member names of the
// topic as they appear in the value.
func corrupt(r *rand.Rand, v []byte, required []string) []byte {
	switch k := r.IntN(10); {
	case k < 4: // cut in the middle: invalid JSON or XML
		return v[:len(v)/2]
	case k < 6: // invalid UTF-8
		out := append([]byte(nil), v...)
		i := len(out) / 3
		for i < len(out) && !utf8.RuneStart(out[i]) {
			i++
		}
		return append(out[:i], append([]byte{0xff, 0xfe}, out[i:]...)...)
	case k < 9: // a required field missing
		name := required[r.IntN(len(required))]
		return renameAll(v, name, name+"_")
	default: // a tombstone
		return nil
	}
}

// renameAll replaces every occurrence of name as a JSON member or XML tag
// (`"name"`, `<name`, `</name`, `:name>` ...) by to.
func renameAll(v []byte, name, to string) []byte {
	out := make([]byte, 0, len(v)+32)
	for i := 0; i < len(v); {
		if i+len(name) <= len(v) && string(v[i:i+len(name)]) == name && i > 0 {
			prev := v[i-1]
			var next byte
			if j := i + len(name); j < len(v) {
				next = v[j]
			}
			if (prev == '"' || prev == '<' || prev == '/' || prev == ':') && (next == '"' || next == '>' || next == ' ') {
				out = append(out, to...)
				i += len(name)
				continue
			}
		}
		out = append(out, v[i])
		i++
	}
	return out
}
