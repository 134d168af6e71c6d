package dashboards

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry is where the server registers its metrics and what /metrics
// serves: a *prometheus.Registry.
type Registry interface {
	prometheus.Registerer
	prometheus.Gatherer
}

// Options configure New. Zero values mean defaults.
type Options struct {
	Logger *slog.Logger
	// Registry receives the server's metrics and is served on /metrics
	// (default: a registry of the server's own).
	Registry Registry
	// QueryTimeout bounds loading a view and an /api/sql query (default 2m).
	QueryTimeout time.Duration
	// VersionCheck is how often the lake is checked for new commits
	// (default 2s).
	VersionCheck time.Duration
	// MaxAge is how long loaded views are kept when the Querier has no lake
	// directory to watch (default 1m).
	MaxAge time.Duration
}

func (o *Options) validate() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = 2 * time.Minute
	}
	if o.VersionCheck <= 0 {
		o.VersionCheck = 2 * time.Second
	}
	if o.MaxAge <= 0 {
		o.MaxAge = time.Minute
	}
}

// Server serves the dashboards and the HTTP API.
type Server struct {
	q       Querier
	opts    Options
	log     *slog.Logger
	metrics *metrics
	store   *store
	assets  *assetServer
	pages   map[string]*template.Template
	builds  map[string]pageFunc
	handler http.Handler
}

// ErrNoEcharts says the binary was built without the vendored echarts
// library: the pages would show no chart.
var ErrNoEcharts = errors.New("dashboards: assets/vendor/echarts.min.js is not embedded: run `make assets` (npm ci, then scripts/vendor-assets.sh) before building ktxh")

// New returns a server over q. It fails when the embedded assets lack
// echarts.
func New(q Querier, opts Options) (*Server, error) {
	opts.validate()
	as, err := newAssetServer()
	if err != nil {
		return nil, err
	}
	s := &Server{q: q, opts: opts, log: opts.Logger, assets: as}
	s.metrics = newMetrics(opts.Registry)
	s.store = newStore(q, opts, s.metrics)
	s.builds = map[string]pageFunc{
		"overview": s.overview,
		"sectors":  s.sectors,
		"agencies": s.agencies,
		"egov":     s.egov,
		"staffing": s.staffing,
	}
	s.pages = map[string]*template.Template{}
	for name := range s.builds {
		t, err := parsePage(name, as)
		if err != nil {
			return nil, err
		}
		s.pages[name] = t
	}
	s.handler = s.routes()
	return s, nil
}

// Handler serves everything.
func (s *Server) Handler() http.Handler { return s.handler }

// Warm loads every view the pages read, so that the first reader does not
// wait for it. Errors are logged and returned joined.
func (s *Server) Warm(ctx context.Context) error {
	var errs []error
	if _, err := s.dims(ctx); err != nil {
		errs = append(errs, err)
	}
	for _, k := range []PeriodKind{KindMonth, KindReport} {
		if _, err := s.onestop(ctx, k); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := s.egovCube(ctx); err != nil {
		errs = append(errs, err)
	}
	if _, err := s.staffCube(ctx); err != nil {
		errs = append(errs, err)
	}
	err := errors.Join(errs...)
	if err != nil {
		s.log.Warn("warm dashboards", "err", err)
	}
	return err
}

// Pages in menu order.
var pageOrder = []struct{ name, path, key string }{
	{"overview", "/", "nav.overview"},
	{"sectors", "/sectors", "nav.sectors"},
	{"agencies", "/agencies", "nav.agencies"},
	{"egov", "/egov", "nav.egov"},
	{"staffing", "/staffing", "nav.staffing"},
}

func pagePath(name string) string {
	for _, p := range pageOrder {
		if p.name == name {
			return p.path
		}
	}
	return "/"
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern, route string, h http.Handler) {
		mux.Handle(pattern, s.metrics.instrument(route, h))
	}
	for _, p := range pageOrder {
		pattern := "GET " + p.path
		if p.path == "/" {
			pattern = "GET /{$}"
		}
		handle(pattern, p.name, s.pageHandler(p.name))
	}
	handle("GET /overview", "overview", http.RedirectHandler("/", http.StatusMovedPermanently))
	handle("GET /download/{page}/{file}", "download", http.HandlerFunc(s.download))
	handle("GET /assets/", "assets", s.assets)
	handle("GET /favicon.ico", "assets", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/assets/favicon.svg"
		s.assets.ServeHTTP(w, r2)
	}))
	handle("GET /api/sql", "api_sql", http.HandlerFunc(s.apiSQL))
	handle("POST /api/sql", "api_sql", http.HandlerFunc(s.apiSQL))
	handle("GET /api/kpi/onestop", "api_kpi", http.HandlerFunc(s.apiOnestop))
	handle("GET /api/kpi/egov", "api_kpi", http.HandlerFunc(s.apiEgov))
	handle("GET /api/kpi/staffing", "api_kpi", http.HandlerFunc(s.apiStaffing))
	handle("GET /api/months", "api_kpi", http.HandlerFunc(s.apiMonths))
	handle("GET /healthz", "healthz", http.HandlerFunc(s.healthz))
	handle("GET /metrics", "metrics", promhttp.HandlerFor(s.opts.Registry, promhttp.HandlerOpts{ErrorLog: slogPrinter{s.log}}))
	handle("/", "not_found", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "404 page not found", http.StatusNotFound)
	}))
	return securityHeaders(mux)
}

type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.log.Error(fmt.Sprint(v...)) }

// securityHeaders lets a page load nothing but what this server serves:
// the browser itself refuses any other host.
func securityHeaders(h http.Handler) http.Handler {
	const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
		"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

// request is what a page reads from its URL.
type request struct {
	lang     Lang
	month    Month
	hasMonth bool
	kind     PeriodKind
	page     string
	query    url.Values
}

func parseRequest(r *http.Request, page string) (*request, error) {
	q := r.URL.Query()
	rq := &request{lang: langOf(r), page: page, query: q}
	var err error
	if rq.kind, err = ParseKind(q.Get("period")); err != nil {
		return nil, err
	}
	if m := q.Get("month"); m != "" {
		if rq.month, err = ParseMonth(m); err != nil {
			return nil, err
		}
		rq.hasMonth = true
	}
	return rq, nil
}

// link is the URL of page path with the request's parameters, changed by
// kv pairs (an empty value removes the parameter).
func (rq *request) link(p string, kv ...string) string {
	q := url.Values{}
	for k, v := range rq.query {
		q[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return p
	}
	return p + "?" + q.Encode()
}

// navLink keeps only what every page shares: month, period, language.
func (rq *request) navLink(p string) string {
	q := url.Values{}
	for _, k := range []string{"month", "period", "lang"} {
		if v := rq.query.Get(k); v != "" {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return p
	}
	return p + "?" + q.Encode()
}

type pageFunc func(ctx context.Context, rq *request) (*page, error)

func (s *Server) pageHandler(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq, err := parseRequest(r, name)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if l, ok := parseLang(r.URL.Query().Get("lang")); ok {
			http.SetCookie(w, &http.Cookie{Name: langCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
		}
		p, err := s.builds[name](r.Context(), rq)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var buf bytes.Buffer
		if err := s.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
			s.fail(w, r, fmt.Errorf("render %s: %w", name, err))
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(buf.Bytes())
	})
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	if errors.Is(err, context.DeadlineExceeded) {
		code = http.StatusServiceUnavailable
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the reader left
	}
	s.log.Error("serve", "path", r.URL.Path, "err", err)
	http.Error(w, fmt.Sprintf("%d %s: %v", code, http.StatusText(code), err), code)
}

// download serves a table of a page as CSV or XLSX:
// /download/<page>/<table>.<csv|xlsx>?<the page's parameters>.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	name, file := r.PathValue("page"), r.PathValue("file")
	build, ok := s.builds[name]
	ext := path.Ext(file)
	id := strings.TrimSuffix(file, ext)
	if !ok || (ext != ".csv" && ext != ".xlsx") {
		http.NotFound(w, r)
		return
	}
	rq, err := parseRequest(r, name)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p, err := build(r.Context(), rq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t := p.Tables[id]
	if t == nil {
		http.NotFound(w, r)
		return
	}
	fname := fmt.Sprintf("ktxh-%s-%s-%s-%s%s", name, id, p.Period.Kind, p.Period.Month, ext)
	var buf bytes.Buffer
	switch ext {
	case ".csv":
		err = t.writeCSV(&buf)
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	case ".xlsx":
		err = t.writeXLSX(&buf, p.Title+" · "+p.PeriodLabel)
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	}
	if err != nil {
		s.fail(w, r, fmt.Errorf("write %s: %w", file, err))
		return
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", fname))
	w.Write(buf.Bytes())
}

// Cached loads.

func (s *Server) dims(ctx context.Context) (*dimensions, error) {
	v, err := s.store.get(ctx, "dims", func(ctx context.Context) (any, error) { return loadDims(ctx, s.q) })
	if err != nil {
		return nil, err
	}
	return v.(*dimensions), nil
}

func (s *Server) onestop(ctx context.Context, kind PeriodKind) (*onestopCube, error) {
	v, err := s.store.get(ctx, onestopView(kind), func(ctx context.Context) (any, error) { return loadOnestop(ctx, s.q, kind) })
	if err != nil {
		return nil, err
	}
	return v.(*onestopCube), nil
}

func (s *Server) egovCube(ctx context.Context) (*monthCube[EgovKPI], error) {
	v, err := s.store.get(ctx, "kpi_egov_monthly", func(ctx context.Context) (any, error) { return loadEgov(ctx, s.q) })
	if err != nil {
		return nil, err
	}
	return v.(*monthCube[EgovKPI]), nil
}

func (s *Server) staffCube(ctx context.Context) (*monthCube[StaffKPI], error) {
	v, err := s.store.get(ctx, "kpi_staffing_monthly", func(ctx context.Context) (any, error) { return loadStaffing(ctx, s.q) })
	if err != nil {
		return nil, err
	}
	return v.(*monthCube[StaffKPI]), nil
}

// plan is the staffing configuration and target progress; what is
// missing is logged and left out.
func (s *Server) plan(ctx context.Context) *staffPlan {
	v, err := s.store.get(ctx, "staffing_targets", func(ctx context.Context) (any, error) {
		p, errs := loadStaffPlan(ctx, s.q)
		for _, err := range errs {
			s.log.Warn("staffing targets", "err", err)
		}
		return p, nil
	})
	if err != nil {
		return &staffPlan{BaseYear: 2015}
	}
	return v.(*staffPlan)
}

// sortedKeys returns m's keys ordered by less.
func sortedKeys[V any](m map[string]V, less func(a, b string) bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return less(keys[i], keys[j]) })
	return keys
}
