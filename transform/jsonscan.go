package transform

import "encoding/binary"

// members is a strict, allocation-free scanner over the members of one JSON
// object, for the decoders' fast path: the common record (an object, or an
// array or envelope of objects, of flat members without escapes) is read in
// one pass without building fastjson's tree, which cost as much as the rest
// of decoding. It validates everything it passes over and is stricter than
// fastjson (no control characters or escapes in strings, RFC 8259 numbers,
// bounded nesting), so whenever it fails the caller decodes the record
// again through fastjson, whose answer (rows or rejections) stands. Either
// way a record gives the same result; FuzzOnestopFastPath checks it.
type members struct {
	b    []byte
	i    int
	more bool // a member was read: the next needs a comma
}

// Kinds of member values.
const (
	kindString = '"'
	kindNumber = '0'
	kindLit    = 'l' // true, false, null
	kindObject = '{'
	kindArray  = '['
)

// open starts reading the object at b[i] (after whitespace); false if none.
func (m *members) open(b []byte, i int) bool {
	i = skipWS(b, i)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	*m = members{b: b, i: i + 1}
	return true
}

// next returns the next member: its key, its value's kind and raw bytes
// (strings without their quotes). ok is false at the end of the object,
// which end is then m.i; bad reports invalid or unsupported JSON.
func (m *members) next() (key []byte, kind byte, val []byte, ok, bad bool) {
	b := m.b
	i := skipWS(b, m.i)
	if i >= len(b) {
		return nil, 0, nil, false, true
	}
	if b[i] == '}' {
		m.i = i + 1
		return nil, 0, nil, false, false
	}
	if m.more {
		if b[i] != ',' {
			return nil, 0, nil, false, true
		}
		i = skipWS(b, i+1)
	}
	if i >= len(b) || b[i] != '"' {
		return nil, 0, nil, false, true
	}
	end := plainString(b, i)
	if end < 0 {
		return nil, 0, nil, false, true
	}
	key = b[i+1 : end-1]
	i = skipWS(b, end)
	if i >= len(b) || b[i] != ':' {
		return nil, 0, nil, false, true
	}
	i = skipWS(b, i+1)
	if i >= len(b) {
		return nil, 0, nil, false, true
	}
	kind, end = value(b, i, 0)
	if end < 0 {
		return nil, 0, nil, false, true
	}
	val = b[i:end]
	if kind == kindString {
		val = val[1 : len(val)-1]
	}
	m.i, m.more = end, true
	return key, kind, val, true, false
}

// maxDepth bounds nesting on the fast path; deeper records take fastjson's.
const maxDepth = 32

// value validates the JSON value at b[i] and returns its kind and end, or
// end -1.
func value(b []byte, i, depth int) (kind byte, end int) {
	switch c := b[i]; {
	case c == '"':
		return kindString, plainString(b, i)
	case c == '-' || c >= '0' && c <= '9':
		return kindNumber, number(b, i)
	case c == 't':
		return kindLit, literal(b, i, "true")
	case c == 'f':
		return kindLit, literal(b, i, "false")
	case c == 'n':
		return kindLit, literal(b, i, "null")
	case c == '{' || c == '[':
		if depth >= maxDepth {
			return 0, -1
		}
		return c, composite(b, i, depth+1)
	}
	return 0, -1
}

// composite validates the object or array at b[i].
func composite(b []byte, i, depth int) int {
	obj := b[i] == '{'
	close := byte(']')
	if obj {
		close = '}'
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == close {
		return i + 1
	}
	for {
		if i >= len(b) {
			return -1
		}
		if obj {
			if b[i] != '"' {
				return -1
			}
			if i = plainString(b, i); i < 0 {
				return -1
			}
			if i = skipWS(b, i); i >= len(b) || b[i] != ':' {
				return -1
			}
			if i = skipWS(b, i+1); i >= len(b) {
				return -1
			}
		}
		if _, i = value(b, i, depth); i < 0 {
			return -1
		}
		if i = skipWS(b, i); i >= len(b) {
			return -1
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case close:
			return i + 1
		default:
			return -1
		}
	}
}

// plainString returns the end (after the closing quote) of the string at
// b[i], or -1 if it holds an escape or a control character: those take
// fastjson's path, whose unescaping is the reference. It looks at eight
// bytes at a time: most of a record's bytes are inside strings.
func plainString(b []byte, i int) int {
	j := i + 1
	for ; j+8 <= len(b); j += 8 {
		if special(binary.LittleEndian.Uint64(b[j:])) != 0 {
			break
		}
	}
	for ; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1
		case c == '\\' || c < 0x20:
			return -1
		}
	}
	return -1
}

// special is non-zero when a byte of x is '"', '\\' or below 0x20 (bytes of
// UTF-8 sequences, 0x80 and above, are not).
func special(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := x ^ (ones * '"')
	s := x ^ (ones * '\\')
	return ((q - ones) &^ q & highs) | ((s - ones) &^ s & highs) | ((x - ones*0x20) &^ x & highs)
}

// number returns the end of the RFC 8259 number at b[i], or -1.
func number(b []byte, i int) int {
	if b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return -1
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

func literal(b []byte, i int, lit string) int {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// fastScalar is scalar for the fast path: the text of a string or number
// member, nil for any other kind.
func fastScalar(kind byte, val []byte) []byte {
	if kind == kindString || kind == kindNumber {
		return val
	}
	return nil
}
