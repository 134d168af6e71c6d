package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// TestHugeHeapCutsPageFaults checks what the ingest process relies on
// adviseHugeHeap for: heap allocated after it lies in memory advised for
// huge pages, and touching it takes a fault per 2 MiB, not per 4 KiB. It
// runs in a fresh process, as ingest calls adviseHugeHeap at its start:
// the heap of a test binary that ran other tests has free space below.
func TestHugeHeapCutsPageFaults(t *testing.T) {
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || strings.Contains(string(mode), "[never]") {
		t.Skipf("transparent huge pages unavailable here (%q, %v)", mode, err)
	}
	if os.Getenv("KTXH_TEST_FRESH_PROCESS") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHugeHeapCutsPageFaults$", "-test.v")
		cmd.Env = append(os.Environ(), "KTXH_TEST_FRESH_PROCESS=1")
		out, err := cmd.CombinedOutput()
		t.Logf("fresh process:\n%s", out)
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	adviseHugeHeap()
	const size = 64 << 20
	before := minorFaults(t)
	b := make([]byte, size) // reused heap: the runtime zeroes it, touching it
	// The advice covers whole huge pages: look past a partial first one.
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	flags := vmFlags(t, (p+hugePage-1)&^(hugePage-1))
	if !strings.Contains(" "+flags+" ", " hg ") {
		t.Fatalf("heap allocated after adviseHugeHeap is not advised for huge pages: VmFlags %q", flags)
	}
	for i := 0; i < size; i += 4096 {
		b[i] = 1
	}
	faults := minorFaults(t) - before
	// 4 KiB pages would take 16,384 faults; huge pages take 32, plus up to
	// 512 for a partial first huge page and whatever the kernel could not
	// back with huge pages.
	if faults > size/4096/4 {
		t.Fatalf("touching %d MiB of heap took %d page faults; with huge pages it takes about %d", size>>20, faults, size/(2<<20))
	}
	t.Logf("touching %d MiB of heap took %d page faults", size>>20, faults)
}

func minorFaults(t *testing.T) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return ru.Minflt
}

// vmFlags returns the VmFlags line of the mapping holding addr.
func vmFlags(t *testing.T, addr uintptr) string {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x", &lo, &hi); n == 2 {
			in = lo <= addr && addr < hi
			continue
		}
		if flags, ok := strings.CutPrefix(line, "VmFlags:"); ok && in {
			return strings.TrimSpace(flags)
		}
	}
	t.Fatalf("no mapping holds %#x", addr)
	return ""
}
