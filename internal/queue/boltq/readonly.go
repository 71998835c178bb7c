package boltq

import (
	"errors"
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// A read-only Store (Options.ReadOnly) is what the commands that only read open: status, lookup,
// audit export, rejected list, dlq list, scrub. bbolt opens the file O_RDONLY under a shared
// flock, so any number of them run at once; but a read-write open (serve, import, dlq retry)
// takes the exclusive lock, so a reader waits for a writer and a writer for every reader
// (lockTimeout, then ErrTimeout either way). Nothing is created, upgraded or reclaimed, no
// freelist is rebuilt (a read-write open scans the whole file for it), and every method that
// writes returns ErrNeedsWrite before touching the file.

var (
	// ErrNeedsWrite is returned by every method that writes, on a Store opened read-only. It is not
	// queue.ErrUnavailable: trying again does not help, opening the store read-write does.
	ErrNeedsWrite = errors.New("the embedded store is open read-only and this needs to write")
	// ErrNoStore is a read-only open of a file that is not there (or empty): nothing has been
	// written yet, and a reader may not create it.
	ErrNoStore = errors.New("no embedded store there yet")
	// ErrNeedsUpgrade is a read-only open of a file an older build wrote, or without the buckets of
	// a destination configured since: only a read-write open (serve) upgrades it.
	ErrNeedsUpgrade = errors.New("the embedded store needs an upgrade that a read-only open cannot make")
)

// writable is nil on a read-write Store, else ErrNeedsWrite for op; every writing method checks
// it first, so that a reader fails the same way whatever the arguments (even none to write).
func (s *Store) writable(op string) error {
	if s.readOnly {
		return fmt.Errorf("boltq: %s: %w", op, ErrNeedsWrite)
	}
	return nil
}

// openReadOnly opens path for reading under a shared lock and checks that this build can read it
// as it is, for dests.
func openReadOnly(path string, dests []*destBuckets) (*bolt.DB, error) {
	// bbolt would try to initialise an empty file, and an O_RDONLY one cannot be written.
	switch st, err := os.Stat(path); {
	case errors.Is(err, os.ErrNotExist) || err == nil && st.Size() == 0:
		return nil, fmt.Errorf("boltq: %s: %w (serve or import creates it)", path, ErrNoStore)
	case err != nil:
		return nil, fmt.Errorf("boltq: open %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("boltq: %s is held by a dncsync process that writes to it (serve, import, dlq retry): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("boltq: open %s read-only: %w", path, err)
	}
	if err := db.View(func(tx *bolt.Tx) error { return readable(tx, dests) }); err != nil {
		db.Close()
		return nil, fmt.Errorf("boltq: open %s read-only: %w", path, err)
	}
	return db, nil
}

// readable checks, as initBuckets does for a writer, that the file has this build's layout and
// every bucket the reads use; what initBuckets would create or upgrade is refused instead.
func readable(tx *bolt.Tx, dests []*destBuckets) error {
	meta := tx.Bucket(bMeta)
	if meta == nil {
		return fmt.Errorf("%w: it has no layout yet; start serve once on it", ErrNeedsUpgrade)
	}
	v := meta.Get(keyFormat)
	switch {
	case len(v) == 1 && v[0] > format:
		return fmt.Errorf("file has layout %d, this build reads %d: use the newer build", v[0], format)
	case len(v) != 1 || v[0] != format:
		return fmt.Errorf("%w: it has layout %v and this build reads %d; start serve once on it (it upgrades at open)",
			ErrNeedsUpgrade, v, format)
	case meta.Get(keyUpgrading) != nil:
		return fmt.Errorf("%w: an upgrade of its values was cut short; start serve once on it to finish it", ErrNeedsUpgrade)
	}
	names := [][]byte{bItems, bReady, bLeased, bDead, bFirst, bEvents, bEventExp, bRejections, bAudit, bTrail, bRejSeen}
	for _, d := range dests {
		names = append(names, d.items, d.ready, d.leased, d.dead, d.first)
		if d.state != nil {
			names = append(names, d.state)
		}
	}
	for _, name := range names {
		if tx.Bucket(name) == nil {
			return fmt.Errorf("%w: it has no bucket %q (a destination added since serve last ran?); start serve once "+
				"with these DNCSYNC_DESTINATIONS", ErrNeedsUpgrade, name)
		}
	}
	return nil
}
