package synth

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"math"
	"sync"
	"time"
)

// Agency is one row of the agency dimension (contract section 4,
// dims/agencies.csv). Zero ValidFrom or ValidTo means open.
type Agency struct {
	Code      string
	Name      string
	Level     string // province, department, district or commune
	Parent    string
	ValidFrom time.Time
	ValidTo   time.Time
	Successor string
}

// Agency levels.
const (
	LevelProvince   = "province"
	LevelDepartment = "department"
	LevelDistrict   = "district"
	LevelCommune    = "commune"
)

// Province returns the synthetic province's agencies, the rows of
// warehouse/dimdata/agencies.csv: Tây Ninh's People's Committee, its
// departments, its 9 districts and 95 communes until 30 June 2025, the
// departments merged on 1 March 2025 and the 36 communes of the two-tier
// government from 1 July 2025, with validity dates and successors.
func Province() []Agency {
	p := theProvince()
	out := make([]Agency, len(p.agencies))
	for i, a := range p.agencies {
		out[i] = a.Agency
	}
	return out
}

// Restructuring dates of 2025.
var (
	deptMergeDay       = dayNum(2025, 3, 1) // departments merged (2025-03-01)
	twoTierDay         = dayNum(2025, 7, 1) // districts closed, communes merged
	openFrom     int64 = math.MinInt64
	openTo       int64 = math.MaxInt64
)

// agency is an Agency with what the generator needs to simulate it.
type agency struct {
	Agency
	idx      int32
	from, to int64 // valid days, inclusive
	succ     int32 // -1: none
	district int32 // a commune's (former) district, else -1
	abbr     string
	// weight is the agency's share of its level's workload.
	weight float64
	// late multiplies the lateness of its dossiers; apology its compliance.
	late, apology float64
	// quota is the 2015 staffing quota (CC, VC) and hd the contract workers.
	quota [2]int
	hd    int
	// preds are the agencies whose work passed to this one, with the share.
	preds []pred
	// style shapes the one-stop software's messages (see style).
	style style
}

type pred struct {
	idx   int32
	share float64
}

func (a *agency) validOn(day int64) bool { return day >= a.from && day <= a.to }

type province struct {
	agencies []*agency
	byCode   map[string]*agency
	root     *agency
	dept     map[string]*agency // by abbreviation, for the catalogue's roles
}

// current follows successors until the agency is valid on day: the agency
// that holds a dossier or a document that arrived before a restructuring.
func (p *province) current(i int32, day int64) int32 {
	for n := 0; n < 8; n++ {
		a := p.agencies[i]
		if day <= a.to || a.succ < 0 {
			return i
		}
		i = a.succ
	}
	return i
}

// valid lists the agencies of a level valid on day, in index order.
func (p *province) valid(level string, day int64) []*agency {
	var out []*agency
	for _, a := range p.agencies {
		if a.Level == level && a.validOn(day) {
			out = append(out, a)
		}
	}
	return out
}

// hash01 is a fixed pseudo-random number in [0,1) for a key: the province
// is the same whatever the seed.
func hash01(key string) float64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	x := h.Sum64()
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	return float64(x>>11) / (1 << 53)
}

type deptDef struct {
	y          int
	name, abbr string
	quota      [2]int
	late       float64
	// mergedInto is the y of the department that takes over on deptMergeDay.
	mergedInto int
	newFrom    bool // created on deptMergeDay
}

var deptDefs = []deptDef{
	{1, "Văn phòng UBND tỉnh", "VP", [2]int{45, 20}, 0.8, 0, false},
	{2, "Sở Nội vụ", "SNV", [2]int{40, 12}, 0.9, 0, false},
	{3, "Sở Tài chính", "STC", [2]int{45, 6}, 0.9, 0, false},
	{4, "Sở Kế hoạch và Đầu tư", "SKHĐT", [2]int{40, 6}, 0.9, 3, false},
	{5, "Sở Công Thương", "SCT", [2]int{40, 20}, 1.0, 0, false},
	{6, "Sở Nông nghiệp và Phát triển nông thôn", "SNN", [2]int{60, 150}, 1.0, 21, false},
	{7, "Sở Giao thông vận tải", "SGTVT", [2]int{45, 30}, 0.9, 8, false},
	{8, "Sở Xây dựng", "SXD", [2]int{40, 20}, 1.1, 0, false},
	{9, "Sở Tài nguyên và Môi trường", "STNMT", [2]int{55, 120}, 1.4, 21, false},
	{10, "Sở Thông tin và Truyền thông", "STTTT", [2]int{30, 15}, 0.7, 14, false},
	{11, "Sở Lao động - Thương binh và Xã hội", "SLĐTBXH", [2]int{40, 80}, 1.0, 2, false},
	{12, "Sở Tư pháp", "STP", [2]int{35, 30}, 0.8, 0, false},
	{13, "Sở Văn hóa, Thể thao và Du lịch", "SVHTTDL", [2]int{40, 100}, 0.9, 0, false},
	{14, "Sở Khoa học và Công nghệ", "SKHCN", [2]int{30, 20}, 0.8, 0, false},
	{15, "Sở Giáo dục và Đào tạo", "SGDĐT", [2]int{45, 350}, 0.8, 0, false},
	{16, "Sở Y tế", "SYT", [2]int{45, 350}, 1.0, 0, false},
	{17, "Thanh tra tỉnh", "TTr", [2]int{35, 0}, 1.0, 0, false},
	{18, "Ban Quản lý Khu kinh tế", "BQLKKT", [2]int{30, 10}, 1.0, 0, false},
	{19, "Ban Dân tộc", "BDT", [2]int{15, 0}, 1.0, 22, false},
	{20, "Sở Ngoại vụ", "SNgV", [2]int{15, 0}, 1.0, 1, false},
	{21, "Sở Nông nghiệp và Môi trường", "SNNMT", [2]int{0, 0}, 1.3, 0, true},
	{22, "Sở Dân tộc và Tôn giáo", "SDTTG", [2]int{0, 0}, 1.0, 0, true},
}

type districtDef struct {
	y            int
	name         string
	weight, late float64
	groups       []communeGroup
}

// communeGroup is a commune of 1 July 2025 and the communes it absorbed;
// a district's first group holds its seat and succeeds the district.
type communeGroup struct {
	name string
	olds []string
}

var districtDefs = []districtDef{
	{31, "thành phố Tây Ninh", 1.3, 1.0, []communeGroup{
		{"phường Tân Ninh", []string{"Phường 1", "Phường 2", "Phường 3", "Phường IV", "phường Hiệp Ninh"}},
		{"phường Bình Minh", []string{"xã Bình Minh", "xã Tân Bình", "xã Thạnh Tân"}},
		{"phường Ninh Thạnh", []string{"phường Ninh Thạnh", "phường Ninh Sơn"}},
	}},
	{32, "huyện Tân Biên", 0.8, 1.1, []communeGroup{
		{"xã Tân Biên", []string{"thị trấn Tân Biên", "xã Thạnh Tây", "xã Tân Phong"}},
		{"xã Tân Lập", []string{"xã Tân Lập", "xã Thạnh Bắc", "xã Tân Bình"}},
		{"xã Thạnh Bình", []string{"xã Thạnh Bình", "xã Hòa Hiệp"}},
		{"xã Trà Vong", []string{"xã Trà Vong", "xã Mỏ Công"}},
	}},
	{33, "huyện Tân Châu", 0.9, 1.6, []communeGroup{
		{"xã Tân Châu", []string{"thị trấn Tân Châu", "xã Tân Hưng"}},
		{"xã Tân Đông", []string{"xã Tân Đông", "xã Tân Hà"}},
		{"xã Tân Hội", []string{"xã Tân Hội", "xã Tân Hiệp"}},
		{"xã Tân Hòa", []string{"xã Tân Hòa", "xã Suối Ngô"}},
		{"xã Tân Thành", []string{"xã Tân Thành", "xã Suối Dây"}},
		{"xã Tân Phú", []string{"xã Tân Phú", "xã Thạnh Đông"}},
	}},
	{34, "huyện Dương Minh Châu", 0.9, 1.2, []communeGroup{
		{"xã Dương Minh Châu", []string{"thị trấn Dương Minh Châu", "xã Suối Đá", "xã Phan"}},
		{"xã Cầu Khởi", []string{"xã Cầu Khởi", "xã Chà Là"}},
		{"xã Truông Mít", []string{"xã Truông Mít", "xã Bến Củi", "xã Phước Minh"}},
		{"xã Lộc Ninh", []string{"xã Lộc Ninh", "xã Phước Ninh", "xã Bàu Năng"}},
	}},
	{35, "huyện Châu Thành", 1.0, 0.9, []communeGroup{
		{"xã Châu Thành", []string{"thị trấn Châu Thành", "xã Đồng Khởi", "xã Thái Bình"}},
		{"xã Hảo Đước", []string{"xã Hảo Đước", "xã An Cơ", "xã Trí Bình"}},
		{"xã Phước Vinh", []string{"xã Phước Vinh", "xã Hòa Thạnh"}},
		{"xã Hòa Hội", []string{"xã Hòa Hội", "xã Biên Giới", "xã Thành Long"}},
		{"xã Ninh Điền", []string{"xã Ninh Điền", "xã Long Vĩnh"}},
		{"xã Thanh Điền", []string{"xã Thanh Điền", "xã An Bình"}},
	}},
	{36, "thị xã Hòa Thành", 1.1, 0.6, []communeGroup{
		{"phường Long Hoa", []string{"phường Long Hoa", "phường Long Thành Trung", "xã Long Thành Nam"}},
		{"phường Hòa Thành", []string{"phường Long Thành Bắc", "phường Hiệp Tân", "xã Trường Hòa", "xã Trường Đông", "xã Trường Tây"}},
	}},
	{37, "huyện Bến Cầu", 0.6, 1.0, []communeGroup{
		{"xã Bến Cầu", []string{"thị trấn Bến Cầu", "xã Tiên Thuận", "xã Lợi Thuận"}},
		{"xã Long Chữ", []string{"xã Long Chữ", "xã Long Giang", "xã Long Phước"}},
		{"xã Long Thuận", []string{"xã Long Thuận", "xã Long Khánh", "xã An Thạnh"}},
	}},
	{38, "huyện Gò Dầu", 1.0, 1.0, []communeGroup{
		{"xã Gò Dầu", []string{"thị trấn Gò Dầu", "xã Thanh Phước", "xã Phước Đông"}},
		{"xã Thạnh Đức", []string{"xã Thạnh Đức", "xã Cẩm Giang", "xã Hiệp Thạnh"}},
		{"xã Phước Thạnh", []string{"xã Phước Thạnh", "xã Phước Trạch", "xã Bàu Đồn"}},
	}},
	{39, "thị xã Trảng Bàng", 1.4, 1.5, []communeGroup{
		{"phường Trảng Bàng", []string{"phường Trảng Bàng", "phường Lộc Hưng"}},
		{"phường An Tịnh", []string{"phường An Tịnh", "phường An Hòa"}},
		{"phường Gia Lộc", []string{"phường Gia Lộc", "phường Gia Bình"}},
		{"xã Hưng Thuận", []string{"xã Hưng Thuận", "xã Đôn Thuận"}},
		{"xã Phước Chỉ", []string{"xã Phước Chỉ", "xã Phước Bình", "xã Bình Thạnh"}},
	}},
}

func agencyCode(v, z, y int) string { return fmt.Sprintf("%03d.%02d.%02d.H53", v, z, y) }

func dayTime(day int64) time.Time {
	y, m, d := civil(day)
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
}

var theProvince = sync.OnceValue(buildProvince)

func buildProvince() *province {
	p := &province{byCode: map[string]*agency{}, dept: map[string]*agency{}}
	add := func(a *agency) *agency {
		a.idx = int32(len(p.agencies))
		a.succ, a.district = -1, -1
		if a.from == 0 {
			a.from = openFrom
		}
		if a.to == 0 {
			a.to = openTo
		}
		if a.from != openFrom {
			a.ValidFrom = dayTime(a.from)
		}
		if a.to != openTo {
			a.ValidTo = dayTime(a.to)
		}
		a.style = styleFor(a.Code)
		if _, dup := p.byCode[a.Code]; dup {
			panic("synth: agency code twice: " + a.Code)
		}
		p.agencies = append(p.agencies, a)
		p.byCode[a.Code] = a
		return a
	}
	link := func(a, succ *agency) {
		a.succ = succ.idx
		a.Successor = succ.Code
	}
	rootCode := agencyCode(0, 0, 0)
	p.root = add(&agency{Agency: Agency{Code: rootCode, Name: "UBND tỉnh Tây Ninh", Level: LevelProvince},
		abbr: "UBND", weight: 1, late: 0.8, apology: 1, quota: [2]int{6, 0}, hd: 4})

	depts := map[int]*agency{}
	for _, d := range deptDefs {
		a := &agency{Agency: Agency{Code: agencyCode(0, 0, d.y), Name: d.name, Level: LevelDepartment, Parent: rootCode},
			abbr: d.abbr, weight: 1, late: d.late, apology: 0.6 + 0.8*hash01("apology"+d.name),
			quota: d.quota, hd: 3 + int(5*hash01("hd"+d.name))}
		if d.newFrom {
			a.from = deptMergeDay
		}
		if d.mergedInto != 0 {
			a.to = deptMergeDay - 1
		}
		depts[d.y] = add(a)
		p.dept[d.abbr] = a
	}
	for _, d := range deptDefs {
		if d.mergedInto != 0 {
			a, s := depts[d.y], depts[d.mergedInto]
			link(a, s)
			s.preds = append(s.preds, pred{a.idx, 1})
		}
	}
	// Departments that continue absorb their predecessors' quota from the
	// merger; those created then start from the sum.
	type newCommune struct {
		a    *agency
		olds []*agency
	}
	nextNew := 51
	for _, dd := range districtDefs {
		dist := add(&agency{Agency: Agency{Code: agencyCode(0, 0, dd.y), Name: "UBND " + dd.name, Level: LevelDistrict, Parent: rootCode},
			abbr: "UBND", weight: dd.weight, late: dd.late, apology: 0.5 + hash01("apology"+dd.name),
			quota: [2]int{70 + int(16*hash01("cc"+dd.name)), 120 + int(80*hash01("vc"+dd.name))}, hd: 8,
			to: twoTierDay - 1})
		var news []newCommune
		z := 1
		for _, g := range dd.groups {
			nc := add(&agency{Agency: Agency{Code: agencyCode(0, 0, nextNew), Name: "UBND " + g.name, Level: LevelCommune, Parent: rootCode},
				abbr: "UBND", from: twoTierDay, late: 0.7 + 0.7*hash01("late"+g.name), apology: 0.5 + hash01("apology"+g.name), hd: 3})
			nc.district = dist.idx
			nextNew++
			var olds []*agency
			for _, o := range g.olds {
				w := 0.6 + 0.8*hash01("w"+dd.name+o)
				if bytes.HasPrefix([]byte(o), []byte("Phường")) || bytes.HasPrefix([]byte(o), []byte("phường")) || bytes.HasPrefix([]byte(o), []byte("thị trấn")) {
					w *= 1.5
				}
				oa := add(&agency{Agency: Agency{Code: agencyCode(0, z, dd.y), Name: "UBND " + o, Level: LevelCommune, Parent: dist.Code},
					abbr: "UBND", weight: w, late: 0.6 + 0.8*hash01("late"+dd.name+o), apology: 0.4 + 0.9*hash01("apology"+dd.name+o),
					quota: [2]int{18 + int(5*hash01("cc"+dd.name+o)), 0}, hd: 2, to: twoTierDay - 1})
				oa.district = dist.idx
				z++
				link(oa, nc)
				nc.preds = append(nc.preds, pred{oa.idx, 1})
				nc.weight += w
				olds = append(olds, oa)
			}
			news = append(news, newCommune{nc, olds})
		}
		// The district's work passes to its new communes in proportion to
		// their size; the seat's commune is its successor.
		link(dist, news[0].a)
		var tot float64
		for _, n := range news {
			tot += n.a.weight
		}
		for _, n := range news {
			n.a.preds = append(n.a.preds, pred{dist.idx, n.a.weight / tot})
		}
	}
	// Normalise commune weights so each district's communes sum to the
	// district's weight: the commune level then mirrors population.
	for _, dd := range districtDefs {
		dist := p.byCode[agencyCode(0, 0, dd.y)]
		var tot float64
		for _, a := range p.agencies {
			if a.Level == LevelCommune && a.district == dist.idx && a.from == openFrom {
				tot += a.weight
			}
		}
		for _, a := range p.agencies {
			if a.Level == LevelCommune && a.district == dist.idx {
				a.weight *= dist.weight / tot
			}
		}
	}
	return p
}

// agenciesCSV renders the agencies as dims/agencies.csv.
func agenciesCSV() []byte {
	var b bytes.Buffer
	b.WriteString("agency_code,name,level,parent_code,valid_from,valid_to,successor_code\n")
	date := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format("2006-01-02")
	}
	for _, a := range Province() {
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%s\n", a.Code, csvField(a.Name), a.Level, a.Parent, date(a.ValidFrom), date(a.ValidTo), a.Successor)
	}
	return b.Bytes()
}

func csvField(s string) string {
	if bytes.ContainsAny([]byte(s), ",\"\n") {
		return `"` + string(bytes.ReplaceAll([]byte(s), []byte(`"`), []byte(`""`))) + `"`
	}
	return s
}
