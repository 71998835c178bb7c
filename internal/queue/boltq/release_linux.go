package boltq

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// dropResident drops the first size bytes of the file's mapping (from bbolt's Info) from this
// process's resident set: MADV_DONTNEED on a shared, read-only file mapping only unmaps the pages,
// which stay in the page cache, so the next read of one is a minor fault and reads the same bytes.
// The call takes uintptrs, not a slice: bbolt gives the mapping's address, not the mapping.
func dropResident(data uintptr, size int64) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, data, uintptr(size), syscall.MADV_DONTNEED); errno != 0 {
		return errno
	}
	return nil
}

// residentFile is how many bytes of mapped files this process has resident (statm's "shared":
// RssFile and RssShmem): bbolt's mapping, and the binary's own few MiB.
func residentFile() (int64, error) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	f := bytes.Fields(b)
	if len(f) < 3 {
		return 0, syscall.EINVAL
	}
	pages, err := strconv.ParseInt(string(f[2]), 10, 64)
	return pages * int64(os.Getpagesize()), err
}
