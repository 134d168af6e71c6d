package synth

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite warehouse/dimdata/agencies.csv from Province()")

// The built-in dimension is Province() rendered; -update rewrites it.
func TestAgenciesCSV(t *testing.T) {
	path := filepath.Join("..", "..", "warehouse", "dimdata", "agencies.csv")
	want := agenciesCSV()
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s is not Province(); run go test ./pipelines/synth -run TestAgenciesCSV -update", path)
	}
}

func TestProvince(t *testing.T) {
	agencies := Province()
	byCode := map[string]Agency{}
	for _, a := range agencies {
		if _, dup := byCode[a.Code]; dup {
			t.Fatalf("code %s twice", a.Code)
		}
		if !agencyRe.MatchString(a.Code) {
			t.Fatalf("code %q", a.Code)
		}
		byCode[a.Code] = a
	}
	on := func(a Agency, d time.Time) bool {
		return (a.ValidFrom.IsZero() || !d.Before(a.ValidFrom)) && (a.ValidTo.IsZero() || !d.After(a.ValidTo))
	}
	count := func(level string, d time.Time) int {
		n := 0
		for _, a := range agencies {
			if a.Level == level && on(a, d) {
				n++
			}
		}
		return n
	}
	before := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	after := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		level    string
		day      time.Time
		min, max int
	}{
		{LevelProvince, before, 1, 1},
		{LevelDepartment, before, 18, 22},
		{LevelDistrict, before, 9, 9},
		{LevelCommune, before, 95, 95},
		{LevelDepartment, after, 12, 17},
		{LevelDistrict, after, 0, 0},
		{LevelCommune, after, 30, 40},
	}
	for _, tc := range tests {
		if n := count(tc.level, tc.day); n < tc.min || n > tc.max {
			t.Errorf("%d %s agencies on %s, want %d..%d", n, tc.level, tc.day.Format("2006-01-02"), tc.min, tc.max)
		}
	}
	for _, a := range agencies {
		if a.Parent != "" {
			p, ok := byCode[a.Parent]
			if !ok || !on(p, a.ValidFrom) && !a.ValidFrom.IsZero() {
				t.Errorf("%s: parent %s", a.Code, a.Parent)
			}
		}
		if a.ValidTo.IsZero() != (a.Successor == "") {
			t.Errorf("%s: closed %v but successor %q", a.Code, a.ValidTo, a.Successor)
		}
		if a.Successor != "" {
			s, ok := byCode[a.Successor]
			if !ok || !on(s, a.ValidTo.AddDate(0, 0, 1)) {
				t.Errorf("%s: successor %s not valid the day after %s", a.Code, a.Successor, a.ValidTo)
			}
		}
	}
}
