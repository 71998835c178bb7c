//go:build linux || darwin

package boltq

import "syscall"

// usage is the embedded store's analogue of Redis's used_memory and maxmemory: the filesystem
// holding the file, as df counts it (used, and the limit is used plus what is available to a
// process without root's reserve), since the file grows until that is full and then every write
// fails, opt-outs too.
func usage(dir string) (used, limit uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, err
	}
	bs := uint64(st.Bsize)
	used = (uint64(st.Blocks) - uint64(st.Bfree)) * bs
	return used, used + uint64(st.Bavail)*bs, nil
}
