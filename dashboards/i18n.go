package dashboards

import (
	"math"
	"net/http"
	"strconv"
	"strings"
)

// Lang is a page language: Vietnamese first, English available.
type Lang string

const (
	LangVI Lang = "vi"
	LangEN Lang = "en"
)

// langCookie remembers the reader's choice of language.
const langCookie = "ktxh_lang"

// langOf picks the language of a request: ?lang=, then the cookie, then
// Vietnamese.
func langOf(r *http.Request) Lang {
	if l, ok := parseLang(r.URL.Query().Get("lang")); ok {
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil {
		if l, ok := parseLang(c.Value); ok {
			return l
		}
	}
	return LangVI
}

func parseLang(s string) (Lang, bool) {
	switch strings.ToLower(s) {
	case "vi", "vn", "vi-vn":
		return LangVI, true
	case "en", "en-us", "en-gb":
		return LangEN, true
	}
	return "", false
}

// T is the text for key; a missing key shows as ??key (a test finds it).
func (l Lang) T(key string) string {
	m, ok := catalog[key]
	if !ok {
		return "??" + key
	}
	if l == LangEN {
		return m[1]
	}
	return m[0]
}

func (l Lang) seps() (thousands, decimal byte) {
	if l == LangEN {
		return ',', '.'
	}
	return '.', ','
}

// Int formats n with thousands separators: 1.234.567 (vi), 1,234,567 (en).
func (l Lang) Int(n int64) string {
	th, _ := l.seps()
	return group(strconv.FormatInt(n, 10), th)
}

// Dec formats f with digits decimals: 1.234,5 (vi), 1,234.5 (en).
func (l Lang) Dec(f float64, digits int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "–"
	}
	th, dec := l.seps()
	s := strconv.FormatFloat(f, 'f', digits, 64)
	if s == "-"+strconv.FormatFloat(0, 'f', digits, 64) {
		s = s[1:]
	}
	intPart, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i+1:]
	}
	out := group(intPart, th)
	if frac != "" {
		out += string(dec) + frac
	}
	return out
}

// Pct formats a share in [0,1] as a percentage with one decimal: 85,3%.
// nil (a NULL rate: nothing to divide by) prints as –.
func (l Lang) Pct(f *float64) string {
	if f == nil {
		return "–"
	}
	return l.Dec(*f*100, 1) + "%"
}

// OptDec formats an optional value with digits decimals, nil as –.
func (l Lang) OptDec(f *float64, digits int) string {
	if f == nil {
		return "–"
	}
	return l.Dec(*f, digits)
}

func group(digits string, sep byte) string {
	neg := strings.HasPrefix(digits, "-")
	if neg {
		digits = digits[1:]
	}
	if len(digits) <= 3 {
		if neg {
			return "-" + digits
		}
		return digits
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	head := len(digits) % 3
	if head > 0 {
		b.WriteString(digits[:head])
	}
	for i := head; i < len(digits); i += 3 {
		if b.Len() > 0 && !(neg && b.Len() == 1) {
			b.WriteByte(sep)
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// catalog holds every label: key → {Vietnamese, English}.
var catalog = map[string][2]string{
	"app.title":    {"Cải cách hành chính tỉnh Tây Ninh", "Tây Ninh administrative reform"},
	"app.subtitle": {"Bảng điều khiển hằng tháng", "Monthly dashboards"},
	"nav.overview": {"Tổng quan", "Overview"},
	"nav.sectors":  {"Lĩnh vực", "Sectors"},
	"nav.agencies": {"Cơ quan", "Agencies"},
	"nav.egov":     {"Văn bản điện tử", "Electronic documents"},
	"nav.staffing": {"Biên chế", "Staffing"},
	"nav.api":      {"API & SQL", "API & SQL"},

	"picker.month":       {"Tháng", "Month"},
	"picker.period":      {"Kỳ", "Period"},
	"picker.kind.month":  {"Tháng dương lịch", "Calendar month"},
	"picker.kind.report": {"Kỳ báo cáo (NĐ 09/2019)", "Reporting period (Decree 09/2019)"},
	"picker.show":        {"Xem", "Show"},
	"period.month":       {"Tháng", "Month"},
	"period.report":      {"Kỳ báo cáo tháng", "Reporting period"},
	"chart.save":         {"Lưu ảnh", "Save as image"},
	"prev.period":        {"so với kỳ trước", "vs previous period"},
	"print":              {"In báo cáo (A4)", "Print (A4)"},
	"download":           {"Tải về", "Download"},
	"nodata":             {"Chưa có số liệu cho kỳ này.", "No data for this period."},
	"nodata.lake":        {"Kho dữ liệu chưa có số liệu.", "The warehouse holds no data yet."},
	"calendar.only":      {"Số liệu này chỉ có theo tháng dương lịch; đang hiển thị tháng", "These figures exist by calendar month only; showing month"},
	"prev.month":         {"so với tháng trước", "vs previous month"},
	"prev.none":          {"không có tháng trước", "no previous month"},
	"pp":                 {"điểm %", "pp"},
	"code":               {"Mã", "Code"},
	"target":             {"Mục tiêu", "Target"},
	"total":              {"Toàn tỉnh", "Province total"},
	"all":                {"Tất cả", "All"},
	"other":              {"Khác", "Other"},
	"echarts.missing":    {"Không tải được thư viện biểu đồ (echarts): bản ktxh này được build thiếu tài nguyên. Chạy `make assets` rồi build lại.", "The chart library (echarts) did not load: this ktxh was built without its assets. Run `make assets` and rebuild."},
	"footer":             {"Số liệu: kho dữ liệu ktxh (Một cửa điện tử, eGov, Sở Nội vụ). Định nghĩa chỉ tiêu: contract mục 4.", "Data: the ktxh warehouse (one-stop system, eGov, Department of Home Affairs). Indicator definitions: contract section 4."},
	"generated":          {"Lập lúc", "Generated"},
	"report.title":       {"Báo cáo tình hình giải quyết thủ tục hành chính", "Administrative procedures: monthly report"},

	// One-stop indicators (contract 4.1).
	"received":                {"Tiếp nhận", "Received"},
	"received_online":         {"Trực tuyến", "Online"},
	"received_direct":         {"Trực tiếp", "In person"},
	"received_postal":         {"Bưu chính công ích", "Public postal service"},
	"carried_over":            {"Kỳ trước chuyển sang", "Carried over"},
	"resolved":                {"Đã giải quyết", "Resolved"},
	"resolved_early":          {"Trước hạn", "Early"},
	"resolved_on_time":        {"Đúng hạn", "On time"},
	"resolved_late":           {"Quá hạn", "Late"},
	"open_end":                {"Tồn (đang giải quyết)", "Backlog (open)"},
	"open_paused":             {"Tạm dừng, chờ bổ sung", "Paused for supplement"},
	"open_overdue":            {"Tồn quá hạn", "Overdue backlog"},
	"open_within":             {"Tồn trong hạn", "Open within deadline"},
	"late_total":              {"Trễ hạn (đã và đang giải quyết)", "Late (resolved and open)"},
	"late_apologized":         {"Trễ hạn đã có thư xin lỗi", "Late with an apology"},
	"on_time_rate":            {"Tỷ lệ đúng hạn", "On-time rate"},
	"progress_rate_766":       {"Tỷ lệ tiến độ (QĐ 766)", "Progress rate (Decision 766)"},
	"online_share":            {"Tỷ lệ trực tuyến", "Online share"},
	"apology_rate":            {"Tỷ lệ xin lỗi", "Apology rate"},
	"late_rate":               {"Tỷ lệ trễ hạn", "Late rate"},
	"avg_processing_workdays": {"Ngày làm việc xử lý bình quân", "Avg. processing working days"},
	"backlog":                 {"Tồn", "Backlog"},

	// eGov (contract 4.2).
	"egov.sent":                    {"Văn bản đi", "Documents sent"},
	"egov.sent_electronic_only":    {"Chỉ gửi điện tử", "Electronic only"},
	"egov.sent_signed":             {"Có chữ ký số", "Digitally signed"},
	"egov.received":                {"Văn bản đến", "Documents received"},
	"egov.completed":               {"Đã hoàn thành xử lý", "Completed"},
	"egov.avg_completion_workdays": {"Ngày làm việc xử lý bình quân", "Avg. completion working days"},
	"egov.open_overdue":            {"Văn bản quá hạn chưa xử lý", "Overdue documents"},
	"egov.electronic_share":        {"Tỷ lệ chỉ gửi điện tử", "Electronic-only share"},
	"egov.signed_share":            {"Tỷ lệ ký số", "Signed share"},
	"egov.target":                  {"Mục tiêu 90%", "90% target"},

	// Staffing (contract 4.3).
	"staff.class":                       {"Loại", "Class"},
	"staff.CC":                          {"Công chức", "Civil servants"},
	"staff.VC":                          {"Viên chức", "Public employees"},
	"staff.HD":                          {"Hợp đồng", "Contract workers"},
	"staff.CCVC":                        {"Công chức và viên chức", "Civil servants and public employees"},
	"staff.headcount_end":               {"Số người cuối tháng", "Headcount at month end"},
	"staff.hires":                       {"Tuyển mới", "Hires"},
	"staff.departures":                  {"Nghỉ, chuyển đi", "Departures"},
	"staff.departures_tinh_gian":        {"Tinh giản", "Staff reduction"},
	"staff.departures_nghi_huu":         {"Nghỉ hưu", "Retirement"},
	"staff.departures_thoi_viec":        {"Thôi việc", "Resignation"},
	"staff.departures_other":            {"Lý do khác (chuyển công tác...)", "Other (transfer...)"},
	"staff.quota":                       {"Biên chế được giao", "Quota"},
	"staff.quota_base":                  {"Biên chế năm gốc", "Base-year quota"},
	"staff.quota_use":                   {"Tỷ lệ sử dụng biên chế", "Quota use"},
	"staff.quota_reduction_vs_base":     {"Giảm biên chế giao so với năm gốc", "Quota cut vs base year"},
	"staff.headcount_reduction_vs_base": {"Giảm số người so với biên chế năm gốc", "Headcount cut vs base-year quota"},
	"staff.red.headcount":               {"giảm số người so với năm gốc", "headcount cut vs base"},
	"staff.red.quota":                   {"giảm biên chế giao so với năm gốc", "quota cut vs base"},
	"staff.target.name":                 {"Văn bản", "Act"},
	"staff.target.period":               {"Giai đoạn", "Period"},
	"staff.target.year":                 {"Năm", "Year"},
	"staff.target.status":               {"Kết quả", "Result"},
	"staff.target.met":                  {"Đạt", "Met"},
	"staff.target.notMet":               {"Chưa đạt", "Not met"},
	"staffing.targets":                  {"Tiến độ mục tiêu tinh giản biên chế", "Progress toward the reduction targets"},
	"staff.target":                      {"Mục tiêu tinh giản", "Reduction target"},
	"staff.target_year":                 {"Năm mục tiêu", "Target year"},

	// Page texts.
	"overview.title":      {"Tổng quan giải quyết thủ tục hành chính", "Administrative procedures overview"},
	"overview.trend":      {"Xu hướng 12 tháng", "12-month trend"},
	"overview.flow":       {"Tiếp nhận và giải quyết", "Received and resolved"},
	"overview.backlog":    {"Hồ sơ tồn và tồn quá hạn", "Backlog and overdue backlog"},
	"overview.rates":      {"Tỷ lệ đúng hạn, trực tuyến, xin lỗi", "On-time, online and apology rates"},
	"overview.table":      {"Số liệu 12 tháng", "12 months of figures"},
	"overview.channels":   {"Kênh tiếp nhận", "Reception channels"},
	"sectors.title":       {"Hồ sơ tồn và trễ hạn theo lĩnh vực", "Backlog and lateness by sector"},
	"sectors.groups":      {"Nhóm lĩnh vực", "Sector groups"},
	"sectors.group":       {"Nhóm lĩnh vực", "Sector group"},
	"sectors.sector":      {"Lĩnh vực", "Sector"},
	"sectors.backlog":     {"Hồ sơ tồn cuối kỳ", "Backlog at period end"},
	"sectors.late":        {"Tỷ lệ trễ hạn", "Late rate"},
	"sectors.agencies":    {"Cơ quan giải quyết", "Agencies handling it"},
	"sectors.tnmt":        {"TN&MT: Tài nguyên và Môi trường (G13), trọng tâm của Công văn 2070/UBND-HCC", "TN&MT: natural resources and environment (G13), the focus of letter 2070/UBND-HCC"},
	"sectors.drill":       {"Bấm vào một cột hoặc một dòng để xem chi tiết.", "Click a bar or a row to drill down."},
	"agencies.title":      {"Xếp hạng cơ quan theo tỷ lệ trễ hạn và hồ sơ tồn quá hạn", "Agencies ranked by late rate and overdue backlog"},
	"agencies.agency":     {"Cơ quan", "Agency"},
	"agencies.code":       {"Mã định danh", "Agency code"},
	"agencies.rank":       {"Hạng", "Rank"},
	"agencies.level":      {"Cấp", "Level"},
	"agencies.apology":    {"Tuân thủ xin lỗi", "Apology compliance"},
	"agencies.topLate":    {"Tỷ lệ trễ hạn cao nhất", "Highest late rates"},
	"agencies.topOverdue": {"Tồn quá hạn nhiều nhất", "Most overdue backlog"},
	"agencies.topApology": {"Tỷ lệ xin lỗi (cơ quan có nhiều hồ sơ trễ nhất)", "Apology rate (agencies with most late dossiers)"},
	"agencies.byLevel":    {"Theo cấp", "By level"},
	"agencies.of":         {"thuộc", "under"},
	"level.province":      {"Toàn tỉnh", "Province"},
	"level.department":    {"Sở, ban, ngành", "Departments"},
	"level.district":      {"Cấp huyện", "Districts"},
	"level.commune":       {"Cấp xã", "Communes"},
	"level.other":         {"Khác", "Other"},
	"level.province.own":  {"Cấp tỉnh (UBND tỉnh)", "Provincial People's Committee"},
	"egov.title":          {"Trao đổi văn bản điện tử (eGov)", "Electronic document exchange (eGov)"},
	"egov.shares":         {"Tỷ lệ văn bản chỉ gửi điện tử và có ký số", "Electronic-only and signed shares"},
	"egov.completion":     {"Thời gian xử lý và văn bản quá hạn", "Completion time and overdue documents"},
	"egov.byAgency":       {"Văn bản quá hạn theo cơ quan", "Overdue documents by agency"},
	"egov.table":          {"Theo cơ quan", "By agency"},
	"staffing.title":      {"Biên chế và tinh giản biên chế (Sở Nội vụ)", "Staffing and staff reduction (Department of Home Affairs)"},
	"staffing.trend":      {"Số người theo loại", "Headcount by class"},
	"staffing.quotaUse":   {"Sử dụng biên chế được giao", "Quota use"},
	"staffing.reduction":  {"Tinh giản so với biên chế năm gốc", "Reduction against the base-year quota"},
	"staffing.departures": {"Nghỉ, chuyển đi theo lý do", "Departures by reason"},
	"staffing.byClass":    {"Theo loại", "By class"},
	"staffing.byAgency":   {"Theo cơ quan", "By agency"},
	"staffing.base":       {"Năm gốc", "Base year"},
	"staffing.restated":   {"Số liệu quy đổi theo cơ cấu cơ quan hiện nay (cơ quan đã sáp nhập tính vào cơ quan tiếp nhận, so với biên chế năm gốc của tất cả cơ quan được sáp nhập).", "Figures restated on today's agencies (a merged agency counts in its successor, measured against the base-year quotas of all it absorbed)."},
	"staffing.note":       {"Biên chế: công chức (CC) và viên chức (VC); hợp đồng (HD) ngoài biên chế.", "Quota covers civil servants (CC) and public employees (VC); contract workers (HD) are outside it."},
	"api.title":           {"API và SQL", "API and SQL"},
}
