package dashboards

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/xuri/excelize/v2"
)

const typesQuery = `SELECT 42::BIGINT AS n, 7::INTEGER AS i, 1.5::DOUBLE AS f, 'Tây Ninh' AS s, DATE '2019-09-13' AS d,
  TIMESTAMPTZ '2019-09-13 08:00:00+07' AS ts, 12.34::DECIMAL(10,2) AS dec, true AS b, NULL::INTEGER AS nul, [1, 2] AS l`

func TestAPISQLFormats(t *testing.T) {
	_, ts := newTestServer(t)
	q := func(sql string) string { return ts.URL + "/api/sql?q=" + url.QueryEscape(sql) }

	t.Run("json", func(t *testing.T) {
		resp, body := get(t, q(typesQuery))
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("%d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		var rows []map[string]any
		if err := json.Unmarshal([]byte(body), &rows); err != nil {
			t.Fatal(err, body)
		}
		if len(rows) != 1 || rows[0]["n"] != 42.0 || rows[0]["s"] != "Tây Ninh" || rows[0]["nul"] != nil || rows[0]["d"] != "2019-09-13" {
			t.Errorf("got %v", rows)
		}
	})
	t.Run("csv", func(t *testing.T) {
		// DECIMAL left out: warehouse's CSV encoder quotes it (reported).
		resp, body := get(t, q(strings.Replace(typesQuery, "12.34::DECIMAL(10,2)", "'12.34'", 1)), "Accept", "text/csv")
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("%d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{{"n", "i", "f", "s", "d", "ts", "dec", "b", "nul", "l"}, {"42", "7", "1.5", "Tây Ninh", "2019-09-13", "2019-09-13 08:00:00+07", "12.34", "true", "", "[1,2]"}}
		if len(recs) != 2 || strings.Join(recs[0], ",") != strings.Join(want[0], ",") || strings.Join(recs[1], ",") != strings.Join(want[1], ",") {
			t.Errorf("got %q\nwant %q", recs, want)
		}
	})
	t.Run("arrow", func(t *testing.T) {
		resp, body := get(t, q(typesQuery), "Accept", "application/vnd.apache.arrow.stream")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != mimeArrow {
			t.Fatalf("%d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		rd, err := ipc.NewReader(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Release()
		wantTypes := map[string]arrow.Type{"n": arrow.INT64, "i": arrow.INT32, "f": arrow.FLOAT64, "s": arrow.STRING, "d": arrow.DATE32,
			"ts": arrow.TIMESTAMP, "dec": arrow.DECIMAL128, "b": arrow.BOOL, "nul": arrow.INT32, "l": arrow.STRING}
		for _, f := range rd.Schema().Fields() {
			if wantTypes[f.Name] != f.Type.ID() {
				t.Errorf("column %s: %s, want %s", f.Name, f.Type, wantTypes[f.Name])
			}
		}
		if !rd.Next() {
			t.Fatal("no record batch", rd.Err())
		}
		rec := rd.RecordBatch()
		if rec.NumRows() != 1 {
			t.Fatalf("%d rows", rec.NumRows())
		}
		col := func(name string) arrow.Array {
			idx := rec.Schema().FieldIndices(name)
			return rec.Column(idx[0])
		}
		if v := col("n").(*array.Int64).Value(0); v != 42 {
			t.Errorf("n = %d", v)
		}
		if v := col("s").(*array.String).Value(0); v != "Tây Ninh" {
			t.Errorf("s = %q", v)
		}
		if v := col("d").(*array.Date32).Value(0).ToTime(); !v.Equal(time.Date(2019, 9, 13, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("d = %v", v)
		}
		tsType := rec.Schema().Field(rec.Schema().FieldIndices("ts")[0]).Type.(*arrow.TimestampType)
		if got := time.UnixMicro(int64(col("ts").(*array.Timestamp).Value(0))); !got.Equal(time.Date(2019, 9, 13, 1, 0, 0, 0, time.UTC)) || tsType.TimeZone != arrowZone {
			t.Errorf("ts = %v (%s)", got, tsType.TimeZone)
		}
		if v := col("dec").(*array.Decimal128).ValueStr(0); v != "12.34" {
			t.Errorf("dec = %s", v)
		}
		if !col("nul").IsNull(0) {
			t.Error("nul is not null")
		}
		if rd.Next() {
			t.Error("a second batch")
		}
	})
	t.Run("arrow agrees with json on the lake", func(t *testing.T) {
		sql := "SELECT status, count(*) AS n FROM dossiers GROUP BY status ORDER BY status"
		_, js := get(t, q(sql))
		var rows []struct {
			Status int32 `json:"status"`
			N      int64 `json:"n"`
		}
		if err := json.Unmarshal([]byte(js), &rows); err != nil || len(rows) == 0 {
			t.Fatal(err, js)
		}
		_, body := get(t, q(sql)+"&format=arrow")
		rd, err := ipc.NewReader(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Release()
		i := 0
		for rd.Next() {
			rec := rd.RecordBatch()
			st, n := rec.Column(0).(*array.Int32), rec.Column(1).(*array.Int64)
			for r := 0; r < int(rec.NumRows()); r++ {
				if i >= len(rows) || rows[i].Status != st.Value(r) || rows[i].N != n.Value(r) {
					t.Fatalf("row %d: arrow (%d, %d), json %v", i, st.Value(r), n.Value(r), rows)
				}
				i++
			}
		}
		if i != len(rows) {
			t.Errorf("arrow %d rows, json %d", i, len(rows))
		}
	})
	t.Run("post", func(t *testing.T) {
		resp, err := http.Post(ts.URL+"/api/sql?format=csv", "application/sql", strings.NewReader("SELECT 1 AS one"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		if resp.StatusCode != 200 || b.String() != "one\n1\n" {
			t.Errorf("%d %q", resp.StatusCode, b.String())
		}
	})
	t.Run("refused", func(t *testing.T) {
		for sql, code := range map[string]int{
			"DROP VIEW dossiers":                     http.StatusForbidden,
			"COPY (SELECT 1) TO '/tmp/x.csv'":        http.StatusForbidden,
			"SELECT * FROM read_text('/etc/passwd')": http.StatusBadRequest,
			"SELECT 1; SELECT 2":                     http.StatusBadRequest,
			"":                                       http.StatusBadRequest,
		} {
			resp, body := get(t, q(sql))
			if resp.StatusCode != code || !strings.Contains(body, `"error"`) {
				t.Errorf("%q: %d %s, want %d", sql, resp.StatusCode, body, code)
			}
		}
		if resp, _ := get(t, q("SELECT 1"), "Accept", "image/png"); resp.StatusCode != http.StatusNotAcceptable {
			t.Errorf("Accept image/png: %d", resp.StatusCode)
		}
	})
}

func TestHealthAndMetrics(t *testing.T) {
	_, ts := newTestServer(t)
	resp, body := get(t, ts.URL+"/healthz")
	if resp.StatusCode != 200 || !strings.Contains(body, `"ok"`) {
		t.Errorf("healthz: %d %s", resp.StatusCode, body)
	}
	get(t, ts.URL+"/")
	resp, body = get(t, ts.URL+"/metrics")
	for _, want := range []string{`ktxh_dashboards_http_requests_total{code="200",route="overview"}`, "ktxh_dashboards_http_request_duration_seconds_bucket",
		`ktxh_dashboards_view_loads_total{result="ok",view="kpi_onestop_monthly"}`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestKPIAPIMatchesViews(t *testing.T) {
	s, ts := newTestServer(t)
	for _, period := range []string{"month", "report"} {
		resp, body := get(t, ts.URL+"/api/kpi/onestop?period="+period)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		var out struct {
			Month  string              `json:"month"`
			Total  map[string]*float64 `json:"total"`
			Groups []map[string]any    `json:"groups"`
			Trend  []map[string]any    `json:"trend"`
		}
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatal(err)
		}
		v := func(k string) float64 { return *out.Total[k] }
		if v("received")+v("carried_over") != v("resolved")+v("open_end") {
			t.Errorf("%s %s: received + carried_over != resolved + open_end: %v", period, out.Month, out.Total)
		}
		// The same sums straight from the view.
		view := onestopView(PeriodKind(period))
		rows, err := s.q.Query(t.Context(), "SELECT sum(received)::BIGINT AS received, sum(open_overdue)::BIGINT AS open_overdue, sum(late_apologized)::BIGINT AS la FROM "+view+" WHERE month = '"+out.Month+"'")
		if err != nil {
			t.Fatal(err)
		}
		var rec, od, la int64
		rows.Next()
		if err := rows.Scan(&rec, &od, &la); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if float64(rec) != v("received") || float64(od) != v("open_overdue") || float64(la) != v("late_apologized") {
			t.Errorf("%s %s: api (%v, %v, %v), view (%d, %d, %d)", period, out.Month, v("received"), v("open_overdue"), v("late_apologized"), rec, od, la)
		}
		if len(out.Trend) == 0 || len(out.Groups) == 0 {
			t.Errorf("%s: empty trend or groups", period)
		}
	}
	for _, p := range []string{"/api/kpi/egov", "/api/kpi/staffing", "/api/months"} {
		if resp, body := get(t, ts.URL+p); resp.StatusCode != 200 || !json.Valid([]byte(body)) {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
}

var otherHost = regexp.MustCompile(`(?i)(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import`)

func TestNothingFromAnotherHost(t *testing.T) {
	_, ts := newTestServer(t)
	pages := []string{"/", "/sectors", "/sectors?group=G13", "/agencies", "/agencies?level=commune", "/egov", "/staffing"}
	assets := map[string]bool{}
	src := regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`)
	for _, p := range pages {
		resp, body := get(t, ts.URL+p)
		if m := otherHost.FindString(body); m != "" {
			t.Errorf("%s references another host: %s", p, m)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		if !strings.Contains(body, `/assets/vendor/echarts.min.js?v=`) {
			t.Errorf("%s does not load echarts from ktxh", p)
		}
		for _, m := range src.FindAllStringSubmatch(body, -1) {
			assets[strings.ReplaceAll(m[1], "&amp;", "&")] = true
		}
	}
	for a := range assets {
		resp, body := get(t, ts.URL+a)
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", a, resp.StatusCode)
		}
		if strings.HasSuffix(strings.SplitN(a, "?", 2)[0], ".css") {
			if m := otherHost.FindString(body); m != "" {
				t.Errorf("%s references another host: %s", a, m)
			}
		}
	}
}

func TestNoEchartsFailsLoudly(t *testing.T) {
	_, err := newAssetServerFS(fstest.MapFS{"assets/app.js": {Data: []byte("x")}, "assets/vendor/README.txt": {Data: []byte("x")}})
	if !errors.Is(err, ErrNoEcharts) {
		t.Errorf("got %v, want ErrNoEcharts", err)
	}
}

func TestDownloads(t *testing.T) {
	_, ts := newTestServer(t)
	for _, c := range []struct{ page, table, query string }{
		{"overview", "trend", ""},
		{"sectors", "breakdown", "group=G13"},
		{"agencies", "ranking", "level=commune"},
		{"egov", "agencies", ""},
		{"staffing", "classes", ""},
	} {
		t.Run(c.page+"/"+c.table, func(t *testing.T) {
			base := ts.URL + "/download/" + c.page + "/" + c.table
			resp, body := get(t, base+".csv?"+c.query)
			if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
				t.Fatalf("csv: %d %s", resp.StatusCode, body)
			}
			recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
			if err != nil || len(recs) < 2 {
				t.Fatalf("csv: %v, %d records", err, len(recs))
			}
			resp, body = get(t, base+".xlsx?"+c.query)
			if resp.StatusCode != 200 {
				t.Fatalf("xlsx: %d", resp.StatusCode)
			}
			f, err := excelize.OpenReader(strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := f.GetRows(f.GetSheetName(0))
			if err != nil {
				t.Fatal(err)
			}
			// Title, subtitle, then the same header and rows as the CSV.
			if len(rows) != len(recs)+2 {
				t.Fatalf("xlsx %d rows, csv %d", len(rows), len(recs))
			}
			if rows[2][0] != recs[0][0] {
				t.Errorf("xlsx header %q, csv %q", rows[2][0], recs[0][0])
			}
		})
	}
	if resp, _ := get(t, ts.URL+"/download/overview/nope.csv"); resp.StatusCode != 404 {
		t.Errorf("unknown table: %d", resp.StatusCode)
	}
}
