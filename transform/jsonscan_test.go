package transform

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tayninh/ktxh/pipelines/synth"
)

// onestopSeeds are records of every shape, valid and not.
var onestopSeeds = []string{
	fullDossier,
	`{"MaHoSo":"A-1","TrangThaiHoSo":2,"NgayTiepNhan":"20190913080000","SoGiayToChuHoSo":"072090001234"}`,
	`[{"MaHoSo":"A-2","TrangThaiHoSo":"2"},{"MaHoSo":"A-3"},{"MaHoSo":"A-4","TrangThaiHoSo":4.0}]`,
	`{"service":"DongBoHoSoMC","madonvi":" 000.00.31.H53 ","data":[{"MaHoSo":"A-5","TrangThaiHoSo":9},7]}`,
	`{"data":"x","madonvi":"1","MaHoSo":"A-6","TrangThaiHoSo":1,"data":[{"MaHoSo":"A-7","TrangThaiHoSo":1}]}`,
	`{"data":[],"MaHoSo":"A-8"}`,
	`[]`, `{}`, ` [ ] `, `{"MaHoSo":"A-9","TrangThaiHoSo":11}`, `{"MaHoSo":"A-10","TrangThaiHoSo":"x"}`,
	`{"MaHoSo":"A-\u0110","TrangThaiHoSo":2}`, "{\"MaHoSo\":\"A-\t11\",\"TrangThaiHoSo\":2}",
	`{"MaHoSo":12,"TrangThaiHoSo":2,"KenhThucHien":3,"HinhThuc":1,"LoaiDoiTuong":-1}`,
	`{"MaHoSo":"A-12","TrangThaiHoSo":2,"DinhDanhCHS":[{"SoDinhDanh":"079"}],"DanhSachXinLoi":[{"NgayXinLoi":"20200101080000","LyDo":"tre"}]}`,
	`{"MaHoSo":"A-13","TrangThaiHoSo":2,"DanhSachHoSoBoSung":{"a":1},"DinhDanhCHS":"x","X":[1,{"y":[true,false,null]}]}`,
	`{"MaHoSo":"A-14","TrangThaiHoSo":2,"N":01}`, `{"MaHoSo":"A-15","TrangThaiHoSo":2,"N":1.}`, `{"MaHoSo":"A-16","TrangThaiHoSo":2,"N":-0.5e+3}`,
	`{"MaHoSo":"A-17","TrangThaiHoSo":2} x`, `{"MaHoSo":"A-18",}`, `{"MaHoSo" "A-19"}`, `[{"MaHoSo":"A-20","TrangThaiHoSo":2},]`,
	`"just a string"`, `12`, `null`, `{not json`, ``, ` `,
}

func decodeBoth(t testing.TB, value []byte) (fast, slow *recSink, took bool) {
	h := testHasher(t)
	rec := &Record{Topic: "t", Partition: 1, Offset: 7, Value: value, Timestamp: time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)}
	fast, slow = newRecSink(), newRecSink()
	df := NewOnestopDecoder(h)
	took = df.decodeFast(rec)
	df.pending = df.pending[:0]
	df.Decode(rec, fast)
	NewOnestopDecoder(h).decodeSlow(rec, slow)
	return fast, slow, took
}

// The fast path gives exactly what fastjson's path gives, for any input:
// whatever it cannot take, it leaves to the slow path untouched.
func FuzzOnestopFastPath(f *testing.F) {
	for _, s := range onestopSeeds {
		f.Add([]byte(s))
	}
	for i := 0; i < 6; i++ {
		f.Add(synth.BenchSnapshot(i))
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		fast, slow, _ := decodeBoth(t, value)
		if !reflect.DeepEqual(fast.rows, slow.rows) {
			t.Errorf("rows differ:\nfast %#v\nslow %#v", fast.rows, slow.rows)
		}
		if !reflect.DeepEqual(fast.rejects, slow.rejects) {
			t.Errorf("rejections differ:\nfast %q\nslow %q", fast.rejects, slow.rejects)
		}
	})
}

// The fast path takes the common records of all three shapes, so that it
// is not silently always falling back.
func TestOnestopFastPathTakesCommonShapes(t *testing.T) {
	one := string(synth.BenchSnapshot(1))
	for name, v := range map[string]string{
		"object":   one,
		"array":    "[" + one + "," + one + "]",
		"envelope": `{"service":"DongBoHoSoMC","madonvi":"000.00.31.H53","data":[` + one + `]}`,
		"full":     fullDossier,
		"rejected": `{"MaHoSo":"A-1"}`,
	} {
		if strings.Contains(v, `\`) {
			t.Fatalf("%s: seed has an escape", name)
		}
		if _, _, took := decodeBoth(t, []byte(v)); !took {
			t.Errorf("%s: fast path not taken", name)
		}
	}
	for _, v := range []string{`{"MaHoSo":"A-\u0110","TrangThaiHoSo":2}`, `{not json`, `[1]`} {
		if _, _, took := decodeBoth(t, []byte(v)); took {
			t.Errorf("%s: fast path taken", v)
		}
	}
}

// plainString's eight-bytes-at-a-time search agrees with a byte loop.
func TestPlainStringMatchesByteLoop(t *testing.T) {
	naive := func(b []byte, i int) int {
		for j := i + 1; j < len(b); j++ {
			switch c := b[j]; {
			case c == '"':
				return j + 1
			case c == '\\' || c < 0x20:
				return -1
			}
		}
		return -1
	}
	alphabet := []byte{'a', 'Z', '"', '\\', 0x00, 0x1f, 0x20, 0x7f, 0x80, 0xc3, 0xff, ' '}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 20000; n++ {
		b := make([]byte, 1+rng.IntN(40))
		b[0] = '"'
		for k := 1; k < len(b); k++ {
			if rng.IntN(6) == 0 {
				b[k] = alphabet[rng.IntN(len(alphabet))]
			} else {
				b[k] = 'a' + byte(rng.IntN(26))
			}
		}
		if got, want := plainString(b, 0), naive(b, 0); got != want {
			t.Fatalf("%q: %d, want %d", b, got, want)
		}
	}
}
