package ktxhfeed

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s changed (go test -update rewrites it after review):\n%s", path, got)
	}
}

// The statements the figures come from, kept for review: a change to the
// catalogue or to the SQL shows here.
func TestGoldenSQL(t *testing.T) {
	c := DefaultCatalogue()
	for _, tc := range []struct {
		group string
		kind  Kind
	}{{"onestop", KindMonth}, {"onestop_quality", KindReport}, {"egov", KindMonth}, {"staffing", KindMonth}} {
		q, err := c.GroupSQL(tc.group, tc.kind, "2019-09")
		if err != nil {
			t.Fatal(err)
		}
		golden(t, tc.group+"_"+string(tc.kind)+".sql", []byte(q+";\n"))
	}
}

// testdata/item.example.json is what the KT-XH system receives: it must
// stay valid against the schema and equal to what the feed sends.
func TestGoldenItem(t *testing.T) {
	p := Period{Kind: KindReport, Year: 2019, Month: 9}
	r := &Report{Set: "ktxh-cchc", Version: 1, Period: p, GeneratedAt: time.Date(2019, 9, 17, 0, 30, 0, 0, time.UTC)}
	u := &Unit{Scope: ScopeAgency, AgencyCode: "000.00.09.H53", Name: "Sở Tài nguyên và Môi trường", Level: LevelDepartment,
		ParentCode: "000.00.00.H53", Values: map[string]any{"onestop.received": int64(412), "onestop.resolved": int64(398),
			"onestop.on_time_rate": 0.8994974874371859, "onestop.apology_rate": nil, "onestop.tnmt_open_overdue": int64(7)}}
	b, err := r.ItemJSON(u)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, compileSchema(t, "#/$defs/item"), b)
	golden(t, "item.example.json", append(b, '\n'))
}
