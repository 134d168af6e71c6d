package dashboards

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func newTestServer(t testing.TB) (*Server, *httptest.Server) {
	t.Helper()
	w := testWarehouse(t)
	s, err := New(w, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

func get(t testing.TB, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestPagesRender(t *testing.T) {
	_, ts := newTestServer(t)
	for _, lang := range []string{"vi", "en"} {
		for _, path := range []string{"/", "/sectors", "/sectors?group=G13", "/sectors?group=G13&sector=G13-TN02", "/agencies",
			"/agencies?level=department", "/agencies?level=district", "/agencies?level=commune", "/egov", "/staffing",
			"/?period=report", "/egov?period=report"} {
			t.Run(lang+path, func(t *testing.T) {
				sep := "?"
				if strings.Contains(path, "?") {
					sep = "&"
				}
				resp, body := get(t, ts.URL+path+sep+"lang="+lang)
				if resp.StatusCode != 200 {
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				}
				if strings.Contains(body, "??") {
					i := strings.Index(body, "??")
					t.Errorf("untranslated label: %s", body[i:min(len(body), i+40)])
				}
			})
		}
	}
}
