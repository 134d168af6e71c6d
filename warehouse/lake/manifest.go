package lake

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Manifest is the commit record of one batch: the offsets [From, Next) of a
// topic partition and the files holding what they became.
type Manifest struct {
	Topic      string    `json:"topic"`
	Partition  int       `json:"partition"`
	From       int64     `json:"from"`
	Next       int64     `json:"next"`
	FlushID    string    `json:"flush_id"`
	Records    int64     `json:"records"`
	Tombstones int64     `json:"tombstones"`
	Rejected   int64     `json:"rejected"`
	Files      []File    `json:"files"`
	Committed  time.Time `json:"committed"`
}

// File is one Parquet file of a manifest.
type File struct {
	Dataset   string `json:"dataset"`
	Partition string `json:"partition"`
	// Path is relative to the lake directory.
	Path  string `json:"path"`
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
}

const (
	manifestDir = "_manifests"
	tmpDir      = "_tmp"
	// keepManifests is how many manifests per partition survive pruning.
	// Only the newest is needed to resume; older ones stay a while so that
	// a zombie writer far behind still meets its conflict.
	keepManifests = 256
)

func manifestName(from int64) string { return fmt.Sprintf("%020d.json", from) }

func (l *Lake) partitionDir(topic string, partition int) string {
	return filepath.Join(l.dir, manifestDir, topic, strconv.Itoa(partition))
}

// Next returns the offset to resume topic/partition from and true, or false
// when the lake holds nothing of it yet.
func (l *Lake) Next(topic string, partition int) (int64, bool, error) {
	m, err := l.latest(topic, partition)
	if err != nil || m == nil {
		return 0, false, err
	}
	return m.Next, true, nil
}

func (l *Lake) latest(topic string, partition int) (*Manifest, error) {
	names, err := l.manifestNames(topic, partition)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	return readManifest(filepath.Join(l.partitionDir(topic, partition), names[len(names)-1]))
}

// manifestNames lists a partition's manifests, oldest first.
func (l *Lake) manifestNames(topic string, partition int) ([]string, error) {
	ents, err := os.ReadDir(l.partitionDir(topic, partition))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list manifests of %s/%d: %w", topic, partition, err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if n := e.Name(); strings.HasSuffix(n, ".json") && !strings.HasPrefix(n, ".") {
			names = append(names, n)
		}
	}
	sort.Strings(names) // zero-padded offsets sort numerically
	return names, nil
}

func readManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse manifest %s: %w", path, err)
	}
	return &m, nil
}

// prune drops all but the newest keepManifests manifests of a partition.
func (l *Lake) prune(topic string, partition int) {
	names, err := l.manifestNames(topic, partition)
	if err != nil || len(names) <= keepManifests {
		return
	}
	dir := l.partitionDir(topic, partition)
	for _, n := range names[:len(names)-keepManifests] {
		os.Remove(filepath.Join(dir, n))
	}
}

// Manifests returns every retained manifest of a partition, oldest first.
func (l *Lake) Manifests(topic string, partition int) ([]*Manifest, error) {
	names, err := l.manifestNames(topic, partition)
	if err != nil {
		return nil, err
	}
	out := make([]*Manifest, 0, len(names))
	for _, n := range names {
		m, err := readManifest(filepath.Join(l.partitionDir(topic, partition), n))
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// ReadManifests returns the retained manifests of a partition of the lake at
// dir without opening it for writing.
func ReadManifests(dir, topic string, partition int) ([]*Manifest, error) {
	return (&Lake{dir: dir}).Manifests(topic, partition)
}
