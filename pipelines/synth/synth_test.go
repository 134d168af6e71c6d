package synth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

func month(y, m int) time.Time { return time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC) }

func collect(t testing.TB, cfg Config) []Message {
	t.Helper()
	var out []Message
	if err := Generate(context.Background(), cfg, func(m Message) error {
		out = append(out, m)
		return nil
	}); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return out
}

func digest(msgs []Message) string {
	h := sha256.New()
	for _, m := range msgs {
		fmt.Fprintf(h, "%s|%d|%d|", m.Topic, m.Time.UnixNano(), len(m.Key))
		h.Write(m.Key)
		fmt.Fprintf(h, "|%d|", len(m.Value))
		h.Write(m.Value)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// Shared runs, generated once per test binary.
var runs = map[string][]Message{}

func run(t testing.TB, name string, cfg Config) []Message {
	t.Helper()
	if m, ok := runs[name]; ok {
		return m
	}
	m := collect(t, cfg)
	runs[name] = m
	return m
}

// small is a short ordinary range; restructuring crosses the 2025 mergers.
func small(t testing.TB) []Message {
	return run(t, "small", Config{Seed: 7, From: month(2019, 3), To: month(2019, 4), Scale: 0.02})
}

func restructuring(t testing.TB) []Message {
	return run(t, "restructuring", Config{Seed: 11, From: month(2025, 2), To: month(2025, 8), Scale: 0.01})
}

func byTopic(msgs []Message, topic string) []Message {
	var out []Message
	for _, m := range msgs {
		if m.Topic == topic {
			out = append(out, m)
		}
	}
	return out
}

func TestDeterministic(t *testing.T) {
	base := Config{Seed: 42, From: month(2024, 12), To: month(2025, 1), Scale: 0.005}
	a := digest(collect(t, base))
	tests := []struct {
		name string
		cfg  Config
		same bool
	}{
		{"same seed", base, true},
		{"other seed", Config{Seed: 43, From: base.From, To: base.To, Scale: base.Scale}, false},
		{"other scale", Config{Seed: 42, From: base.From, To: base.To, Scale: 0.006}, false},
		{"topic names only", Config{Seed: 42, From: base.From, To: base.To, Scale: base.Scale,
			Topics: Topics{Dossiers: DefaultDossiers}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := digest(collect(t, tc.cfg))
			if (a == b) != tc.same {
				t.Fatalf("digest equal = %v, want %v", a == b, tc.same)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no months", Config{}},
		{"to before from", Config{From: month(2020, 5), To: month(2020, 4)}},
		{"negative scale", Config{From: month(2020, 5), To: month(2020, 5), Scale: -1}},
		{"bad fraction", Config{From: month(2020, 5), To: month(2020, 5), BadFraction: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Generate(context.Background(), tc.cfg, func(Message) error { return nil })
			if err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestEmitErrorAndCancel(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := Generate(context.Background(), Config{From: month(2020, 1), To: month(2020, 1), Scale: 0.01}, func(Message) error {
		n++
		if n == 100 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 100 {
		t.Fatalf("err %v after %d messages, want stop after 100", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Generate(ctx, Config{From: month(2020, 1), To: month(2020, 1)}, func(Message) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestTimeOrder(t *testing.T) {
	for _, name := range []string{"small", "restructuring"} {
		t.Run(name, func(t *testing.T) {
			msgs := small(t)
			from, to := month(2019, 3), month(2019, 5)
			if name == "restructuring" {
				msgs, from, to = restructuring(t), month(2025, 2), month(2025, 9)
			}
			from, to = time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, local), time.Date(to.Year(), to.Month(), 1, 0, 0, 0, 0, local)
			last := map[string]time.Time{}
			var prev time.Time
			for i, m := range msgs {
				if m.Time.Before(last[m.Topic]) {
					t.Fatalf("message %d on %s at %s is before %s", i, m.Topic, m.Time, last[m.Topic])
				}
				if m.Time.Before(prev) {
					t.Fatalf("message %d at %s is before the previous %s", i, m.Time, prev)
				}
				if m.Time.Before(from) || !m.Time.Before(to) {
					t.Fatalf("message %d at %s is outside [%s, %s)", i, m.Time, from, to)
				}
				last[m.Topic], prev = m.Time, m.Time
			}
			for _, topic := range []string{DefaultDossiers, DefaultProgress, DefaultDocuments, DefaultStaffing} {
				if _, ok := last[topic]; !ok {
					t.Errorf("no message on %s", topic)
				}
			}
		})
	}
}

// jsonValue decodes v keeping numbers as json.Number.
func jsonValue(t testing.TB, v []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(v))
	d.UseNumber()
	var x any
	if err := d.Decode(&x); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, v)
	}
	if _, err := d.Token(); err != io.EOF {
		t.Fatalf("trailing data after JSON: %s", v)
	}
	return x
}

// items returns the dossier (or step) objects of a message, its shape and
// the envelope's madonvi.
func items(t testing.TB, v []byte) (objs []map[string]any, shape string, env string) {
	t.Helper()
	switch x := jsonValue(t, v).(type) {
	case []any:
		for _, it := range x {
			objs = append(objs, it.(map[string]any))
		}
		return objs, "array", ""
	case map[string]any:
		if data, ok := x["data"].([]any); ok {
			for _, it := range data {
				objs = append(objs, it.(map[string]any))
			}
			env, _ = x["madonvi"].(string)
			return objs, "envelope", env
		}
		return []map[string]any{x}, "single", ""
	}
	t.Fatalf("value is neither an object nor an array: %s", v)
	return nil, "", ""
}

// scalar returns a string or number member as text.
func scalar(v any) (string, string) {
	switch x := v.(type) {
	case string:
		return x, "string"
	case json.Number:
		return x.String(), "number"
	}
	return "", ""
}

var agencyRe = regexp.MustCompile(`^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$`)

func TestDossierMessages(t *testing.T) {
	msgs := byTopic(small(t), DefaultDossiers)
	shapes := map[string]int{}
	kinds := map[string]int{}
	absent := map[string]int{}
	pii := map[string]int{}
	var n int
	for _, m := range msgs {
		objs, shape, env := items(t, m.Value)
		shapes[shape]++
		if shape == "envelope" && !agencyRe.MatchString(env) {
			t.Fatalf("envelope madonvi %q", env)
		}
		if shape == "single" && string(m.Key) != objs[0]["MaHoSo"] {
			t.Fatalf("key %s of dossier %v", m.Key, objs[0]["MaHoSo"])
		}
		for _, o := range objs {
			n++
			code, _ := o["MaHoSo"].(string)
			if !regexp.MustCompile(`^\d{3}\.\d{2}\.\d{2}\.H53-\d{6}-\d{4,}$`).MatchString(code) {
				t.Fatalf("MaHoSo %q", code)
			}
			_, kind := scalar(o["TrangThaiHoSo"])
			kinds[kind]++
			for _, f := range []string{"NgayTra", "NgayTuChoi"} {
				switch v, ok := o[f]; {
				case !ok:
					absent["omitted"]++
				case v == nil:
					absent["null"]++
				case v == "":
					absent["empty"]++
				}
			}
			for _, f := range []string{"ChuHoSo", "SoGiayToChuHoSo", "DinhDanhCHS", "Email", "SoDienThoai"} {
				if v, ok := o[f]; ok && v != "" {
					pii[f]++
				}
			}
			if id, ok := o["SoGiayToChuHoSo"].(string); ok && o["LoaiDoiTuong"] != "2" && o["LoaiDoiTuong"] != json.Number("2") {
				if !regexp.MustCompile(`^\d{12}$`).MatchString(id) {
					t.Fatalf("citizen ID %q", id)
				}
			}
			if _, ok := o["MaDonVi"]; !ok {
				absent["MaDonVi"]++
			}
		}
	}
	t.Logf("%d messages, %d dossiers, shapes %v, scalar kinds %v, absent %v, pii %v", len(msgs), n, shapes, kinds, absent, pii)
	for _, s := range []string{"single", "array", "envelope"} {
		if shapes[s] == 0 {
			t.Errorf("no %s message", s)
		}
	}
	for _, k := range []string{"string", "number"} {
		if kinds[k] == 0 {
			t.Errorf("no TrangThaiHoSo as a %s", k)
		}
	}
	for _, k := range []string{"omitted", "null", "empty", "MaDonVi"} {
		if absent[k] == 0 {
			t.Errorf("no %s absent value", k)
		}
	}
	for _, f := range []string{"ChuHoSo", "SoGiayToChuHoSo", "DinhDanhCHS", "Email", "SoDienThoai"} {
		if pii[f] < n/2 {
			t.Errorf("personal field %s in only %d of %d dossiers", f, pii[f], n)
		}
	}
}

// statusRank orders the lifecycle: submitted < accepted < in processing
// (4, 5, 6 alternate) < ended (3, 7, 8, 9) < returned.
var statusRank = map[string]int{"1": 0, "2": 1, "4": 2, "5": 2, "6": 2, "3": 3, "7": 3, "8": 3, "9": 3, "10": 4}

func TestLifecycle(t *testing.T) {
	for _, name := range []string{"small", "restructuring"} {
		t.Run(name, func(t *testing.T) {
			msgs := small(t)
			if name == "restructuring" {
				msgs = restructuring(t)
			}
			rank := map[string]int{}
			last := map[string]string{}
			seen := map[string]bool{}
			for _, m := range byTopic(msgs, DefaultDossiers) {
				objs, _, _ := items(t, m.Value)
				for _, o := range objs {
					code := o["MaHoSo"].(string)
					st, _ := scalar(o["TrangThaiHoSo"])
					r, ok := statusRank[st]
					if !ok {
						t.Fatalf("%s: status %q", code, st)
					}
					seen[st] = true
					if prev, ok := rank[code]; ok && r < prev {
						t.Fatalf("%s: status %s after %s", code, st, last[code])
					}
					rank[code], last[code] = r, st
					if st == "3" {
						if d, _ := scalar(o["NgayTuChoi"]); d == "" {
							t.Fatalf("%s refused without NgayTuChoi", code)
						}
					}
					if st == "9" || st == "10" {
						if d, _ := scalar(o["NgayKetThucXuLy"]); d == "" {
							t.Fatalf("%s finished without NgayKetThucXuLy", code)
						}
					}
				}
			}
			for st := range statusRank {
				if !seen[st] {
					t.Errorf("status %s never occurs", st)
				}
			}
		})
	}
}

// agencyTable is agencies.csv as validity intervals by code.
type validity struct{ from, to string }

func agencyTable(t testing.TB) map[string]validity {
	t.Helper()
	out := map[string]validity{}
	lines := strings.Split(strings.TrimSpace(string(agenciesCSV())), "\n")
	for _, l := range lines[1:] {
		f := splitCSV(l)
		out[f[0]] = validity{f[4], f[5]}
	}
	return out
}

func splitCSV(l string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case c == '"' && quoted && i+1 < len(l) && l[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(out, cur.String())
}

func validOn(t testing.TB, tab map[string]validity, code, date, what string) {
	t.Helper()
	v, ok := tab[code]
	if !ok {
		t.Fatalf("%s: agency %q is not in agencies.csv", what, code)
	}
	if (v.from != "" && date < v.from) || (v.to != "" && date > v.to) {
		t.Fatalf("%s: agency %s is not valid on %s (valid %s..%s)", what, code, date, v.from, v.to)
	}
}

func TestAgenciesUsed(t *testing.T) {
	tab := agencyTable(t)
	for _, name := range []string{"small", "restructuring"} {
		t.Run(name, func(t *testing.T) {
			msgs := small(t)
			if name == "restructuring" {
				msgs = restructuring(t)
			}
			used := map[string]bool{}
			for _, m := range msgs {
				date := m.Time.In(local).Format("2006-01-02")
				switch m.Topic {
				case DefaultDossiers:
					objs, _, env := items(t, m.Value)
					for _, o := range objs {
						code := o["MaHoSo"].(string)
						ag, _ := o["MaDonVi"].(string)
						if ag == "" {
							ag = env
						}
						if ag == "" {
							ag = code[:strings.IndexByte(code, '-')]
						}
						validOn(t, tab, ag, date, "dossier "+code)
						if _, ok := tab[code[:strings.IndexByte(code, '-')]]; !ok {
							t.Fatalf("dossier code %s: agency not in agencies.csv", code)
						}
						used[ag] = true
					}
				case DefaultDocuments:
					p := parseEdXML(t, m.Value)
					if p.status {
						validOn(t, tab, p.from, date, "status of "+p.respFor)
					} else {
						validOn(t, tab, p.from, date, "sender of "+p.docID)
						for _, to := range p.to {
							validOn(t, tab, to, date, "recipient of "+p.docID)
						}
					}
					used[p.from] = true
				case DefaultStaffing:
					o := jsonValue(t, m.Value).(map[string]any)
					ag := o["MaDonVi"].(string)
					if o["Loai"] == "BienCheGiao" {
						y, _ := o["Nam"].(json.Number).Int64()
						v := tab[ag]
						if (v.from != "" && v.from > fmt.Sprintf("%d-12-31", y)) || (v.to != "" && v.to < fmt.Sprintf("%d-01-01", y)) {
							t.Fatalf("quota of %s for %d outside its validity %v", ag, y, v)
						}
						continue
					}
					start := o["NgayBatDau"].(string)
					validOn(t, tab, ag, start[:4]+"-"+start[4:6]+"-"+start[6:], "staff record "+o["SoHieu"].(string))
					if end, _ := o["NgayKetThuc"].(string); end != "" {
						validOn(t, tab, ag, end[:4]+"-"+end[4:6]+"-"+end[6:], "staff record end "+o["SoHieu"].(string))
					}
					used[ag] = true
				}
			}
			if len(used) < 50 {
				t.Errorf("only %d agencies used", len(used))
			}
		})
	}
}

// edXML is what the tests read of a document or status package.
type edXML struct {
	status              bool
	from, docID         string
	respFor, statusCode string
	to                  []string
	paper               string
	signed              bool
	attachments         int
	staff               string
}

// parseEdXML reads either form, checking the XML is well-formed in the
// QCVN namespace and the JSON has the contract's arrays.
func parseEdXML(t testing.TB, v []byte) edXML {
	t.Helper()
	var p edXML
	if bytes.HasPrefix(v, []byte("<")) {
		d := xml.NewDecoder(bytes.NewReader(v))
		var path []string
		root := true
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("XML: %v\n%s", err, v)
			}
			switch x := tok.(type) {
			case xml.StartElement:
				if root {
					if x.Name.Local != "edXMLEnvelope" || x.Name.Space != nsEdXML {
						t.Fatalf("root %v, want edXMLEnvelope in %s", x.Name, nsEdXML)
					}
					root = false
				}
				if x.Name.Local == "Signature" {
					p.signed = x.Name.Space == nsDSig
				}
				if x.Name.Local == "Attachment" {
					p.attachments++
				}
				path = append(path, x.Name.Local)
			case xml.EndElement:
				path = path[:len(path)-1]
			case xml.CharData:
				if len(path) < 2 {
					continue
				}
				s := string(x)
				switch strings.Join(path[len(path)-2:], ".") {
				case "From.OrganId":
					p.from = s
				case "To.OrganId":
					p.to = append(p.to, s)
				case "MessageHeader.DocumentId":
					p.docID = s
				case "ResponseFor.DocumentId":
					p.respFor = s
				case "Status.StatusCode":
					p.statusCode, p.status = s, true
				case "Bussiness.Paper":
					p.paper = s
				case "StaffInfo.Staff":
					p.staff = s
				}
			}
		}
		return p
	}
	top, ok := jsonValue(t, v).(map[string]any)
	if !ok {
		t.Fatalf("JSON package is not an object: %s", v)
	}
	env := obj(t, top, "edXMLEnvelope")
	hdr := obj(t, env, "edXMLHeader")
	if st, ok := hdr["Status"].(map[string]any); ok {
		p.status = true
		p.respFor = obj(t, st, "ResponseFor")["DocumentId"].(string)
		p.from = obj(t, st, "From")["OrganId"].(string)
		p.statusCode = st["StatusCode"].(string)
		p.staff, _ = obj(t, st, "StaffInfo")["Staff"].(string)
		return p
	}
	mh := obj(t, hdr, "MessageHeader")
	p.from = obj(t, mh, "From")["OrganId"].(string)
	for _, to := range arr(t, mh, "To") {
		p.to = append(p.to, to.(map[string]any)["OrganId"].(string))
	}
	p.docID, _ = mh["DocumentId"].(string)
	thl := obj(t, hdr, "TraceHeaderList")
	arr(t, thl, "TraceHeader")
	bus := obj(t, thl, "Bussiness")
	p.paper, _ = bus["Paper"].(string)
	p.staff, _ = obj(t, bus, "StaffInfo")["Staff"].(string)
	_, p.signed = hdr["Signature"]
	arr(t, obj(t, obj(t, env, "edXMLBody"), "edXMLManifest"), "Reference")
	p.attachments = len(arr(t, obj(t, env, "AttachmentEncoded"), "Attachment"))
	arr(t, obj(t, mh, "ToPlaces"), "Place")
	return p
}

func obj(t testing.TB, o map[string]any, k string) map[string]any {
	t.Helper()
	v, ok := o[k].(map[string]any)
	if !ok {
		t.Fatalf("%s is not an object in %v", k, o)
	}
	return v
}

func arr(t testing.TB, o map[string]any, k string) []any {
	t.Helper()
	v, ok := o[k].([]any)
	if !ok {
		t.Fatalf("%s is not an array in %v", k, o)
	}
	return v
}

func TestDocumentMessages(t *testing.T) {
	msgs := byTopic(small(t), DefaultDocuments)
	count := map[string]int{}
	ids := map[string]bool{}
	derivedRe := regexp.MustCompile(`^\d{3}\.\d{2}\.\d{2}\.H53,\d{4}/\d{2}/\d{2},\d+/\S+$`)
	for _, m := range msgs {
		p := parseEdXML(t, m.Value)
		form := "xml"
		if m.Value[0] == '{' {
			form = "json"
		}
		if p.staff == "" {
			t.Fatalf("no StaffInfo.Staff: %s", m.Value)
		}
		if p.status {
			count[form+" status "+p.statusCode]++
			if !derivedRe.MatchString(p.respFor) {
				t.Fatalf("ResponseFor.DocumentId %q", p.respFor)
			}
			continue
		}
		count[form+" document"]++
		if p.docID == "" {
			count["no DocumentId"]++
		} else {
			ids[p.docID] = true
		}
		if p.signed {
			count["signed"]++
		}
		if p.paper == "1" {
			count["paper"]++
		}
		if p.attachments == 0 || len(p.to) == 0 {
			t.Fatalf("document without attachments or recipients: %s", m.Value)
		}
	}
	t.Logf("%v", count)
	for _, k := range []string{"xml document", "json document", "xml status 01", "json status 01", "xml status 06", "xml status 03", "no DocumentId", "signed", "paper"} {
		if count[k] == 0 {
			t.Errorf("no %s", k)
		}
	}
	docs := count["xml document"] + count["json document"]
	if count["signed"] < docs/2 || count["paper"] > docs/2 {
		t.Errorf("of %d documents %d signed, %d with paper: want mostly signed and electronic", docs, count["signed"], count["paper"])
	}
}

func TestProgressMessages(t *testing.T) {
	msgs := byTopic(small(t), DefaultProgress)
	steps, dossiers := 0, map[string]bool{}
	for _, m := range msgs {
		objs, _, _ := items(t, m.Value)
		for _, o := range objs {
			for _, f := range []string{"MaHoSo", "NguoiXuLy", "ChucDanh", "ThoiDiemXuLy", "PhongBanXuLy", "NoiDungXuLy", "TrangThai", "NgayBatDau", "NgayKetThucTheoQuyDinh"} {
				if s, _ := scalar(o[f]); s == "" {
					t.Fatalf("progress step without %s: %v", f, o)
				}
			}
			steps++
			dossiers[o["MaHoSo"].(string)] = true
		}
	}
	if per := float64(steps) / float64(len(dossiers)); per < 2 || per > 4 {
		t.Errorf("%.1f progress steps per dossier, want about 3", per)
	}
}

func TestStaffingMessages(t *testing.T) {
	msgs := byTopic(small(t), DefaultStaffing)
	kinds := map[string]int{}
	first := msgs[0].Time
	for _, m := range msgs {
		o := jsonValue(t, m.Value).(map[string]any)
		if o["Loai"] == "BienCheGiao" {
			for _, f := range []string{"MaDonVi", "Nam", "LoaiHinh", "SoLuong"} {
				if _, ok := o[f]; !ok {
					t.Fatalf("quota without %s: %s", f, m.Value)
				}
			}
			kinds["quota"]++
			continue
		}
		for _, f := range []string{"SoHieu", "SoDinhDanh", "HoTen", "MaDonVi", "LoaiHinh", "NgayBatDau"} {
			if s, _ := o[f].(string); s == "" {
				t.Fatalf("record without %s: %s", f, m.Value)
			}
		}
		if m.Time.Equal(first) {
			kinds["initial"]++
		}
		if r, _ := o["LyDoKetThuc"].(string); r != "" {
			kinds[r]++
		}
		kinds[o["LoaiHinh"].(string)]++
	}
	t.Logf("%v", kinds)
	if kinds["initial"] < 3000 || kinds["initial"] > 12000 {
		t.Errorf("%d staff at From, want a few thousand", kinds["initial"])
	}
	for _, k := range []string{"quota", "CC", "VC", "HD", "NGHI_HUU"} {
		if kinds[k] == 0 {
			t.Errorf("no %s", k)
		}
	}
}

func TestBadFraction(t *testing.T) {
	msgs := collect(t, Config{Seed: 3, From: month(2021, 6), To: month(2021, 6), Scale: 0.01, BadFraction: 0.2})
	bad, tomb := 0, 0
	for _, m := range msgs {
		if m.Value == nil {
			tomb++
			continue
		}
		if m.Value[0] == '<' {
			if !wellFormed(m.Value) {
				bad++
			}
			continue
		}
		var x any
		if json.Unmarshal(m.Value, &x) != nil {
			bad++
		}
	}
	if f := float64(bad+tomb) / float64(len(msgs)); f < 0.05 || f > 0.2 || tomb == 0 {
		t.Errorf("%d unparsable and %d tombstones of %d messages", bad, tomb, len(msgs))
	}
}

func wellFormed(v []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(v))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	n := 0
	var bytes int64
	start := time.Now()
	for b.Loop() {
		if err := Generate(context.Background(), Config{Seed: 1, From: month(2023, 1), To: month(2023, 3), Scale: 1}, func(m Message) error {
			n++
			bytes += int64(len(m.Value))
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	s := time.Since(start).Seconds()
	b.ReportMetric(float64(n)/s, "msgs/s")
	b.ReportMetric(float64(bytes)/s/1e6, "MB/s")
}
