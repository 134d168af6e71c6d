package synth

// People are derived from an index by hashing, not stored: applicant i of
// a run is always the same person, so repeat applicants occur naturally and
// memory stays flat.

// mix is SplitMix64's finaliser.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// hrand is a tiny deterministic stream for deriving one entity.
type hrand struct{ s uint64 }

func newHrand(seed int64, domain, i uint64) hrand {
	return hrand{mix(uint64(seed) ^ mix(domain^mix(i)))}
}

func (h *hrand) next() uint64 {
	h.s += 0x9e3779b97f4a7c15
	return mix(h.s)
}

func (h *hrand) intn(n int) int { return int(h.next() % uint64(n)) }

type nameRow struct {
	name, ascii string
	weight      int
}

var familyNames = []nameRow{
	{"Nguyễn", "nguyen", 380}, {"Trần", "tran", 110}, {"Lê", "le", 95}, {"Phạm", "pham", 70},
	{"Huỳnh", "huynh", 50}, {"Hoàng", "hoang", 20}, {"Phan", "phan", 45}, {"Võ", "vo", 40},
	{"Vũ", "vu", 10}, {"Đặng", "dang", 20}, {"Bùi", "bui", 20}, {"Đỗ", "do", 14},
	{"Hồ", "ho", 13}, {"Ngô", "ngo", 13}, {"Dương", "duong", 10}, {"Lý", "ly", 5},
	{"Trương", "truong", 10}, {"Đoàn", "doan", 6}, {"Lâm", "lam", 5}, {"Châu", "chau", 4},
}

var middleMale = []string{"Văn", "Minh", "Hữu", "Quốc", "Thanh", "Hoàng", "Đức", "Công", "Tấn", "Ngọc"}
var middleFemale = []string{"Thị", "Ngọc", "Thu", "Kim", "Thanh", "Mỹ", "Phương", "Bích", "Hồng", "Thùy"}

var givenMale = []nameRow{
	{"An", "an", 1}, {"Bình", "binh", 1}, {"Cường", "cuong", 1}, {"Dũng", "dung", 1}, {"Đạt", "dat", 1},
	{"Hải", "hai", 1}, {"Hiếu", "hieu", 1}, {"Hùng", "hung", 1}, {"Huy", "huy", 1}, {"Khoa", "khoa", 1},
	{"Khánh", "khanh", 1}, {"Long", "long", 1}, {"Lộc", "loc", 1}, {"Minh", "minh", 1}, {"Nam", "nam", 1},
	{"Nghĩa", "nghia", 1}, {"Phúc", "phuc", 1}, {"Phong", "phong", 1}, {"Quân", "quan", 1}, {"Sơn", "son", 1},
	{"Tài", "tai", 1}, {"Thắng", "thang", 1}, {"Thành", "thanh", 1}, {"Tín", "tin", 1}, {"Trung", "trung", 1},
	{"Tuấn", "tuan", 1}, {"Việt", "viet", 1}, {"Vinh", "vinh", 1}, {"Toàn", "toan", 1}, {"Hòa", "hoa", 1},
}

var givenFemale = []nameRow{
	{"Anh", "anh", 1}, {"Châu", "chau", 1}, {"Diễm", "diem", 1}, {"Dung", "dung", 1}, {"Giang", "giang", 1},
	{"Hà", "ha", 1}, {"Hạnh", "hanh", 1}, {"Hằng", "hang", 1}, {"Hoa", "hoa", 1}, {"Hương", "huong", 1},
	{"Lan", "lan", 1}, {"Linh", "linh", 1}, {"Loan", "loan", 1}, {"Mai", "mai", 1}, {"My", "my", 1},
	{"Nga", "nga", 1}, {"Ngân", "ngan", 1}, {"Nhung", "nhung", 1}, {"Oanh", "oanh", 1}, {"Phượng", "phuong", 1},
	{"Quyên", "quyen", 1}, {"Thảo", "thao", 1}, {"Thủy", "thuy", 1}, {"Trang", "trang", 1}, {"Trinh", "trinh", 1},
	{"Tuyết", "tuyet", 1}, {"Vân", "van", 1}, {"Xuân", "xuan", 1}, {"Yến", "yen", 1}, {"Nhi", "nhi", 1},
}

var familyTotal = func() int {
	n := 0
	for _, f := range familyNames {
		n += f.weight
	}
	return n
}()

func pickFamily(h *hrand) nameRow {
	x := h.intn(familyTotal)
	for _, f := range familyNames {
		if x < f.weight {
			return f
		}
		x -= f.weight
	}
	return familyNames[0]
}

// person is an individual: name, 12-digit citizen ID (CCCD, Tây Ninh's
// prefix 072), phone and e-mail.
type person struct {
	name   string
	id     string
	phone  string
	email  string
	female bool
	born   int // year
}

var phonePrefixes = []string{"090", "091", "093", "094", "096", "097", "098", "032", "033", "034", "035", "036", "037", "038", "039", "070", "076", "077", "078", "079", "081", "082", "083", "084", "085", "086", "088"}
var mailDomains = []string{"gmail.com", "gmail.com", "gmail.com", "yahoo.com", "gmail.com", "outlook.com"}

func digits(b []byte, h *hrand, n int) []byte {
	for i := 0; i < n; i++ {
		b = append(b, byte('0'+h.intn(10)))
	}
	return b
}

// makePerson derives person i of a domain (applicants, staff, clerks...).
func makePerson(seed int64, domain, i uint64, minBorn, maxBorn int) person {
	h := newHrand(seed, domain, i)
	var p person
	p.female = h.intn(2) == 0
	p.born = minBorn + h.intn(maxBorn-minBorn+1)
	fam := pickFamily(&h)
	var given nameRow
	var mid string
	if p.female {
		given = givenFemale[h.intn(len(givenFemale))]
		mid = middleFemale[h.intn(len(middleFemale))]
	} else {
		given = givenMale[h.intn(len(givenMale))]
		mid = middleMale[h.intn(len(middleMale))]
	}
	p.name = fam.name + " " + mid + " " + given.name
	// CCCD: province 072, a digit for sex and century, two for the year
	// of birth, six random.
	b := make([]byte, 0, 12)
	b = append(b, "072"...)
	c := 0
	if p.born >= 2000 {
		c = 2
	}
	if p.female {
		c++
	}
	b = append(b, byte('0'+c))
	b = appendN(b, p.born%100, 2)
	b = digits(b, &h, 6)
	p.id = string(b)
	b = make([]byte, 0, 10)
	b = append(b, phonePrefixes[h.intn(len(phonePrefixes))]...)
	b = digits(b, &h, 7)
	p.phone = string(b)
	b = make([]byte, 0, 32)
	b = append(b, given.ascii...)
	b = append(b, fam.ascii...)
	if h.intn(3) > 0 {
		b = appendN(b, p.born%100, 2)
	} else {
		b = appendN(b, 1+h.intn(999), 1)
	}
	b = append(b, '@')
	b = append(b, mailDomains[h.intn(len(mailDomains))]...)
	p.email = string(b)
	return p
}

// Domains of makePerson.
const (
	domApplicant uint64 = iota + 1
	domEnterprise
	domStaff
	domOfficer
	domClerk
	domSigner
)

var companyKinds = []string{"Công ty TNHH", "Công ty TNHH MTV", "Công ty Cổ phần", "Doanh nghiệp tư nhân", "Hợp tác xã"}
var companyWords = []string{"Thành Phát", "Tây Ninh Xanh", "Hòa Bình", "Minh Long", "Đại Phát", "Phước Thịnh", "Trường Sơn", "Mỹ Hưng", "Gò Dầu", "Trảng Bàng", "Sao Mai", "Bà Đen", "Vạn Lợi", "Phú Cường", "Tân Tiến", "Hưng Thịnh"}
var companyTrades = []string{"Xây dựng", "Thương mại Dịch vụ", "Nông sản", "Cao su", "Mía đường", "Vận tải", "Bất động sản", "Sản xuất Bao bì", "Chế biến Khoai mì", "Du lịch"}

// makeEnterprise derives enterprise i: name, 10-digit tax code (Tây Ninh's
// 39 prefix), phone and e-mail of its representative.
func makeEnterprise(seed int64, i uint64) person {
	h := newHrand(seed, domEnterprise, i)
	p := makePerson(seed, domEnterprise, i, 1960, 1995)
	p.name = companyKinds[h.intn(len(companyKinds))] + " " + companyTrades[h.intn(len(companyTrades))] + " " + companyWords[h.intn(len(companyWords))]
	b := make([]byte, 0, 10)
	b = append(b, "39"...)
	b = digits(b, &h, 8)
	p.id = string(b)
	return p
}
