package synth

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Topics names the four topics written (contract section 2). An empty name
// means the contract's default. It converts to and from pipelines.Topics.
type Topics struct {
	Dossiers, Progress, Documents, Staffing string
}

// Config says what to generate. Zero Scale means 1.
type Config struct {
	// Seed makes the run: the same Config always yields the same messages.
	Seed int64
	// From and To are months (only their year and month count): the
	// messages cover the first day of From to the last day of To, inclusive.
	From, To time.Time
	// Scale is the volume: 1.0 is a realistic province year, about 300,000
	// dossiers and 150,000 documents. Staffing is not scaled.
	Scale float64
	// BadFraction is the share of deliberately broken records (cut short,
	// invalid UTF-8, a required field missing, tombstones), for demos of
	// the quarantine. Default 0.
	BadFraction float64
	Topics      Topics
}

// Message is one Kafka record to produce. Key and Value belong to the
// receiver: Generate never touches them after emit returns. A nil Value is
// a tombstone (only with BadFraction).
type Message struct {
	Topic      string
	Key, Value []byte
	// Time is the record timestamp: the event time of what it reports.
	Time time.Time
}

// Default topic names (contract section 2).
const (
	DefaultDossiers  = "onestop.dossiers"
	DefaultProgress  = "onestop.progress"
	DefaultDocuments = "egov.documents"
	DefaultStaffing  = "staffing.records"
)

// Topic indices.
const (
	tDossiers = iota
	tProgress
	tDocuments
	tStaffing
	nTopics
)

// required are member or element names that are required on each topic and
// present in every message of it; renaming one breaks the record.
var required = [nTopics][]string{
	tDossiers:  {"MaHoSo", "TrangThaiHoSo"},
	tProgress:  {"MaHoSo"},
	tDocuments: {"OrganId"},
	tStaffing:  {"MaDonVi", "LoaiHinh"},
}

// warmupDays are simulated before From without being emitted, so that the
// first month already has a backlog of dossiers and documents in flight.
const warmupDays = 120

var local = time.FixedZone("ICT", tzOffset)

// Generate calls emit for every message of cfg, in chronological order
// (Time never decreases within a topic; across topics too), deterministic
// for a Config. It streams: memory is bounded by what is pending (open
// dossiers, documents in flight, staff), not by the range. It stops at the
// first error of emit or when ctx is done.
func Generate(ctx context.Context, cfg Config, emit func(Message) error) error {
	g, err := newGen(ctx, cfg, emit)
	if err != nil {
		return err
	}
	return g.run()
}

func (c *Config) validate() error {
	if c.From.IsZero() || c.To.IsZero() {
		return errors.New("synth: From and To months are required")
	}
	if c.Scale == 0 {
		c.Scale = 1
	}
	if c.Scale < 0 || math.IsNaN(c.Scale) || math.IsInf(c.Scale, 0) {
		return fmt.Errorf("synth: scale %v must be positive", c.Scale)
	}
	if c.BadFraction < 0 || c.BadFraction > 1 || math.IsNaN(c.BadFraction) {
		return fmt.Errorf("synth: bad fraction %v is not in [0,1]", c.BadFraction)
	}
	from := dayNum(c.From.Year(), int(c.From.Month()), 1)
	to := dayNum(c.To.Year(), int(c.To.Month()), 1)
	if to < from {
		return fmt.Errorf("synth: To %s is before From %s", c.To.Format("2006-01"), c.From.Format("2006-01"))
	}
	if c.From.Year() < 2000 || c.To.Year() > 2100 {
		return fmt.Errorf("synth: months %s..%s out of range 2000..2100", c.From.Format("2006-01"), c.To.Format("2006-01"))
	}
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&c.Topics.Dossiers, DefaultDossiers)
	def(&c.Topics.Progress, DefaultProgress)
	def(&c.Topics.Documents, DefaultDocuments)
	def(&c.Topics.Staffing, DefaultStaffing)
	return nil
}

// gen is one run.
type gen struct {
	ctx  context.Context
	cfg  Config
	emit func(Message) error

	p   *province
	cal *calendar
	q   eventQueue

	warmDay, fromDay, endDay int64
	fromSec, endSec          int64
	topics                   [nTopics]string
	last                     [nTopics]int64
	n                        int64

	// Separate streams, so that changing one part leaves the others be.
	rnd  *rand.Rand // dossiers and progress
	rdoc *rand.Rand // documents
	rst  *rand.Rand // staffing
	rbad *rand.Rand // broken records

	w       jw     // scratch for single messages
	bw      jw     // writer of batch items
	val     []byte // scratch for batch values
	batches [2][]batch

	// Dossier codes: the per-agency sequence of the current day.
	codeDay []int64
	codeSeq []int32
	free    []*dossier
	eras    []era

	officers [][]string // per agency, names of the one-stop and processing staff

	docs  docState
	staff *staffer
}

func newGen(ctx context.Context, cfg Config, emit func(Message) error) (*gen, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	g := &gen{ctx: ctx, cfg: cfg, emit: emit, p: theProvince()}
	g.fromDay = dayNum(cfg.From.Year(), int(cfg.From.Month()), 1)
	g.endDay = dayNum(cfg.To.Year(), int(cfg.To.Month())+1, 1)
	g.warmDay = g.fromDay - warmupDays
	g.fromSec, g.endSec = dayStart(g.fromDay), dayStart(g.endDay)
	g.topics = [nTopics]string{cfg.Topics.Dossiers, cfg.Topics.Progress, cfg.Topics.Documents, cfg.Topics.Staffing}
	for i := range g.last {
		g.last[i] = math.MinInt64
	}
	staffStart := min(dayNum(2015, 1, 1), g.fromDay)
	// Dossiers planned near the end run years past it (the backlog).
	g.cal = newCalendar(min(staffStart, g.warmDay)-400, g.endDay+3*366)
	s := uint64(cfg.Seed)
	g.rnd = rand.New(rand.NewPCG(s, 0x6f6e6573746f7001))
	g.rdoc = rand.New(rand.NewPCG(s, 0x65676f7600000002))
	g.rst = rand.New(rand.NewPCG(s, 0x7374616666000003))
	g.rbad = rand.New(rand.NewPCG(s, 0x6261640000000004))
	n := len(g.p.agencies)
	for i := range g.batches {
		g.batches[i] = make([]batch, n)
	}
	g.codeDay = make([]int64, n)
	g.codeSeq = make([]int32, n)
	g.officers = make([][]string, n)
	g.eras = buildEras(g.p)
	g.docs.init(g)
	g.staff = newStaffer(g, staffStart)
	return g, nil
}

func (g *gen) run() error {
	// Staff are simulated from 2015 so that those employed at From carry
	// their real history; nothing before From is emitted.
	if err := g.staff.runSilently(g.fromDay); err != nil {
		return err
	}
	for day := g.warmDay; day < g.endDay; day++ {
		if err := g.ctx.Err(); err != nil {
			return err
		}
		if day >= g.fromDay {
			if day == g.fromDay {
				g.staff.initial(day)
			}
			g.staff.day(day, true)
		}
		g.dossierArrivals(day)
		g.documentArrivals(day)
		end := dayStart(day + 1)
		for g.q.len() > 0 && g.q.peek().t < end {
			e := g.q.pop()
			if err := g.handle(&e); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *gen) handle(e *event) error {
	switch e.kind {
	case evDossier:
		return g.dossierStep(e.d, e.t)
	case evFlush:
		b := &g.batches[e.i>>16][e.i&0xffff]
		if b.open && b.gen == e.gen {
			return g.flush(int(e.i>>16), int32(e.i&0xffff), e.t)
		}
	case evDocSend:
		return g.docSend(e.doc, e.t)
	case evDocStatus:
		return g.docStatus(e.doc, int(e.i), e.t, e.gen)
	case evDocRevoke:
		return g.docRevoke(e.doc, e.t)
	case evMsg:
		m := e.msg
		return g.out(m.topic, m.key, m.value, e.t)
	}
	return nil
}

// pending is a prepared message waiting for its time.
type pending struct {
	topic int
	key   string
	value []byte
}

// out emits one message at t, unless t is outside [From, To]. value is
// copied; it may be a scratch buffer.
func (g *gen) out(topic int, key string, value []byte, t int64) error {
	if t < g.fromSec || t >= g.endSec {
		return nil
	}
	if t < g.last[topic] {
		t = g.last[topic] // cannot happen by construction; kept as a guard
	}
	g.last[topic] = t
	v := make([]byte, len(value))
	copy(v, value)
	if g.cfg.BadFraction > 0 && g.rbad.Float64() < g.cfg.BadFraction {
		v = corrupt(g.rbad, v, required[topic])
	}
	k := []byte(key)
	g.n++
	if g.n&4095 == 0 {
		if err := g.ctx.Err(); err != nil {
			return err
		}
	}
	return g.emit(Message{Topic: g.topics[topic], Key: k, Value: v, Time: time.Unix(t, 0).In(local)})
}

// batch gathers the items one agency's software sends together: a JSON
// array or an envelope of several dossiers (or progress steps), sent when
// full or when its window closes (at most 10 minutes, never past midnight).
type batch struct {
	open   bool
	shape  uint8
	nums   bool
	n, max int
	gen    uint32
	key    string
	buf    []byte
	update bool
}

const batchWindow = 10 * minute

// item emits one JSON item (a dossier snapshot or a progress step) of
// agency ag at t, alone or in a batch. enc writes the item; its argument
// says whether the item goes in an envelope naming the agency.
func (g *gen) item(topic int, ag int32, t int64, key string, update bool, enc func(w *jw, inEnvelope bool)) error {
	if t < g.fromSec {
		return nil // warm-up: simulated, not encoded
	}
	st := g.p.agencies[ag].style
	b := &g.batches[topic][ag]
	if !b.open {
		shape := st.shapeOf(g.rnd)
		nums := g.rnd.Float64() < st.numbers
		if shape == shapeSingle {
			g.w = jw{b: g.w.b[:0], nums: nums, absent: st.absent}
			enc(&g.w, false)
			return g.out(topic, key, g.w.b, t)
		}
		b.open, b.shape, b.nums = true, shape, nums
		b.n, b.max = 0, 2+g.rnd.IntN(9)
		b.gen++
		b.key = key
		b.buf = b.buf[:0]
		b.update = false
		at := min(t+batchWindow, dayStart(dayOf(t)+1)-1)
		g.q.push(event{t: at, kind: evFlush, i: int32(topic<<16) | ag, gen: b.gen})
	}
	g.bw = jw{b: b.buf, nums: b.nums, absent: st.absent}
	enc(&g.bw, b.shape == shapeEnvelope)
	b.buf = g.bw.b
	b.n++
	b.update = b.update || update
	if b.n >= b.max {
		return g.flush(topic, ag, t)
	}
	return nil
}

var envelopeService = [2]string{"DongBoHoSoMC", "CapNhatTienDoHoSoMC"}

func (g *gen) flush(topic int, ag int32, t int64) error {
	b := &g.batches[topic][ag]
	b.open = false
	v := g.val[:0]
	if b.shape == shapeEnvelope {
		v = append(v, `{"service":"`...)
		v = append(v, envelopeService[topic]...)
		v = append(v, `","madonvi":"`...)
		v = append(v, g.p.agencies[ag].Code...)
		v = append(v, `","isUpdating":"`...)
		if b.update {
			v = append(v, "True"...)
		} else {
			v = append(v, "False"...)
		}
		v = append(v, `","data":[`...)
		v = append(v, b.buf...)
		v = append(v, "]}"...)
	} else {
		v = append(v, '[')
		v = append(v, b.buf...)
		v = append(v, ']')
	}
	g.val = v
	return g.out(topic, b.key, v, t)
}

// poisson draws a Poisson count (normal approximation for large means).
func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 40 {
		n := int(math.Round(lambda + math.Sqrt(lambda)*r.NormFloat64()))
		return max(n, 0)
	}
	l := math.Exp(-lambda)
	k, p := 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// expDays draws an exponential number of days with the given mean.
func expInt(r *rand.Rand, mean float64) int {
	return int(r.ExpFloat64() * mean)
}

// officeAt is a random office-hours instant of day.
func officeAt(r *rand.Rand, day int64) int64 {
	return officeSec(day, r.Int64N(officeLen))
}

// alias is Vose's alias table for drawing weighted items in O(1).
type alias struct {
	prob  []float64
	alias []int32
}

func newAlias(w []float64) alias {
	n := len(w)
	a := alias{prob: make([]float64, n), alias: make([]int32, n)}
	var sum float64
	for _, x := range w {
		sum += x
	}
	scaled := make([]float64, n)
	var small, large []int32
	for i, x := range w {
		scaled[i] = x * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.prob[s], a.alias[s] = scaled[s], l
		scaled[l] += scaled[s] - 1
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range large {
		a.prob[i] = 1
	}
	for _, i := range small {
		a.prob[i] = 1
	}
	return a
}

func (a *alias) pick(r *rand.Rand) int {
	i := r.IntN(len(a.prob))
	if r.Float64() < a.prob[i] {
		return i
	}
	return int(a.alias[i])
}
