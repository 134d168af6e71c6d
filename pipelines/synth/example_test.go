package synth_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tayninh/ktxh/pipelines/synth"
)

// Generate streams a month of the synthetic province to a producer; here
// the messages are only counted.
func ExampleGenerate() {
	cfg := synth.Config{
		Seed:  1,
		From:  time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
		To:    time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
		Scale: 0.01, // 1% of a real province
	}
	perTopic := map[string]int{}
	err := synth.Generate(context.Background(), cfg, func(m synth.Message) error {
		perTopic[m.Topic]++ // a real caller produces m (kafka.Message{Topic, Key, Value, Time})
		return nil
	})
	fmt.Println(err, perTopic["onestop.dossiers"] > 0, perTopic["staffing.records"] > 0)
	// Output: <nil> true true
}

// Province is the agency dimension, before and after the 2025 restructuring.
func ExampleProvince() {
	count := func(level string, day time.Time) int {
		n := 0
		for _, a := range synth.Province() {
			if a.Level == level && (a.ValidFrom.IsZero() || !day.Before(a.ValidFrom)) && (a.ValidTo.IsZero() || !day.After(a.ValidTo)) {
				n++
			}
		}
		return n
	}
	before := time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)
	after := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	fmt.Println("2025-06-30:", count(synth.LevelDepartment, before), "departments,", count(synth.LevelDistrict, before), "districts,", count(synth.LevelCommune, before), "communes")
	fmt.Println("2025-07-01:", count(synth.LevelDepartment, after), "departments,", count(synth.LevelDistrict, after), "districts,", count(synth.LevelCommune, after), "communes")
	// Output:
	// 2025-06-30: 14 departments, 9 districts, 95 communes
	// 2025-07-01: 14 departments, 0 districts, 36 communes
}
