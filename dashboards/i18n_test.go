package dashboards

import "testing"

func TestNumberFormats(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	cases := []struct {
		name string
		got  string
		want string
	}{
		{"int vi", LangVI.Int(1234567), "1.234.567"},
		{"int en", LangEN.Int(1234567), "1,234,567"},
		{"int small", LangVI.Int(999), "999"},
		{"int negative", LangVI.Int(-1234), "-1.234"},
		{"int negative 3", LangVI.Int(-123456), "-123.456"},
		{"dec vi", LangVI.Dec(1234.5, 1), "1.234,5"},
		{"dec en", LangEN.Dec(1234.5, 1), "1,234.5"},
		{"dec negative zero", LangVI.Dec(-0.04, 1), "0,0"},
		{"dec negative", LangVI.Dec(-1234.56, 2), "-1.234,56"},
		{"pct vi", LangVI.Pct(f(0.8534)), "85,3%"},
		{"pct en", LangEN.Pct(f(0.8534)), "85.3%"},
		{"pct null", LangVI.Pct(nil), "–"},
		{"month", Month(2019*12 + 8).Label(), "09/2019"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %q, want %q", c.got, c.want)
			}
		})
	}
}

func TestPeriods(t *testing.T) {
	m, err := ParseMonth("2019-09")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		p        Period
		from, to string
		label    string
	}{
		{"calendar", Period{m, KindMonth}, "2019-09-01", "2019-10-01", "Tháng 09/2019"},
		{"decree 09", Period{m, KindReport}, "2019-08-15", "2019-09-15", "Kỳ báo cáo tháng 09/2019 (15/08/2019–14/09/2019)"},
		{"decree 09 january", Period{Month(2020*12 + 0), KindReport}, "2019-12-15", "2020-01-15", "Kỳ báo cáo tháng 01/2020 (15/12/2019–14/01/2020)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			from, to := c.p.Range()
			if got := from.Format("2006-01-02"); got != c.from {
				t.Errorf("from %s, want %s", got, c.from)
			}
			if got := to.Format("2006-01-02"); got != c.to {
				t.Errorf("to %s, want %s", got, c.to)
			}
			if got := c.p.Label(LangVI); got != c.label {
				t.Errorf("label %q, want %q", got, c.label)
			}
		})
	}
	for _, bad := range []string{"2019-13", "2019-9", "19-09", "abcd-ef", ""} {
		if _, err := ParseMonth(bad); err == nil {
			t.Errorf("ParseMonth(%q) accepted", bad)
		}
	}
}

func TestCatalogComplete(t *testing.T) {
	for k, v := range catalog {
		if v[0] == "" || v[1] == "" {
			t.Errorf("%s: missing a language", k)
		}
	}
}
