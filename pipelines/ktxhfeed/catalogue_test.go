package ktxhfeed

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultCatalogue(t *testing.T) {
	c := DefaultCatalogue()
	// The codes the province asked for (domain.md, "What the province asked for").
	for _, code := range []string{"onestop.received", "onestop.resolved_on_time", "onestop.on_time_rate", "onestop.open_overdue",
		"onestop.tnmt_open_end", "onestop.apology_rate", "onestop.online_share", "onestop.postal_share",
		"egov.electronic_share", "staff.headcount_cc", "staff.headcount_vc", "staff.headcount_hd", "staff.quota_reduction_vs_base"} {
		if c.Indicator(code) == nil {
			t.Errorf("indicator %s missing", code)
		}
	}
	for _, fc := range formCols {
		for _, code := range fc.codes {
			if ind := c.Indicator(code); ind == nil || ind.Group != "onestop" || ind.Aggregate != AggSum {
				t.Errorf("form II.06a column of %s: not a one-stop count", code)
			}
		}
	}
	if n := len(c.ForKind(KindReport)); n == 0 || n >= len(c.ForKind(KindMonth)) {
		t.Errorf("report kind has %d indicators, month %d", n, len(c.ForKind(KindMonth)))
	}
	// Every statement builds.
	for _, g := range c.Groups {
		for k := range g.Views {
			q, err := c.GroupSQL(g.ID, k, "2019-09", "2019-10")
			if err != nil || !strings.Contains(q, "GROUPING SETS") {
				t.Errorf("%s %s: %v", g.ID, k, err)
			}
		}
	}
	if _, err := c.GroupSQL("onestop", KindMonth, "2019-9'; DROP"); err == nil {
		t.Error("a malformed month reached the SQL")
	}
	if _, err := c.GroupSQL("egov", KindReport, "2019-09"); err == nil {
		t.Error("egov has no report-period view")
	}
}

func TestCatalogueValidation(t *testing.T) {
	const head = "set: s\nversion: 1\ngroups:\n  - {id: g, title: T, sheet: S, views: {month: v}, levels: [province]}\nindicators:\n"
	for _, tc := range []struct {
		name, yaml, err string
	}{
		{"ok", head + "  - {code: g.a, group: g, name: A, unit: u, column: a, aggregate: sum}\n", ""},
		{"duplicate code", head + "  - {code: g.a, group: g, name: A, unit: u, column: a, aggregate: sum}\n  - {code: g.a, group: g, name: A, unit: u, column: a, aggregate: sum}\n", "duplicate"},
		{"malformed code", head + "  - {code: A, group: g, name: A, unit: u, column: a, aggregate: sum}\n", "malformed"},
		{"unknown group", head + "  - {code: g.a, group: x, name: A, unit: u, column: a, aggregate: sum}\n", "unknown group"},
		{"no name", head + "  - {code: g.a, group: g, unit: u, column: a, aggregate: sum}\n", "name and unit"},
		{"column injection", head + "  - {code: g.a, group: g, name: A, unit: u, column: 'a); DROP', aggregate: sum}\n", "not a column name"},
		{"ratio without denominator", head + "  - {code: g.a, group: g, name: A, unit: u, aggregate: ratio, numerator: [a]}\n", "numerator and a denominator"},
		{"mean without weight", head + "  - {code: g.a, group: g, name: A, unit: u, column: a, aggregate: weighted_mean}\n", "weight"},
		{"unknown aggregate", head + "  - {code: g.a, group: g, name: A, unit: u, column: a, aggregate: avg}\n", "unknown aggregate"},
		{"unknown level", head + "  - {code: g.a, group: g, name: A, unit: u, column: a, aggregate: sum, levels: [ward]}\n", "unknown level"},
		{"unknown field", head + "  - {code: g.a, group: g, name: A, unit: u, column: a, aggregate: sum, colour: red}\n", "unknown field"},
		{"unknown kind", "set: s\nversion: 1\ngroups:\n  - {id: g, title: T, sheet: S, views: {week: v}, levels: [province]}\nindicators: []\n", "period kind"},
		{"no version", "set: s\ngroups: []\nindicators: []\n", "version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCatalogue([]byte(tc.yaml))
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("error %v, want one containing %q", err, tc.err)
			}
		})
	}
}

func TestPeriods(t *testing.T) {
	for _, tc := range []struct {
		kind             Kind
		id               string
		first, last, end string
	}{
		{KindMonth, "2019-09", "2019-09-01", "2019-09-30", "2019-10-01"},
		{KindMonth, "2019-12", "2019-12-01", "2019-12-31", "2020-01-01"},
		{KindMonth, "2020-02", "2020-02-01", "2020-02-29", "2020-03-01"},
		{KindReport, "2019-09", "2019-08-15", "2019-09-14", "2019-09-15"},
		{KindReport, "2020-01", "2019-12-15", "2020-01-14", "2020-01-15"},
	} {
		t.Run(string(tc.kind)+" "+tc.id, func(t *testing.T) {
			p, err := ParsePeriod(tc.kind, tc.id)
			if err != nil {
				t.Fatal(err)
			}
			if p.ID() != tc.id || p.FirstDay() != tc.first || p.LastDay() != tc.last || p.End().Format(time.DateOnly) != tc.end {
				t.Errorf("%s: %s..%s end %s", p, p.FirstDay(), p.LastDay(), p.End())
			}
			if p.End().Location() != Local || p.End().Hour() != 0 {
				t.Errorf("end %v is not local midnight", p.End())
			}
			if got := PeriodOf(tc.kind, p.Start()); got != p {
				t.Errorf("PeriodOf(start) = %s", got)
			}
			if got := PeriodOf(tc.kind, p.End().Add(-time.Nanosecond)); got != p {
				t.Errorf("PeriodOf(end-1ns) = %s", got)
			}
		})
	}
	for _, bad := range []string{"2019-13", "2019-9", "19-09", "2019-09-01", "", "abcd-ef"} {
		if _, err := ParsePeriod(KindMonth, bad); err == nil {
			t.Errorf("period %q accepted", bad)
		}
	}
	if _, err := ParsePeriod("week", "2019-09"); err == nil {
		t.Error("kind week accepted")
	}
	if ks, err := ParseKinds("month, report"); err != nil || len(ks) != 2 {
		t.Errorf("ParseKinds: %v %v", ks, err)
	}
}

func TestKeyIsStable(t *testing.T) {
	p := Period{Kind: KindMonth, Year: 2019, Month: 9}
	k := Key("ktxh-cchc", 1, p, ScopeAgency, "000.00.09.H53")
	// A changed key resends everything: this value must not change.
	if k != "14c58d6d3d72f37504e21c65e9fbb1305f108a8fae9e8f72275b95ff6389b12b" {
		t.Fatal(k)
	}
	for _, other := range []string{
		Key("ktxh-cchc", 2, p, ScopeAgency, "000.00.09.H53"),
		Key("ktxh-cchc", 1, Period{Kind: KindReport, Year: 2019, Month: 9}, ScopeAgency, "000.00.09.H53"),
		Key("ktxh-cchc", 1, p.Next(), ScopeAgency, "000.00.09.H53"),
		Key("ktxh-cchc", 1, p, ScopeProvince, "000.00.09.H53"),
		Key("ktxh-cchc", 1, p, ScopeAgency, "000.00.10.H53"),
	} {
		if other == k {
			t.Error("distinct documents share a key")
		}
	}
	t.Logf("key %s", k)
}
