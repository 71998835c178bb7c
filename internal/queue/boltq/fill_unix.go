//go:build linux || darwin

package boltq

import "syscall"

// usage is the embedded store's analogue of Redis's used_memory and maxmemory: the filesystem
// holding the file, as this process can use it (blocks reserved for root count as used), since
// the file grows until that is full and then every write fails, opt-outs too.
func usage(dir string) (used, limit uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, err
	}
	bs := uint64(st.Bsize)
	return (uint64(st.Blocks) - uint64(st.Bavail)) * bs, uint64(st.Blocks) * bs, nil
}
