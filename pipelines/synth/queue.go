package synth

// evKind says what a pending event does when its time comes.
type evKind uint8

const (
	evDossier   evKind = iota // the dossier's next planned step
	evFlush                   // a batch's window closes
	evDocSend                 // a document package is sent
	evDocStatus               // a recipient's next status
	evDocRevoke               // the sender asks to revoke the document
	evMsg                     // a prepared message (staffing)
)

// event is one pending event. Ties on t are broken by seq, the order in
// which events were scheduled, so the run is deterministic.
type event struct {
	t    int64
	seq  uint64
	kind evKind
	i    int32 // agency (flush) or recipient index (doc status)
	gen  uint32
	d    *dossier
	doc  *document
	msg  *pending
}

func (a *event) less(b *event) bool {
	if a.t != b.t {
		return a.t < b.t
	}
	return a.seq < b.seq
}

// eventQueue is a 4-ary min-heap of events: the simulation's calendar. It
// holds only what is pending (open dossiers, documents in flight), never a
// whole year.
type eventQueue struct {
	h   []event
	seq uint64
}

func (q *eventQueue) push(e event) {
	q.seq++
	e.seq = q.seq
	q.h = append(q.h, e)
	i := len(q.h) - 1
	for i > 0 {
		p := (i - 1) / 4
		if !q.h[i].less(&q.h[p]) {
			break
		}
		q.h[i], q.h[p] = q.h[p], q.h[i]
		i = p
	}
}

func (q *eventQueue) len() int { return len(q.h) }

func (q *eventQueue) peek() *event { return &q.h[0] }

func (q *eventQueue) pop() event {
	top := q.h[0]
	n := len(q.h) - 1
	q.h[0] = q.h[n]
	q.h[n] = event{}
	q.h = q.h[:n]
	i := 0
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for j := c + 1; j < c+4 && j < n; j++ {
			if q.h[j].less(&q.h[m]) {
				m = j
			}
		}
		if !q.h[m].less(&q.h[i]) {
			break
		}
		q.h[i], q.h[m] = q.h[m], q.h[i]
		i = m
	}
	return top
}
