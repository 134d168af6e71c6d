package ingest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tayninh/ktxh/pipelines"
	"github.com/tayninh/ktxh/transform"
	"github.com/tayninh/ktxh/warehouse/lake"
)

// realistic is a ~600-byte dossier snapshot with ~20 fields.
func realistic(i int) []byte {
	return []byte(fmt.Sprintf(`{"MaHoSo":"000.00.20.H53-240301-%05d","MaTTHC":"1.004227","TenTTHC":"Đăng ký biến động quyền sử dụng đất",`+
		`"MaLinhVuc":"G13-TN02","TenLinhVuc":"Đất đai","MaDonVi":"000.00.20.H53","DonViXuLy":"UBND huyện Hòa Thành",`+
		`"KenhThucHien":"%d","LoaiDoiTuong":"1","TrangThaiHoSo":"4","HinhThuc":"0","NgayNopHoSo":"20240301075500",`+
		`"NgayTiepNhan":"20240301080000","NgayHenTra":"20240315170000","NgayKetThucXuLy":"","NgayTra":"",`+
		`"ChuHoSo":"Nguyễn Văn An","SoGiayToChuHoSo":"0720900%05d","Email":"an.nguyen@example.vn","SoDienThoai":"0912345678",`+
		`"DanhSachHoSoBoSung":[{"NgayBoSung":"20240305090000","NgayTiepNhanBoSung":"20240307090000","NgayHenTraTruoc":"20240315170000","NgayHenTraMoi":"20240319170000"}]}`,
		i%100000, 1+i%3, i%100000))
}

// BenchmarkDecodeAndCommit measures the CPU path of ingest without the
// network: decode records into a batch and commit it as durable Parquet.
func BenchmarkDecodeAndCommit(b *testing.B) {
	const perBatch = 100_000
	values := make([][]byte, 1000)
	for i := range values {
		values[i] = realistic(i)
	}
	dir := b.TempDir()
	l, err := lake.Open(dir, pipelines.Datasets(), lake.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	h, _ := transform.NewHasher(piiKey)
	dec := transform.NewOnestopDecoder(h)
	b.SetBytes(int64(len(values[0])))
	b.ReportAllocs()
	var off int64
	batch := l.NewBatch("t", 0, 0)
	rec := transform.Record{Topic: "t", Timestamp: time.Now()}
	for b.Loop() {
		rec.Offset = off
		rec.Value = values[off%int64(len(values))]
		batch.Record(&rec)
		dec.Decode(&rec, batch)
		off++
		if off%perBatch == 0 {
			if _, err := batch.Commit(); err != nil {
				b.Fatal(err)
			}
			batch = l.NewBatch("t", 0, off)
		}
	}
	if _, err := batch.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
