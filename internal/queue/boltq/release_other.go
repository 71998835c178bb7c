//go:build !linux

package boltq

// Elsewhere the pages read stay resident until the file is closed (release_linux.go).

func dropResident(uintptr, int64) error { return nil }

func residentFile() (int64, error) { return 0, nil }
