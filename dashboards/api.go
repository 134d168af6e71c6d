package dashboards

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/tayninh/ktxh/warehouse"
)

// Media types of /api/sql.
const (
	mimeJSON  = "application/json"
	mimeCSV   = "text/csv"
	mimeArrow = "application/vnd.apache.arrow.stream"
)

// maxSQLBody bounds a POSTed query.
const maxSQLBody = 1 << 20

// The encoders of `ktxh sql`: the API answers exactly what the CLI prints.
var (
	csvEncoder, _  = warehouse.NewEncoder("csv")
	jsonEncoder, _ = warehouse.NewEncoder("json")
)

// apiSQL runs one read-only statement (the sandbox of `ktxh sql`) from
// ?q= (or a POSTed form field q, or a POSTed text/plain or application/sql
// body) and answers JSON (an array of objects), CSV (a header row, NULL as
// an empty field) or an Arrow IPC stream, chosen by ?format= or Accept.
func (s *Server) apiSQL(w http.ResponseWriter, r *http.Request) {
	q, err := sqlText(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, err)
		return
	}
	format, err := negotiate(r)
	if err != nil {
		apiError(w, http.StatusNotAcceptable, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.QueryTimeout)
	defer cancel()
	rows, err := s.q.Query(ctx, q)
	if err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, warehouse.ErrNotReadOnly) {
			code = http.StatusForbidden
		} else if errors.Is(err, context.DeadlineExceeded) {
			code = http.StatusServiceUnavailable
		}
		apiError(w, code, err)
		return
	}
	defer rows.Close()
	w.Header().Set("Cache-Control", "no-store")
	// Each format streams row by row: memory stays bounded whatever the
	// result's size, and QueryTimeout bounds its time.
	switch format {
	case mimeArrow:
		w.Header().Set("Content-Type", mimeArrow)
		err = writeArrow(w, rows)
	case mimeCSV:
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		err = csvEncoder.Encode(w, rows)
	default:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		err = jsonEncoder.Encode(w, rows)
	}
	if err != nil {
		// The status line is gone: cut the connection so that the client
		// sees a broken answer, never a short one that looks whole.
		s.log.Warn("api/sql", "err", err, "query", abbrev(q))
		panic(http.ErrAbortHandler)
	}
}

func sqlText(r *http.Request) (string, error) {
	q := r.URL.Query().Get("q")
	if r.Method == http.MethodPost && q == "" {
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch ct {
		case "application/x-www-form-urlencoded", "multipart/form-data":
			r.Body = http.MaxBytesReader(nil, r.Body, maxSQLBody)
			q = r.PostFormValue("q")
		default:
			b, err := io.ReadAll(io.LimitReader(r.Body, maxSQLBody+1))
			if err != nil {
				return "", fmt.Errorf("read body: %w", err)
			}
			if len(b) > maxSQLBody {
				return "", fmt.Errorf("query longer than %d bytes", maxSQLBody)
			}
			q = string(b)
		}
	}
	if strings.TrimSpace(q) == "" {
		return "", errors.New("missing query: pass ?q=SELECT ...")
	}
	return q, nil
}

// negotiate picks the answer format: ?format=json|csv|arrow, else the
// first Accept type we serve, else JSON.
func negotiate(r *http.Request) (string, error) {
	switch strings.ToLower(r.URL.Query().Get("format")) {
	case "json":
		return mimeJSON, nil
	case "csv":
		return mimeCSV, nil
	case "arrow":
		return mimeArrow, nil
	case "":
	default:
		return "", fmt.Errorf("format %q: want json, csv or arrow", r.URL.Query().Get("format"))
	}
	accept := r.Header.Get("Accept")
	if accept == "" {
		return mimeJSON, nil
	}
	best, bestQ := "", -1.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		qv := 1.0
		if v, ok := params["q"]; ok {
			fmt.Sscanf(v, "%g", &qv)
		}
		var f string
		switch mt {
		case mimeArrow, "application/vnd.apache.arrow.file":
			f = mimeArrow
		case mimeCSV:
			f = mimeCSV
		case mimeJSON, "application/*", "*/*", "text/*":
			f = mimeJSON
			if mt == "text/*" {
				f = mimeCSV
			}
		}
		if f != "" && qv > bestQ && qv > 0 {
			best, bestQ = f, qv
		}
	}
	if best == "" {
		return "", fmt.Errorf("not acceptable: %s (serve %s, %s or %s)", accept, mimeJSON, mimeCSV, mimeArrow)
	}
	return best, nil
}

func apiError(w http.ResponseWriter, code int, err error) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func abbrev(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 80 {
		q = q[:77] + "..."
	}
	return q
}

// healthz answers 200 when the warehouse answers a query, 503 when it
// fails. A query still running after 5 s (the warehouse rebuilding its KPI
// tables after a commit) answers 200 "busy": the pages keep serving the
// figures they hold meanwhile.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	status := map[string]any{"status": "ok", "lake_version": s.store.lakeVersion()}
	code := http.StatusOK
	rows, err := s.q.Query(ctx, "SELECT 1")
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	switch {
	case err == nil:
	case errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil:
		status["status"], status["error"] = "busy", err.Error()
	default:
		status["status"], status["error"] = "unavailable", err.Error()
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(status)
}

// KPI API: the figures the pages show, as JSON under the contract's names.

type periodJSON struct {
	Month  string     `json:"month"`
	Period PeriodKind `json:"period"`
	From   string     `json:"from"`
	To     string     `json:"to"`
	Label  string     `json:"label"`
}

func periodOf(p Period, l Lang) periodJSON {
	from, to := p.Range()
	return periodJSON{Month: p.Month.String(), Period: p.Kind, From: from.Format("2006-01-02"), To: to.Format("2006-01-02"), Label: p.Label(l)}
}

func monthStrings(ms []Month) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.String()
	}
	return out
}

// apiPeriod reads ?month=&period= and defaults the month to the latest.
func apiPeriod(r *http.Request, months []Month, kinds bool) (Period, error) {
	rq, err := parseRequest(r, "")
	if err != nil {
		return Period{}, err
	}
	if !kinds {
		rq.kind = KindMonth
	}
	p := Period{rq.month, rq.kind}
	if !rq.hasMonth {
		if len(months) == 0 {
			return p, errNoData
		}
		p.Month = months[len(months)-1]
	}
	return p, nil
}

func (s *Server) apiOnestop(w http.ResponseWriter, r *http.Request) {
	kind, err := ParseKind(r.URL.Query().Get("period"))
	if err != nil {
		apiError(w, http.StatusBadRequest, err)
		return
	}
	d, err := s.dims(r.Context())
	if err != nil {
		apiError(w, http.StatusInternalServerError, err)
		return
	}
	cube, err := s.onestop(r.Context(), kind)
	if err != nil {
		apiError(w, http.StatusInternalServerError, err)
		return
	}
	p, err := apiPeriod(r, cube.months, true)
	if err != nil {
		apiError(w, http.StatusBadRequest, err)
		return
	}
	type groupJSON struct {
		SectorGroup string `json:"sector_group"`
		Name        string `json:"name"`
		*OnestopKPI
	}
	type agencyJSON struct {
		AgencyCode string `json:"agency_code"`
		Name       string `json:"name"`
		Level      string `json:"level"`
		*OnestopKPI
	}
	type monthJSON struct {
		Month string `json:"month"`
		*OnestopKPI
	}
	out := struct {
		periodJSON
		Months   []string     `json:"months"`
		Total    *OnestopKPI  `json:"total"`
		Previous *OnestopKPI  `json:"previous"`
		Trend    []monthJSON  `json:"trend"`
		Groups   []groupJSON  `json:"groups"`
		Agencies []agencyJSON `json:"agencies"`
	}{periodJSON: periodOf(p, langOf(r)), Months: monthStrings(cube.months), Total: cube.total(p.Month)}
	if cube.has(p.Month - 1) {
		out.Previous = cube.total(p.Month - 1)
	}
	for _, m := range window(p.Month, 12) {
		if cube.has(m) {
			out.Trend = append(out.Trend, monthJSON{m.String(), cube.total(m)})
		}
	}
	groups := cube.by(p.Month, func(r *onestopRow) string { return r.group }, nil)
	for _, g := range sortedKeys(groups, func(a, b string) bool { return a < b }) {
		out.Groups = append(out.Groups, groupJSON{g, d.groupName(g), groups[g]})
	}
	ags := cube.by(p.Month, func(r *onestopRow) string { return r.agency }, nil)
	for _, a := range rankAgencies(ags) {
		out.Agencies = append(out.Agencies, agencyJSON{a, d.agencyName(a), d.agencyLevel(a), ags[a]})
	}
	writeJSON(w, out)
}

func (s *Server) apiEgov(w http.ResponseWriter, r *http.Request) {
	d, err := s.dims(r.Context())
	if err != nil {
		apiError(w, http.StatusInternalServerError, err)
		return
	}
	cube, err := s.egovCube(r.Context())
	if err != nil {
		apiError(w, http.StatusInternalServerError, err)
		return
	}
	p, err := apiPeriod(r, cube.months, false)
	if err != nil {
		apiError(w, http.StatusBadRequest, err)
		return
	}
	type agencyJSON struct {
		AgencyCode string `json:"agency_code"`
		Name       string `json:"name"`
		*EgovKPI
	}
	out := struct {
		periodJSON
		Months   []string     `json:"months"`
		Total    *EgovKPI     `json:"total"`
		Agencies []agencyJSON `json:"agencies"`
	}{periodJSON: periodOf(p, langOf(r)), Months: monthStrings(cube.months), Total: &EgovKPI{}}
	if t := sumBy(cube, p.Month, func(string, string) string { return "" }, addEgov)[""]; t != nil {
		out.Total = t
	}
	by := sumBy(cube, p.Month, func(a, _ string) string { return a }, addEgov)
	for _, a := range sortedKeys(by, func(a, b string) bool { return a < b }) {
		out.Agencies = append(out.Agencies, agencyJSON{a, d.agencyName(a), by[a]})
	}
	writeJSON(w, out)
}

func (s *Server) apiStaffing(w http.ResponseWriter, r *http.Request) {
	cube, err := s.staffCube(r.Context())
	if err != nil {
		apiError(w, http.StatusInternalServerError, err)
		return
	}
	p, err := apiPeriod(r, cube.months, false)
	if err != nil {
		apiError(w, http.StatusBadRequest, err)
		return
	}
	out := struct {
		periodJSON
		Months   []string             `json:"months"`
		Classes  map[string]*StaffKPI `json:"classes"`
		BaseYear int                  `json:"base_year"`
		Targets  []staffTargetJSON    `json:"targets"`
	}{periodJSON: periodOf(p, langOf(r)), Months: monthStrings(cube.months),
		Classes: sumBy(cube, p.Month, func(_, c string) string { return c }, addStaff)}
	plan := s.plan(r.Context())
	out.BaseYear = plan.BaseYear
	for _, t := range plan.Targets {
		tj := staffTargetJSON{Name: t.Name, Class: t.Class, FromYear: t.FromYear, ToYear: t.ToYear, BaseYear: t.BaseYear, Reduction: t.Reduction}
		if g := plan.progress(&t, min(max(p.Month.Year(), t.FromYear), t.ToYear)); g != nil {
			tj.Year, tj.QuotaReduction = g.Year, g.Reduction()
		}
		out.Targets = append(out.Targets, tj)
	}
	writeJSON(w, out)
}

type staffTargetJSON struct {
	Name           string   `json:"target_name"`
	Class          string   `json:"staff_class"`
	FromYear       int      `json:"period_from_year"`
	ToYear         int      `json:"period_to_year"`
	BaseYear       int      `json:"base_year"`
	Reduction      float64  `json:"target_reduction"`
	Year           int      `json:"year,omitempty"`
	QuotaReduction *float64 `json:"quota_reduction_vs_base"`
}

// apiMonths lists the months with data of each view.
func (s *Server) apiMonths(w http.ResponseWriter, r *http.Request) {
	out := map[string][]string{}
	var errs []error
	for _, k := range []PeriodKind{KindMonth, KindReport} {
		c, err := s.onestop(r.Context(), k)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[onestopView(k)] = monthStrings(c.months)
	}
	if c, err := s.egovCube(r.Context()); err == nil {
		out["kpi_egov_monthly"] = monthStrings(c.months)
	} else {
		errs = append(errs, err)
	}
	if c, err := s.staffCube(r.Context()); err == nil {
		out[c.view] = monthStrings(c.months)
	} else {
		errs = append(errs, err)
	}
	if len(out) == 0 && len(errs) > 0 {
		apiError(w, http.StatusInternalServerError, errors.Join(errs...))
		return
	}
	writeJSON(w, out)
}
