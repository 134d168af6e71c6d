package dashboards

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds the browser, skipping the test only off CI.
func chromiumPath(t *testing.T) string {
	for _, p := range []string{os.Getenv("KTXH_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium at /usr/bin/chromium: CI must install it (apt-get install chromium, see .ci/run)")
	}
	t.Skip("no chromium at /usr/bin/chromium (apt-get install chromium): the browser test runs in CI")
	return ""
}

// browser is a headless Chromium tab that records every console error and
// every request to a host other than the server's.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	host string

	mu       sync.Mutex
	problems []string
	requests int
}

func newBrowser(t *testing.T, base string) *browser {
	exec := chromiumPath(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exec),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints,AutofillServerCommunication"),
		chromedp.WindowSize(1400, 1000),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); acancel() })
	b := &browser{t: t, ctx: ctx, base: base, host: u.Host}
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if err := chromedp.Listen(ctx, b.event); err != nil {
		t.Fatal(err)
	}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.problem("console %s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line)
			}
		}
	}()
	return b
}

func (b *browser) problem(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, fmt.Sprintf(format, args...))
}

func (b *browser) event(ev any) {
	e, ok := ev.(*network.EventRequestWillBeSent)
	if !ok {
		return
	}
	b.mu.Lock()
	b.requests++
	b.mu.Unlock()
	u, err := url.Parse(e.Request.URL)
	if err != nil {
		b.problem("request to unparsable URL %q", e.Request.URL)
		return
	}
	switch u.Scheme {
	case "data", "blob", "about":
		return
	}
	if u.Host != b.host {
		b.problem("request to another host: %s", e.Request.URL)
	}
}

func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

func eval[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// chartsDrawn waits until app.js has drawn every chart of the page and
// echarts reported each one finished.
const chartsDrawn = `document.documentElement.getAttribute('data-charts') !== null &&
  Array.from(document.querySelectorAll('.chart')).every(e => e.getAttribute('data-rendered') === '1')`

// open loads a page and waits for its charts. The wait goes through
// waitFor, which retries an evaluation that fails: right after a navigation
// chromedp can still hold the old document's execution context ("Cannot
// find context with specified id"), which made a single Poll flaky.
func (b *browser) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base + path))
	b.waitFor(b.base + path)
}

// waitFor waits for a page whose URL contains want, its charts drawn (the
// page navigates by itself: a click, the month picker).
func (b *browser) waitFor(want string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`location.href.includes(`+jsString(want)+`) && document.readyState === 'complete' && (`+chartsDrawn+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("page with %q never came: at %s", want, eval[string](b, "location.href"))
}

func jsString(s string) string { return fmt.Sprintf("%q", s) }

type drawn struct {
	ID    string `json:"id"`
	Px    int    `json:"px"`
	Empty bool   `json:"empty"`
}

// pixels counts the painted pixels of each chart's canvas.
const pixels = `Array.from(document.querySelectorAll('.chart')).map(el => {
  const c = el.querySelector('canvas');
  if (!c) return {id: el.id, px: -1, empty: false};
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
  return {id: el.id, px: n, empty: el.getAttribute('data-empty') === '1'};
})`

func TestBrowser(t *testing.T) {
	chromiumPath(t)
	_, ts := newTestServer(t)
	b := newBrowser(t, ts.URL)

	t.Run("every page draws its charts", func(t *testing.T) {
		for _, p := range []string{"/", "/sectors", "/sectors?group=G13", "/agencies", "/agencies?level=department", "/agencies?level=district",
			"/agencies?level=commune", "/egov", "/staffing", "/?period=report"} {
			b.open(p)
			charts := eval[[]drawn](b, pixels)
			if len(charts) == 0 {
				t.Errorf("%s: no chart", p)
			}
			for _, c := range charts {
				if c.Px < 1000 {
					t.Errorf("%s: chart %s has %d pixels drawn", p, c.ID, c.Px)
				}
				if c.Empty && (p == "/" || p == "/egov" || p == "/staffing") {
					t.Errorf("%s: chart %s has no data", p, c.ID)
				}
			}
			if n := eval[int](b, `document.querySelectorAll('table tbody tr').length`); n == 0 {
				t.Errorf("%s: no table row", p)
			}
		}
	})

	t.Run("drill down from a group to its sectors and their agencies", func(t *testing.T) {
		b.open("/sectors")
		b.clickBar("chart-backlog", "group=G13")
		b.waitFor("group=G13")
		codes := eval[[]string](b, `Array.from(document.querySelectorAll('#table-breakdown tbody td:first-child')).map(td => td.textContent)`)
		if len(codes) == 0 {
			t.Fatal("no sector of G13")
		}
		for _, c := range codes {
			if !strings.HasPrefix(c, "G13-") {
				t.Errorf("sector %q shown under G13", c)
			}
		}
		if head := eval[string](b, `document.querySelector('#table-breakdown th:nth-child(2)').textContent`); head != LangVI.T("sectors.sector") {
			t.Errorf("group level shows %q", head)
		}
		// The agencies handling the group are listed below.
		if n := eval[int](b, `document.querySelectorAll('#table-agencies tbody tr').length`); n == 0 {
			t.Error("no agency of G13")
		}
		sector := eval[string](b, `JSON.parse(document.getElementById('chart-backlog').dataset.links)[0]`)
		m := regexp.MustCompile(`sector=([^&]+)`).FindStringSubmatch(sector)
		if m == nil {
			t.Fatalf("no sector link in %s", sector)
		}
		b.clickBar("chart-backlog", "sector="+m[1])
		b.waitFor("sector=" + m[1])
		if head := eval[string](b, `document.querySelector('#table-breakdown th:nth-child(2)').textContent`); head != LangVI.T("agencies.agency") {
			t.Errorf("sector level shows %q, want agencies", head)
		}
		if crumbs := eval[string](b, `document.querySelector('.crumbs').textContent`); !strings.Contains(crumbs, "G13") {
			t.Errorf("breadcrumbs %q", crumbs)
		}
	})

	t.Run("month picker changes what is shown", func(t *testing.T) {
		b.open("/")
		before := eval[string](b, `document.getElementById('period-label').textContent + '|' + document.querySelector('.card[data-key=received] .value').textContent + '|' + document.querySelector('.card[data-key=open_end] .value').textContent`)
		month := eval[string](b, `(() => { const s = document.getElementById('pick-month'); s.value = s.options[2].value; s.dispatchEvent(new Event('change', {bubbles: true})); return s.value; })()`)
		b.waitFor("month=" + month)
		after := eval[string](b, `document.getElementById('period-label').textContent + '|' + document.querySelector('.card[data-key=received] .value').textContent + '|' + document.querySelector('.card[data-key=open_end] .value').textContent`)
		mm, _ := ParseMonth(month)
		if before == after || !strings.Contains(after, mm.Label()) {
			t.Errorf("before %q, after %q (month %s)", before, after, month)
		}
		if cur := eval[string](b, `document.querySelector('#table-trend tr.current td').textContent`); cur != mm.Label() {
			t.Errorf("table's current row is %q, want %s", cur, mm.Label())
		}
		eval[string](b, `(() => { const s = document.getElementById('pick-period'); s.value = 'report'; s.dispatchEvent(new Event('change', {bubbles: true})); return s.value; })()`)
		b.waitFor("period=report")
		label := eval[string](b, `document.getElementById('period-label').textContent`)
		if !strings.Contains(label, "15/") || !strings.Contains(label, mm.Label()) {
			t.Errorf("reporting period label %q", label)
		}
		report := eval[string](b, `document.querySelector('.card[data-key=received] .value').textContent`)
		if report == strings.Split(after, "|")[1] {
			t.Errorf("reporting period shows the calendar month's received %s", report)
		}
	})

	t.Run("overview prints on one A4 page", func(t *testing.T) {
		b.open("/")
		ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		defer cancel()
		pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPrintBackground(),
			func(p *cdppage.PrintToPDFParams) { v := true; p.PreferCSSPageSize = &v }))
		if err != nil {
			t.Fatal(err)
		}
		if out := os.Getenv("KTXH_DASHBOARDS_PDF"); out != "" {
			os.WriteFile(out, pdf, 0o644)
		}
		pages := len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf, -1))
		if pages != 1 {
			os.WriteFile(t.TempDir()+"/overview.pdf", pdf, 0o644)
			t.Errorf("overview prints on %d pages", pages)
		}
	})

	t.Run("english", func(t *testing.T) {
		b.open("/?lang=en")
		nav := eval[string](b, `document.documentElement.lang + '|' + document.querySelector('nav.pages a.current').textContent`)
		if nav != "en|Overview" {
			t.Errorf("got %q", nav)
		}
		b.open("/?lang=vi")
	})

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		t.Error(p)
	}
	if b.requests == 0 {
		t.Error("saw no request at all: the network listener is broken")
	}
}

// clickBar clicks, with the mouse, the bar of a chart whose drill-down link
// contains want.
func (b *browser) clickBar(chartID, want string) {
	b.t.Helper()
	type point struct {
		X, Y  float64
		Index int
	}
	p := eval[point](b, `(() => {
  const el = document.getElementById(`+jsString(chartID)+`);
  el.scrollIntoView({block: 'center'});
  const links = JSON.parse(el.dataset.links);
  const i = links.findIndex(u => u.includes(`+jsString(want)+`));
  if (i < 0) return {X: -1, Y: -1, Index: -1};
  const ch = echarts.getInstanceByDom(el);
  let total = 0;
  for (const s of ch.getOption().series) { const v = s.data[i]; const n = Number(v !== null && typeof v === 'object' ? v.value : v); if (n > 0) total += n; }
  const x = ch.convertToPixel({xAxisIndex: 0}, total / 2), y = ch.convertToPixel({yAxisIndex: 0}, i);
  const r = el.getBoundingClientRect();
  return {X: r.left + x, Y: r.top + y, Index: i};
})()`)
	if p.Index < 0 {
		b.t.Fatalf("%s has no bar linking to %s", chartID, want)
	}
	b.do(chromedp.MouseClickXY(p.X, p.Y))
}
