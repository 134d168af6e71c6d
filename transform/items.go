package transform

import "github.com/valyala/fastjson"

// eachItem walks the record shape the JSON topics share (contract 2.1, 2.2,
// 2.4): one object, an array of objects, or, when envelopes is set, an
// object whose data member is an array (the envelope, passed to fn). Each
// item stands alone: one that is not an object is rejected with its index
// and the others still reach fn. An empty array or envelope yields nothing.
func eachItem(p *fastjson.Parser, rec *Record, sink Sink, envelopes bool, fn func(item int32, obj, envelope *fastjson.Value)) {
	v, err := p.ParseBytes(rec.Value)
	if err != nil {
		sink.Reject(Rejection{Item: -1, Reason: ReasonInvalidJSON + ": " + err.Error()})
		return
	}
	var items []*fastjson.Value
	var env *fastjson.Value
	switch v.Type() {
	case fastjson.TypeArray:
		items, _ = v.Array()
	case fastjson.TypeObject:
		if data := v.Get("data"); envelopes && data != nil && data.Type() == fastjson.TypeArray {
			items, _ = data.Array()
			env = v
		} else {
			fn(0, v, nil)
			return
		}
	default:
		sink.Reject(Rejection{Item: -1, Reason: ReasonNotObject + ": value is a JSON " + v.Type().String(), Excerpt: Excerpt(v.MarshalTo(nil))})
		return
	}
	for i, it := range items {
		if it.Type() != fastjson.TypeObject {
			sink.Reject(Rejection{Item: int32(i), Reason: ReasonNotObject + ": item is a JSON " + it.Type().String(), Excerpt: Excerpt(it.MarshalTo(nil))})
			continue
		}
		fn(int32(i), it, env)
	}
}

// rejectItem quarantines one item, its excerpt stripped of the personal
// fields first (contract section 5).
func rejectItem(sink Sink, item int32, v *fastjson.Value, reason string, personal []string) {
	if o, err := v.Object(); err == nil {
		for _, f := range personal {
			o.Del(f)
		}
	}
	sink.Reject(Rejection{Item: item, Reason: reason, Excerpt: Excerpt(v.MarshalTo(nil))})
}
