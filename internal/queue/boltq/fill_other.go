//go:build !linux && !darwin

package boltq

import "errors"

// usage is not known here: rejections are written until the disk refuses them.
func usage(string) (used, limit uint64, err error) {
	return 0, 0, errors.New("filesystem usage is not known on this system")
}
