package warehouse

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tayninh/ktxh/warehouse/lake"
)

// fileSet is what the lake has published of some datasets: per dataset, the
// path of every Parquet file under the dataset's directory
// ("month=2024-05/onestop.dossiers-0-100-200.parquet") and its size, but
// for the files a compacted file supersedes (lake.LiveFiles). The lake never
// rewrites a published file (warehouse/lake), so a file set names the data:
// a materialized table built from one set is up to date for as long as the
// lake's set is the same, and when the lake's set only grew, the new files
// are all that changed. After a compaction, files are gone from the set: the
// tables are built again, or updated from the merged files when their
// update takes rows it holds already (deltaOf).
type fileSet map[string]map[string]int64

// restrict is the part of s of the given datasets (an empty set for a
// dataset without files).
func (s fileSet) restrict(datasets []string) fileSet {
	out := make(fileSet, len(datasets))
	for _, d := range datasets {
		out[d] = s[d]
		if out[d] == nil {
			out[d] = map[string]int64{}
		}
	}
	return out
}

func (s fileSet) equal(o fileSet) bool {
	if len(s) != len(o) {
		return false
	}
	for d, files := range s {
		of, ok := o[d]
		if !ok || !maps.Equal(files, of) {
			return false
		}
	}
	return true
}

// added returns the files of newer that s lacks, and false when newer is
// not s plus files: a file of s is gone or changed size, or newer lacks a
// dataset of s. With merged, a file of s that newer lacks is no obstacle
// when a file newer adds in its directory supersedes it (a compaction
// merged it, lake.Supersedes): the added file holds its rows again, which
// suits a caller whose update from added files is idempotent for rows it
// already holds.
func (s fileSet) added(newer fileSet, merged bool) (fileSet, bool) {
	out := fileSet{}
	for d, files := range s {
		nf, ok := newer[d]
		if !ok {
			return nil, false
		}
		out[d] = map[string]int64{}
		for p, size := range nf {
			if _, ok := files[p]; !ok {
				out[d][p] = size
			}
		}
		for p, size := range files {
			ns, ok := nf[p]
			if ok && ns == size {
				continue
			}
			if ok || !merged || !supersededBy(p, out[d]) {
				return nil, false
			}
		}
	}
	for d := range newer {
		if _, ok := s[d]; !ok {
			return nil, false
		}
	}
	return out, true
}

// supersededBy reports whether one of files supersedes the file p, paths
// of a dataset's directory ("month=2024-05/<name>").
func supersededBy(p string, files map[string]int64) bool {
	dir, name := path.Split(p)
	for q := range files {
		if qdir, qname := path.Split(q); qdir == dir && lake.Supersedes(qname, name) {
			return true
		}
	}
	return false
}

// size is the number of files and their bytes.
func (s fileSet) size() (files int, bytes int64) {
	for _, fs := range s {
		for _, n := range fs {
			files++
			bytes += n
		}
	}
	return files, bytes
}

// paths are the absolute paths of a dataset's files in the lake at root,
// sorted.
func (s fileSet) paths(root, dataset string) []string {
	out := make([]string, 0, len(s[dataset]))
	for p := range s[dataset] {
		out = append(out, filepath.Join(root, dataset, filepath.FromSlash(p)))
	}
	sort.Strings(out)
	return out
}

// lister lists the lake's published files. A query refreshes the warehouse
// first, so listing must cost a few system calls, not one per file: a
// partition directory is listed again only when its modification time
// changed (publishing a file renames it into the directory). A change within
// the file system's timestamp granularity of the previous listing could
// keep the time unchanged, so a directory listed less than dirSettle after
// its modification is listed again next time.
type lister struct {
	root string
	dirs map[string]*listedDir // by "<dataset>/<key>=<value>"
}

type listedDir struct {
	mtime  time.Time
	listed time.Time
	files  map[string]int64
}

const dirSettle = 2 * time.Second

func newLister(root string) *lister {
	return &lister{root: root, dirs: map[string]*listedDir{}}
}

// list returns the published files of the datasets. Not safe for
// concurrent use: the warehouse calls it with refreshMu held.
func (l *lister) list(datasets []lake.Dataset) (fileSet, error) {
	out := make(fileSet, len(datasets))
	seen := map[string]bool{}
	for _, d := range datasets {
		files := map[string]int64{}
		out[d.Name()] = files
		dir := filepath.Join(l.root, d.Name())
		ents, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list dataset %s: %w", d.Name(), err)
		}
		prefix := d.PartitionKey() + "="
		for _, e := range ents {
			if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) {
				continue
			}
			key := d.Name() + "/" + e.Name()
			seen[key] = true
			ld, err := l.partition(key, filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			for name, size := range ld.files {
				files[e.Name()+"/"+name] = size
			}
		}
	}
	for key := range l.dirs {
		if !seen[key] {
			delete(l.dirs, key)
		}
	}
	return out, nil
}

func (l *lister) partition(key, dir string) (*listedDir, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	prev := l.dirs[key]
	if prev != nil && prev.mtime.Equal(info.ModTime()) && prev.listed.Sub(prev.mtime) >= dirSettle {
		return prev, nil
	}
	listed := time.Now()
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	names := make([]string, 0, len(ents))
	byName := make(map[string]fs.DirEntry, len(ents))
	for _, e := range ents {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".parquet") {
			names = append(names, e.Name())
			byName[e.Name()] = e
		}
	}
	// A compacted file and the files it supersedes are both there until
	// the compactor deletes the latter: read each row once.
	names = lake.LiveFiles(names)
	ld := &listedDir{mtime: info.ModTime(), listed: listed, files: make(map[string]int64, len(names))}
	for _, name := range names {
		e := byName[name]
		if prev != nil {
			if size, ok := prev.files[name]; ok {
				ld.files[name] = size
				continue
			}
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("stat %s: %w", filepath.Join(dir, name), err)
		}
		ld.files[name] = fi.Size()
	}
	l.dirs[key] = ld
	return ld, nil
}
