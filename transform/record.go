package transform

import (
	"time"
	"unicode/utf8"
)

// Record is one Kafka record as a decoder sees it.
type Record struct {
	Topic     string
	Partition int32
	Offset    int64
	Timestamp time.Time
	Key       []byte
	// Value is nil for a tombstone.
	Value []byte
}

// Sink receives what a decoder makes of a record. Row's row is a pointer to
// the dataset's row type; the sink keeps a shallow copy, so a decoder may
// reuse the struct but never a slice or map it referenced.
type Sink interface {
	Row(dataset string, row any)
	Reject(Rejection)
}

// Rejection is a record, or one item of it, that cannot be used.
type Rejection struct {
	// Item is the index of the rejected item inside an array or envelope, or
	// -1 when the whole record is rejected.
	Item int32
	// Reason is "<code>: <detail>", the code one of the Reason* constants.
	Reason string
	// Excerpt is the item's content without personal data, cut to
	// MaxExcerpt bytes; nil when the record does not parse.
	Excerpt []byte
}

// Reason codes, the stable first word of Rejection.Reason.
const (
	ReasonInvalidUTF8  = "invalid_utf8"
	ReasonInvalidJSON  = "invalid_json"
	ReasonInvalidXML   = "invalid_xml"
	ReasonTooLarge     = "too_large"
	ReasonNotObject    = "not_an_object"
	ReasonMissingField = "missing_field"
	ReasonOutOfRange   = "out_of_range"
	ReasonBadDate      = "bad_date"
	ReasonUnknownShape = "unknown_shape"
)

// MaxExcerpt bounds the excerpt kept in quarantine.
const MaxExcerpt = 4 << 10

// Decoder decodes one topic's records.
type Decoder interface {
	// Decode sends the rows and rejections of rec to sink. It is never
	// called for a tombstone (nil value): the caller skips and counts those.
	Decode(rec *Record, sink Sink)
}

// Precheck applies the checks every topic shares: a size limit and valid
// UTF-8. It returns false after rejecting the record. Tombstones pass.
func Precheck(rec *Record, maxBytes int, sink Sink) bool {
	if len(rec.Value) > maxBytes {
		sink.Reject(Rejection{Item: -1, Reason: ReasonTooLarge + ": value of " + itoa(int64(len(rec.Value))) + " bytes exceeds " + itoa(int64(maxBytes))})
		return false
	}
	if !utf8.Valid(rec.Value) {
		sink.Reject(Rejection{Item: -1, Reason: ReasonInvalidUTF8 + ": value is not valid UTF-8"})
		return false
	}
	return true
}

// Excerpt cuts b to MaxExcerpt bytes without splitting a UTF-8 sequence.
func Excerpt(b []byte) []byte {
	if len(b) <= MaxExcerpt {
		return b
	}
	b = b[:MaxExcerpt]
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if r, size := utf8.DecodeLastRune(b); r != utf8.RuneError || size > 1 {
			break
		}
		b = b[:len(b)-1]
	}
	return b
}
