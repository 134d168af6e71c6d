package transform

import "reflect"

// recSink records what a decoder emits, copying rows like the lake does.
type recSink struct {
	rows    map[string][]any
	rejects []Rejection
}

func newRecSink() *recSink { return &recSink{rows: map[string][]any{}} }

func (s *recSink) Row(dataset string, row any) {
	// A shallow copy, as the lake keeps.
	v := reflect.ValueOf(row).Elem()
	c := reflect.New(v.Type())
	c.Elem().Set(v)
	s.rows[dataset] = append(s.rows[dataset], c.Interface())
}

func (s *recSink) Reject(r Rejection) {
	r.Excerpt = append([]byte(nil), r.Excerpt...)
	s.rejects = append(s.rejects, r)
}
