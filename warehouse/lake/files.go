package lake

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// FileName is the name of the file, in a Hive directory of a dataset,
// holding the rows of the records [from, next) of topic/partition: a
// batch's file, or a compacted file that merged several. The offsets are
// zero-padded so that names sort by offset.
func FileName(topic string, partition int, from, next int64) string {
	return fmt.Sprintf("%s-%d-%020d-%020d.parquet", topic, partition, from, next)
}

// FileRange is what a file name says: the offsets [From, Next) of a topic
// partition whose rows the file holds.
type FileRange struct {
	Topic     string
	Partition int
	From      int64
	Next      int64
}

// ParseFileName reads a name written by FileName, and false for any other.
// The topic may itself hold dashes: the numbers are taken from the right.
func ParseFileName(name string) (FileRange, bool) {
	s, ok := strings.CutSuffix(name, ".parquet")
	if !ok {
		return FileRange{}, false
	}
	var nums [3]int64
	for i := 2; i >= 0; i-- {
		j := strings.LastIndexByte(s, '-')
		if j < 0 {
			return FileRange{}, false
		}
		digits := s[j+1:]
		if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
			return FileRange{}, false
		}
		n, err := strconv.ParseInt(digits, 10, 64)
		if err != nil {
			return FileRange{}, false
		}
		nums[i], s = n, s[:j]
	}
	if s == "" || nums[1] >= nums[2] || nums[0] > int64(^uint32(0)>>1) {
		return FileRange{}, false
	}
	return FileRange{Topic: s, Partition: int(nums[0]), From: nums[1], Next: nums[2]}, true
}

// inside reports whether r's offsets lie inside o's, of the same topic
// partition.
func (r FileRange) inside(o FileRange) bool {
	return r.Topic == o.Topic && r.Partition == o.Partition && o.From <= r.From && r.Next <= o.Next
}

// Superseded applies the lake's one rule for compacted files to the names
// of the files of one Hive directory (<dataset>/<key>=<value>): within a
// directory the files of a topic partition hold disjoint offset ranges,
// but for a compacted file, whose range [a, b) is that of the files it
// merged, which it supersedes. So a file is superseded when another file
// of the same topic partition in the directory has a range containing
// its own. It returns each superseded name with the outermost file
// covering it. Names FileName did not write are never superseded: a file
// the rule cannot read is kept, never dropped silently.
//
// Two files whose ranges overlap without one holding the other break the
// invariant; neither supersedes the other, so both are read (duplicate
// rows rather than lost ones).
func Superseded(names []string) map[string]string {
	type named struct {
		name string
		r    FileRange
	}
	var files []named
	for _, n := range names {
		if r, ok := ParseFileName(n); ok {
			files = append(files, named{n, r})
		}
	}
	// By topic partition, then from ascending and, at an equal from, the
	// wider range first: a file is covered exactly when some file before
	// it in this order reaches at least as far.
	slices.SortFunc(files, func(a, b named) int {
		return cmp.Or(strings.Compare(a.r.Topic, b.r.Topic), cmp.Compare(a.r.Partition, b.r.Partition),
			cmp.Compare(a.r.From, b.r.From), cmp.Compare(b.r.Next, a.r.Next), strings.Compare(a.name, b.name))
	})
	out := map[string]string{}
	var cover *named
	for i := range files {
		f := &files[i]
		if cover != nil && f.r.inside(cover.r) {
			out[f.name] = cover.name
			continue
		}
		cover = f
	}
	return out
}

// Supersedes reports whether, in one Hive directory, the file named cover
// supersedes the file named name (Superseded).
func Supersedes(cover, name string) bool {
	c, ok := ParseFileName(cover)
	if !ok || cover == name {
		return false
	}
	r, ok := ParseFileName(name)
	return ok && r.inside(c)
}

// LiveFiles returns the names that no other supersedes (Superseded), in
// their order: the files a reader of the directory must read, each row
// once. Every reader of the lake goes through it.
func LiveFiles(names []string) []string {
	sup := Superseded(names)
	if len(sup) == 0 {
		return names
	}
	out := make([]string, 0, len(names)-len(sup))
	for _, n := range names {
		if _, ok := sup[n]; !ok {
			out = append(out, n)
		}
	}
	return out
}
