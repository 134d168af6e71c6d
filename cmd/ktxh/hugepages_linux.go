package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"syscall"
	"unsafe"
)

const (
	hugePage     = 2 << 20
	hugeHeapSize = 256 << 20
	madvHugePage = 14 // MADV_HUGEPAGE, absent from package syscall
)

// adviseHugeHeap maps heap address space up front, untouched, and asks the
// kernel to back it with transparent huge pages: most distributions enable
// THP only where madvise asks for it, and the Go runtime no longer asks.
// The ingest process touches its whole heap in its first second, and on a
// virtual machine a first touch can cost a fault of 20 µs per 4 KiB page:
// on the benchmark VM the ingest process took 40,000 faults and 0.6-0.8 s
// of kernel time per run, 4,000 faults with huge pages. The space is handed
// back to the heap at once; its pages cost nothing until used, and the
// heap's next allocations take them (the runtime allocates lowest address
// first). Best effort: without THP nothing changes.
func adviseHugeHeap() {
	size := hugeHeapSize
	if limit := debug.SetMemoryLimit(-1); limit < math.MaxInt64 {
		// Free space the heap keeps counts against the limit.
		size = int(min(int64(size), limit/2))
	}
	b := make([]byte, size)
	off := -int(uintptr(unsafe.Pointer(unsafe.SliceData(b)))) & (hugePage - 1)
	if n := (size - off) &^ (hugePage - 1); n > 0 {
		syscall.Madvise(b[off:off+n], madvHugePage)
	}
	runtime.KeepAlive(b)
	b = nil
	runtime.GC()
}
