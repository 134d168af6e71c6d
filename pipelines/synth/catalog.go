package synth

// sector is a lĩnh vực with the units that handle it at each level (for
// progress messages).
type sector struct {
	code, name string
	unitDept   string // department's specialised unit
	unitLocal  string // district's (or, after 2025, commune's) unit
	unitComm   string // commune's civil servant post
}

var sectors = []sector{
	{"G13-TN01", "Biển và hải đảo", "Chi cục Biển và Hải đảo", "Phòng Tài nguyên và Môi trường", "Công chức Địa chính - Xây dựng"},
	{"G13-TN02", "Đất đai", "Văn phòng Đăng ký đất đai", "Chi nhánh Văn phòng Đăng ký đất đai", "Công chức Địa chính - Xây dựng"},
	{"G13-TN03", "Địa chất và khoáng sản", "Phòng Khoáng sản", "Phòng Tài nguyên và Môi trường", "Công chức Địa chính - Xây dựng"},
	{"G13-TN04", "Đo đạc, bản đồ và thông tin địa lý", "Phòng Đo đạc và Bản đồ", "Phòng Tài nguyên và Môi trường", "Công chức Địa chính - Xây dựng"},
	{"G13-TN09", "Môi trường", "Chi cục Bảo vệ môi trường", "Phòng Tài nguyên và Môi trường", "Công chức Địa chính - Xây dựng"},
	{"G13-TN10", "Tài nguyên nước", "Phòng Tài nguyên nước", "Phòng Tài nguyên và Môi trường", "Công chức Địa chính - Xây dựng"},
	{"G15-HT01", "Hộ tịch", "Phòng Hành chính tư pháp", "Phòng Tư pháp", "Công chức Tư pháp - Hộ tịch"},
	{"G15-CT01", "Chứng thực", "Phòng Hành chính tư pháp", "Phòng Tư pháp", "Công chức Tư pháp - Hộ tịch"},
	{"G15-LL01", "Lý lịch tư pháp", "Phòng Hành chính tư pháp", "Phòng Tư pháp", "Công chức Tư pháp - Hộ tịch"},
	{"G15-CC01", "Công chứng", "Phòng Bổ trợ tư pháp", "Phòng Tư pháp", "Công chức Tư pháp - Hộ tịch"},
	{"G03-GD01", "Giáo dục và Đào tạo thuộc hệ thống giáo dục quốc dân", "Phòng Giáo dục trung học", "Phòng Giáo dục và Đào tạo", "Công chức Văn hóa - Xã hội"},
	{"G03-VB01", "Văn bằng, chứng chỉ", "Phòng Khảo thí và Quản lý chất lượng", "Phòng Giáo dục và Đào tạo", "Công chức Văn hóa - Xã hội"},
	{"G17-XD01", "Hoạt động xây dựng", "Phòng Quản lý hoạt động xây dựng", "Phòng Quản lý đô thị", "Công chức Địa chính - Xây dựng"},
	{"G17-QH01", "Quy hoạch xây dựng, kiến trúc", "Phòng Quy hoạch - Kiến trúc", "Phòng Quản lý đô thị", "Công chức Địa chính - Xây dựng"},
	{"G04-DB01", "Đường bộ", "Phòng Quản lý vận tải, phương tiện và người lái", "Phòng Kinh tế - Hạ tầng", "Công chức Địa chính - Xây dựng"},
	{"G04-DT01", "Đường thủy nội địa", "Phòng Quản lý vận tải, phương tiện và người lái", "Phòng Kinh tế - Hạ tầng", "Công chức Địa chính - Xây dựng"},
	{"G05-DN01", "Thành lập và hoạt động của doanh nghiệp", "Phòng Đăng ký kinh doanh", "Phòng Tài chính - Kế hoạch", "Công chức Tài chính - Kế toán"},
	{"G05-HKD01", "Thành lập và hoạt động của hộ kinh doanh", "Phòng Đăng ký kinh doanh", "Phòng Tài chính - Kế hoạch", "Công chức Tài chính - Kế toán"},
	{"G05-DT01", "Đầu tư tại Việt Nam", "Phòng Kinh tế đối ngoại", "Phòng Tài chính - Kế hoạch", "Công chức Tài chính - Kế toán"},
	// Non-standard codes of the local systems.
	{"BTXH", "Bảo trợ xã hội", "Phòng Bảo trợ xã hội", "Phòng Lao động - Thương binh và Xã hội", "Công chức Văn hóa - Xã hội"},
	{"LV-NCC", "Người có công", "Phòng Người có công", "Phòng Lao động - Thương binh và Xã hội", "Công chức Văn hóa - Xã hội"},
}

func sectorIdx(code string) int {
	for i, s := range sectors {
		if s.code == code {
			return i
		}
	}
	panic("synth: unknown sector " + code)
}

// role says which agencies handle a procedure: a department (by
// abbreviation; after a merger its successor), the districts (the new
// communes after 1 July 2025) or the communes.
type role uint8

const (
	roleDept role = iota
	roleDistrict
	roleCommune
)

// procedure is a thủ tục hành chính with the parameters of its simulation.
type procedure struct {
	code, name string
	sector     string
	role       role
	dept       string // roleDept: department abbreviation
	days       int    // legal time limit in working days
	weight     float64
	online     float64 // relative online propensity, 0: not offered online
	fee        float64 // probability of waiting for a fee (status 6)
	enterprise float64 // share of enterprise applicants
	supplement float64 // probability of a supplement request
	late       float64 // base probability of being late
	stuck      float64 // probability of lingering for months (backlog)

	sec int // index in sectors
}

var procedures = []procedure{
	// Đất đai: the largest and slowest sector; citizens at the districts,
	// organisations at the department.
	{code: "1.004227", name: "Đăng ký, cấp Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác gắn liền với đất lần đầu", sector: "G13-TN02", role: roleDistrict, days: 30, weight: 40, online: 0.4, fee: 0.8, supplement: 0.3, late: 0.42, stuck: 0.05},
	{code: "1.004221", name: "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất do chuyển nhượng, thừa kế, tặng cho, góp vốn", sector: "G13-TN02", role: roleDistrict, days: 10, weight: 110, online: 0.7, fee: 0.7, supplement: 0.2, late: 0.3, stuck: 0.02},
	{code: "1.004199", name: "Chuyển mục đích sử dụng đất phải được phép của cơ quan nhà nước có thẩm quyền đối với hộ gia đình, cá nhân", sector: "G13-TN02", role: roleDistrict, days: 15, weight: 35, online: 0.4, fee: 0.9, supplement: 0.25, late: 0.4, stuck: 0.05},
	{code: "1.004203", name: "Cấp đổi Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác gắn liền với đất", sector: "G13-TN02", role: roleDistrict, days: 7, weight: 50, online: 0.6, fee: 0.5, supplement: 0.15, late: 0.25, stuck: 0.01},
	{code: "1.004206", name: "Tách thửa hoặc hợp thửa đất", sector: "G13-TN02", role: roleDistrict, days: 15, weight: 45, online: 0.5, fee: 0.6, supplement: 0.25, late: 0.35, stuck: 0.03},
	{code: "1.004217", name: "Đăng ký thế chấp quyền sử dụng đất, tài sản gắn liền với đất", sector: "G13-TN02", role: roleDistrict, days: 3, weight: 60, online: 0.8, fee: 0.3, supplement: 0.05, late: 0.1, enterprise: 0.1},
	{code: "1.004345", name: "Giao đất, cho thuê đất không thông qua hình thức đấu giá quyền sử dụng đất đối với tổ chức", sector: "G13-TN02", role: roleDept, dept: "STNMT", days: 20, weight: 3, online: 0.5, fee: 0.5, enterprise: 1, supplement: 0.4, late: 0.45, stuck: 0.06},
	{code: "1.004388", name: "Đăng ký biến động về sử dụng đất, tài sản gắn liền với đất đối với tổ chức", sector: "G13-TN02", role: roleDept, dept: "STNMT", days: 10, weight: 6, online: 0.8, fee: 0.5, enterprise: 1, supplement: 0.25, late: 0.35, stuck: 0.03},
	{code: "2.000889", name: "Gia hạn sử dụng đất ngoài khu công nghệ cao, khu kinh tế", sector: "G13-TN02", role: roleDept, dept: "STNMT", days: 7, weight: 1.5, online: 0.6, enterprise: 1, supplement: 0.2, late: 0.3},
	// Other TN&MT sectors.
	{code: "1.004249", name: "Thẩm định, phê duyệt báo cáo đánh giá tác động môi trường", sector: "G13-TN09", role: roleDept, dept: "STNMT", days: 30, weight: 1.2, online: 0.6, fee: 0.9, enterprise: 0.95, supplement: 0.5, late: 0.25},
	{code: "1.010727", name: "Cấp giấy phép môi trường", sector: "G13-TN09", role: roleDept, dept: "STNMT", days: 20, weight: 1.5, online: 0.7, fee: 0.8, enterprise: 0.95, supplement: 0.4, late: 0.25},
	{code: "1.010733", name: "Đăng ký môi trường", sector: "G13-TN09", role: roleDistrict, days: 10, weight: 8, online: 0.6, enterprise: 0.6, supplement: 0.1, late: 0.1},
	{code: "1.004253", name: "Cấp giấy phép khai thác, sử dụng nước dưới đất", sector: "G13-TN10", role: roleDept, dept: "STNMT", days: 25, weight: 2, online: 0.5, fee: 0.8, enterprise: 0.7, supplement: 0.3, late: 0.2},
	{code: "1.005408", name: "Cấp giấy phép khai thác khoáng sản", sector: "G13-TN03", role: roleDept, dept: "STNMT", days: 45, weight: 0.4, online: 0.3, fee: 1, enterprise: 1, supplement: 0.5, late: 0.35, stuck: 0.05},
	{code: "1.000049", name: "Cấp chứng chỉ hành nghề đo đạc và bản đồ hạng II", sector: "G13-TN04", role: roleDept, dept: "STNMT", days: 10, weight: 0.5, online: 0.8, fee: 0.5, supplement: 0.2, late: 0.15},
	{code: "1.005400", name: "Giao khu vực biển", sector: "G13-TN01", role: roleDept, dept: "STNMT", days: 30, weight: 0.05, online: 0.2, enterprise: 1, supplement: 0.4, late: 0.3},
	// Justice: civil status and certification at the communes.
	{code: "1.001193", name: "Đăng ký khai sinh", sector: "G15-HT01", role: roleCommune, days: 1, weight: 45, online: 0.9, supplement: 0.03, late: 0.03},
	{code: "1.000894", name: "Đăng ký kết hôn", sector: "G15-HT01", role: roleCommune, days: 5, weight: 12, online: 0.4, supplement: 0.03, late: 0.03},
	{code: "1.000656", name: "Đăng ký khai tử", sector: "G15-HT01", role: roleCommune, days: 1, weight: 12, online: 0.7, supplement: 0.02, late: 0.02},
	{code: "1.004746", name: "Cấp bản sao Trích lục hộ tịch", sector: "G15-HT01", role: roleCommune, days: 1, weight: 20, online: 1.3, fee: 0.2, late: 0.02},
	{code: "1.004873", name: "Cấp Giấy xác nhận tình trạng hôn nhân", sector: "G15-HT01", role: roleCommune, days: 3, weight: 30, online: 0.8, supplement: 0.04, late: 0.04},
	{code: "2.000815", name: "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan có thẩm quyền của Việt Nam cấp", sector: "G15-CT01", role: roleCommune, days: 0, weight: 70, online: 0.1, late: 0.01},
	{code: "2.000884", name: "Chứng thực chữ ký trong các giấy tờ, văn bản", sector: "G15-CT01", role: roleCommune, days: 0, weight: 15, online: 0.05, late: 0.01},
	{code: "2.001035", name: "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản, quyền sử dụng đất và nhà ở", sector: "G15-CT01", role: roleCommune, days: 2, weight: 25, online: 0.1, fee: 0.9, supplement: 0.05, late: 0.06},
	{code: "1.001695", name: "Thay đổi, cải chính, bổ sung thông tin hộ tịch cho người từ đủ 14 tuổi trở lên", sector: "G15-HT01", role: roleDistrict, days: 3, weight: 4, online: 0.5, supplement: 0.1, late: 0.08},
	{code: "1.001702", name: "Đăng ký khai sinh có yếu tố nước ngoài", sector: "G15-HT01", role: roleDistrict, days: 15, weight: 1, online: 0.3, supplement: 0.2, late: 0.1},
	{code: "1.000110", name: "Đăng ký kết hôn có yếu tố nước ngoài", sector: "G15-HT01", role: roleDistrict, days: 15, weight: 1, online: 0.3, supplement: 0.25, late: 0.12},
	{code: "2.000488", name: "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam", sector: "G15-LL01", role: roleDept, dept: "STP", days: 10, weight: 22, online: 1.2, fee: 1, supplement: 0.03, late: 0.06},
	{code: "2.000635", name: "Đăng ký hành nghề và cấp Thẻ công chứng viên", sector: "G15-CC01", role: roleDept, dept: "STP", days: 10, weight: 0.1, online: 0.5, supplement: 0.2, late: 0.1},
	// Education.
	{code: "1.005092", name: "Chuyển trường đối với học sinh trung học phổ thông", sector: "G03-GD01", role: roleDept, dept: "SGDĐT", days: 3, weight: 4, online: 0.8, supplement: 0.05, late: 0.04},
	{code: "2.001914", name: "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", sector: "G03-VB01", role: roleDept, dept: "SGDĐT", days: 1, weight: 6, online: 1, late: 0.03},
	{code: "1.004831", name: "Chuyển trường đối với học sinh trung học cơ sở", sector: "G03-GD01", role: roleDistrict, days: 3, weight: 8, online: 0.5, supplement: 0.05, late: 0.04},
	{code: "2.001842", name: "Xét, duyệt chính sách hỗ trợ đối với học sinh bán trú", sector: "G03-GD01", role: roleDistrict, days: 10, weight: 1, online: 0.2, supplement: 0.1, late: 0.08},
	// Construction.
	{code: "1.009994", name: "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ", sector: "G17-XD01", role: roleDistrict, days: 15, weight: 30, online: 0.6, fee: 0.9, supplement: 0.3, late: 0.17, stuck: 0.01},
	{code: "1.009995", name: "Cấp giấy phép sửa chữa, cải tạo đối với nhà ở riêng lẻ", sector: "G17-XD01", role: roleDistrict, days: 15, weight: 4, online: 0.5, fee: 0.9, supplement: 0.25, late: 0.15},
	{code: "1.009976", name: "Cấp giấy phép xây dựng mới đối với công trình không theo tuyến", sector: "G17-XD01", role: roleDept, dept: "SXD", days: 20, weight: 3, online: 0.7, fee: 0.9, enterprise: 1, supplement: 0.35, late: 0.2},
	{code: "1.009972", name: "Thẩm định báo cáo nghiên cứu khả thi đầu tư xây dựng", sector: "G17-XD01", role: roleDept, dept: "SXD", days: 25, weight: 2, online: 0.6, fee: 1, enterprise: 0.8, supplement: 0.4, late: 0.2},
	{code: "1.002662", name: "Cấp chứng chỉ hành nghề hoạt động xây dựng", sector: "G17-XD01", role: roleDept, dept: "SXD", days: 20, weight: 3, online: 1.1, fee: 1, supplement: 0.15, late: 0.1},
	{code: "1.008432", name: "Thẩm định đồ án quy hoạch chi tiết xây dựng", sector: "G17-QH01", role: roleDept, dept: "SXD", days: 20, weight: 0.5, online: 0.4, fee: 1, enterprise: 1, supplement: 0.4, late: 0.25},
	// Transport.
	{code: "1.002801", name: "Đổi Giấy phép lái xe do ngành Giao thông vận tải cấp", sector: "G04-DB01", role: roleDept, dept: "SGTVT", days: 5, weight: 70, online: 1, fee: 1, supplement: 0.02, late: 0.03},
	{code: "1.002804", name: "Cấp Giấy phép lái xe quốc tế", sector: "G04-DB01", role: roleDept, dept: "SGTVT", days: 5, weight: 2, online: 1.3, fee: 1, late: 0.02},
	{code: "1.001023", name: "Cấp Giấy phép kinh doanh vận tải bằng xe ô tô", sector: "G04-DB01", role: roleDept, dept: "SGTVT", days: 5, weight: 4, online: 1.3, fee: 1, enterprise: 1, supplement: 0.1, late: 0.05},
	{code: "1.002856", name: "Cấp phù hiệu xe ô tô kinh doanh vận tải", sector: "G04-DB01", role: roleDept, dept: "SGTVT", days: 2, weight: 15, online: 1.4, enterprise: 0.8, supplement: 0.05, late: 0.04},
	{code: "1.001235", name: "Đăng ký phương tiện thủy nội địa lần đầu", sector: "G04-DT01", role: roleDept, dept: "SGTVT", days: 3, weight: 0.5, online: 0.3, fee: 1, supplement: 0.1, late: 0.05},
	// Planning and investment.
	{code: "2.001610", name: "Đăng ký thành lập công ty trách nhiệm hữu hạn một thành viên", sector: "G05-DN01", role: roleDept, dept: "SKHĐT", days: 3, weight: 8, online: 1.6, fee: 0.5, enterprise: 1, supplement: 0.15, late: 0.03},
	{code: "2.002035", name: "Đăng ký thay đổi nội dung đăng ký doanh nghiệp", sector: "G05-DN01", role: roleDept, dept: "SKHĐT", days: 3, weight: 12, online: 1.6, fee: 0.5, enterprise: 1, supplement: 0.15, late: 0.03},
	{code: "2.001199", name: "Thông báo tạm ngừng kinh doanh, tiếp tục kinh doanh trước thời hạn đã thông báo", sector: "G05-DN01", role: roleDept, dept: "SKHĐT", days: 3, weight: 4, online: 1.6, enterprise: 1, late: 0.02},
	{code: "1.009645", name: "Chấp thuận chủ trương đầu tư của Ủy ban nhân dân cấp tỉnh", sector: "G05-DT01", role: roleDept, dept: "SKHĐT", days: 35, weight: 0.4, online: 0.6, enterprise: 1, supplement: 0.5, late: 0.3, stuck: 0.05},
	{code: "2.000720", name: "Đăng ký thành lập hộ kinh doanh", sector: "G05-HKD01", role: roleDistrict, days: 3, weight: 25, online: 0.8, fee: 0.8, supplement: 0.08, late: 0.04},
	{code: "2.000575", name: "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh", sector: "G05-HKD01", role: roleDistrict, days: 3, weight: 10, online: 0.8, fee: 0.8, supplement: 0.08, late: 0.04},
	// Social protection and people with merit, under local codes.
	{code: "2.000751", name: "Trợ cấp xã hội hàng tháng đối với đối tượng bảo trợ xã hội", sector: "BTXH", role: roleDistrict, days: 22, weight: 15, online: 0.2, supplement: 0.15, late: 0.12},
	{code: "1.001776", name: "Xác nhận hộ gia đình làm nông nghiệp, lâm nghiệp, diêm nghiệp có mức sống trung bình", sector: "BTXH", role: roleCommune, days: 5, weight: 5, online: 0.3, supplement: 0.05, late: 0.05},
	{code: "1.010800", name: "Giải quyết chế độ trợ cấp một lần đối với người có công với cách mạng", sector: "LV-NCC", role: roleDistrict, days: 20, weight: 3, online: 0.2, supplement: 0.2, late: 0.15},
	{code: "1.010810", name: "Cấp giấy xác nhận thân nhân của người có công", sector: "LV-NCC", role: roleCommune, days: 5, weight: 3, online: 0.3, supplement: 0.05, late: 0.05},
}

func init() {
	for i := range procedures {
		procedures[i].sec = sectorIdx(procedures[i].sector)
		if p := procedures[i]; p.role == roleDept {
			found := false
			for _, d := range deptDefs {
				found = found || d.abbr == p.dept
			}
			if !found {
				panic("synth: procedure " + p.code + " has an unknown department " + p.dept)
			}
		}
	}
}

// meanOnline is the volume-weighted mean online propensity, so that the
// online share over all procedures follows onlineShare.
var meanOnline = func() float64 {
	var s, w float64
	for _, p := range procedures {
		s += p.online * p.weight
		w += p.weight
	}
	return s / w
}()

// onlineShare is the province's share of dossiers filed online, by year:
// ~10% in 2019 rising to ~60% in 2026, interpolated by month.
func onlineShare(day int64) float64 {
	pts := [...]float64{0.01, 0.015, 0.03, 0.05, 0.10, 0.18, 0.28, 0.38, 0.45, 0.52, 0.57, 0.62, 0.66}
	y, m, _ := civil(day)
	x := float64(y-2015) + (float64(m)-6.5)/12
	switch {
	case x <= 0:
		return pts[0]
	case x >= float64(len(pts)-1):
		return pts[len(pts)-1]
	}
	i := int(x)
	f := x - float64(i)
	return pts[i]*(1-f) + pts[i+1]*f
}

// lateYear scales lateness by year: the province improves, with a setback
// in the months after the 2025 restructuring.
func lateYear(day int64) float64 {
	y := yearOf(day)
	f := 1.0
	switch {
	case y <= 2018:
		f = 1.05
	case y <= 2025:
		f = 0.95 - 0.045*float64(y-2019)
	default:
		f = 0.66
	}
	if day >= twoTierDay && day < twoTierDay+184 {
		f *= 1.4
	}
	return f
}

// apologyYear scales apology compliance by year (the 2019 letter asked for
// an apology for every late dossier; practice follows slowly).
func apologyYear(day int64) float64 {
	y := yearOf(day)
	switch {
	case y <= 2018:
		return 0.6
	case y >= 2026:
		return 1.3
	}
	return 0.8 + 0.07*float64(y-2019)
}

var apologyReasons = []string{
	"Hồ sơ phải xác minh nguồn gốc sử dụng đất",
	"Chờ ý kiến của cơ quan phối hợp",
	"Chờ kết quả đo đạc, trích lục bản đồ địa chính",
	"Hồ sơ phức tạp, cần thêm thời gian thẩm định",
	"Công chức thụ lý hồ sơ đi công tác",
	"Chờ xác định nghĩa vụ tài chính của cơ quan thuế",
	"Lỗi phần mềm một cửa điện tử",
}
