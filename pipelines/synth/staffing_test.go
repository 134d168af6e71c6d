package synth

import (
	"encoding/json"
	"fmt"
	"testing"
)

// TestStaffingTrend: headcount falls with the quotas of 39-NQ/TW (10% by
// 2021 against 2015) and 40-KL/TW (5% CC, 10% VC more by 2026).
func TestStaffingTrend(t *testing.T) {
	msgs := byTopic(collect(t, Config{Seed: 2, From: month(2015, 1), To: month(2026, 12), Scale: 0.0005}), DefaultStaffing)
	type rec struct {
		class, start, end, reason string
	}
	records := map[string]rec{}
	quota := map[string]int64{} // "class/year"
	for _, m := range msgs {
		o := jsonValue(t, m.Value).(map[string]any)
		if o["Loai"] == "BienCheGiao" {
			y, _ := o["Nam"].(json.Number).Int64()
			n, _ := o["SoLuong"].(json.Number).Int64()
			quota[fmt.Sprintf("%s/%d", o["LoaiHinh"], y)] += n
			continue
		}
		end, _ := o["NgayKetThuc"].(string)
		reason, _ := o["LyDoKetThuc"].(string)
		records[o["SoHieu"].(string)] = rec{o["LoaiHinh"].(string), o["NgayBatDau"].(string), end, reason}
	}
	headcount := func(class string, y int) int {
		day := fmt.Sprintf("%d1231", y)
		n := 0
		for _, r := range records {
			if r.class == class && r.start <= day && (r.end == "" || r.end > day) {
				n++
			}
		}
		return n
	}
	reasons := map[string]int{}
	for _, r := range records {
		reasons[r.reason]++
	}
	t.Logf("records %d, reasons %v", len(records), reasons)
	for _, c := range []string{"CC", "VC"} {
		base := float64(quota[c+"/2015"])
		for _, y := range []int{2015, 2018, 2021, 2024, 2025, 2026} {
			t.Logf("%s %d: quota %d (%.1f%% below 2015), headcount %d (%.1f%% below the 2015 quota)", c, y,
				quota[fmt.Sprintf("%s/%d", c, y)], 100*(1-float64(quota[fmt.Sprintf("%s/%d", c, y)])/base),
				headcount(c, y), 100*(1-float64(headcount(c, y))/base))
		}
		if r := 1 - float64(quota[c+"/2021"])/base; r < 0.09 || r > 0.15 {
			t.Errorf("%s quota 2021 is %.1f%% below 2015, want ~10%%", c, 100*r)
		}
		if r := 1 - float64(headcount(c, 2021))/base; r < 0.08 || r > 0.2 {
			t.Errorf("%s headcount end of 2021 is %.1f%% below the 2015 quota, want ~10%%", c, 100*r)
		}
		if headcount(c, 2026) >= headcount(c, 2021) {
			t.Errorf("%s headcount does not keep falling after 2021", c)
		}
	}
	for _, r := range []string{"NGHI_HUU", "THOI_VIEC", "TINH_GIAN", "CHUYEN_CONG_TAC"} {
		if reasons[r] == 0 {
			t.Errorf("no departure for %s", r)
		}
	}
}
