package dashboards

import (
	"net/http"
	"os"
	"testing"
)

// TestDevServe serves the test lake on $KTXH_DASHBOARDS_SERVE until killed:
// for looking at the pages while working on them.
func TestDevServe(t *testing.T) {
	addr := os.Getenv("KTXH_DASHBOARDS_SERVE")
	if addr == "" {
		t.Skip("set KTXH_DASHBOARDS_SERVE=127.0.0.1:PORT to serve the test lake")
	}
	s, err := New(testWarehouse(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("serving on http://" + addr)
	t.Fatal(http.ListenAndServe(addr, s.Handler()))
}
