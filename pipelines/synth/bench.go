package synth

import (
	"fmt"
	"time"
)

var (
	benchSectors  = []string{"G13-TN02\",\"TenLinhVuc\":\"Đất đai", "G15-TP01\",\"TenLinhVuc\":\"Hộ tịch", "G15-TP02\",\"TenLinhVuc\":\"Chứng thực", "G17-XD01\",\"TenLinhVuc\":\"Hoạt động xây dựng", "G05-KH01\",\"TenLinhVuc\":\"Thành lập và hoạt động của doanh nghiệp"}
	benchAgencies = []string{"000.00.20.H53\",\"DonViXuLy\":\"UBND huyện Hòa Thành", "000.00.21.H53\",\"DonViXuLy\":\"UBND huyện Gò Dầu", "000.00.12.H53\",\"DonViXuLy\":\"Sở Tư pháp", "000.00.13.H53\",\"DonViXuLy\":\"Sở Tài nguyên và Môi trường"}
)

// BenchSnapshot is the i-th dossier snapshot of the ingest benchmarks
// (`ktxh bench ingest` and BenchmarkDecodeAndCommit): one flat object of
// about 550 bytes and 20 fields, with statuses, sectors, agencies, channels
// and dates varying as in the province and 100,000 distinct applicant IDs,
// so that the hasher's cache rarely helps. Unlike Generate it needs no
// state, so a benchmark can make a million of them cheaply.
func BenchSnapshot(i int) []byte {
	day := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC).AddDate(0, 0, i/3000)
	d := day.Format("20060102")
	status := []int{2, 4, 4, 5, 9, 10}[i%6]
	finished := ""
	if status >= 9 {
		finished = day.AddDate(0, 0, 10).Format("20060102") + "100000"
	}
	return fmt.Appendf(nil, `{"MaHoSo":"%s-%s-%04d","MaTTHC":"1.00%04d","TenTTHC":"Thủ tục hành chính số %d","MaLinhVuc":"%s",`+
		`"MaDonVi":"%s","KenhThucHien":"%d","LoaiDoiTuong":"%d","TrangThaiHoSo":"%d","HinhThuc":"%d",`+
		`"NgayNopHoSo":"%s075500","NgayTiepNhan":"%s080000","NgayHenTra":"%s170000","NgayKetThucXuLy":"%s","NgayTra":"",`+
		`"ChuHoSo":"Nguyễn Văn An","SoGiayToChuHoSo":"0720900%05d","Email":"an%d@example.vn","SoDienThoai":"09123%05d"}`,
		benchAgencies[i%4][:13], d[2:], i%10000, i%500, i%500, benchSectors[i%5], benchAgencies[i%4], 1+i%3, 1+i%2, status, i%2,
		d, d, day.AddDate(0, 0, 14).Format("20060102"), finished,
		i%100000, i%1000, i%100000)
}
