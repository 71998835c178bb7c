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
// size is the file's size at open, which its mapping covers (dropResident).
func openReadOnly(path string, dests []*destBuckets) (db *bolt.DB, size int64, err error) {
	// bbolt would try to initialise an empty file, and an O_RDONLY one cannot be written.
	switch st, err := os.Stat(path); {
	case errors.Is(err, os.ErrNotExist) || err == nil && st.Size() == 0:
		return nil, 0, fmt.Errorf("boltq: %s: %w (serve or import creates it)", path, ErrNoStore)
	case err != nil:
		return nil, 0, fmt.Errorf("boltq: open %s: %w", path, err)
	}
	db, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, 0, fmt.Errorf("boltq: %s is held by a dncsync process that writes to it (serve, import, dlq retry): %w", path, err)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("boltq: open %s read-only: %w", path, err)
	}
	// Under the lock: no writer changes the file while it is held.
	st, err := os.Stat(path)
	if err == nil {
		size = st.Size()
		err = db.View(func(tx *bolt.Tx) error { return readable(tx, dests) })
	}
	if err != nil {
		db.Close()
		return nil, 0, fmt.Errorf("boltq: open %s read-only: %w", path, err)
	}
	return db, size, nil
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
	names := append([][]byte(nil), sharedBuckets...)
	for _, d := range dests {
		names = append(names, d.buckets()...)
	}
	for _, name := range names {
		if tx.Bucket(name) == nil {
			return fmt.Errorf("%w: it has no bucket %q (a destination added since serve last ran?); start serve once "+
				"with these DNCSYNC_DESTINATIONS", ErrNeedsUpgrade, name)
		}
	}
	return nil
}

// residentBudget is how much of the file a read-only Store lets stay resident before it drops the
// pages from this process's memory (readDone). bbolt reads through a mapping of the whole file, and
// every page a read faults in (with up to 15 neighbours: the kernel's fault-around) stays counted in
// the process's RSS until the file is closed: a scrub of a million rows against a ledger of ten
// million would touch most of a 7 GiB file. The pages stay in the page cache, so one read again
// costs a minor fault, not a disk read. Each drop makes the next reads fault again (at 1M rows
// dropping every 256 MiB doubled a scrub's time, all of it in the kernel), so the budget is large:
// a file smaller than it (about 1.3 million numbers) is never dropped, and a larger one is held
// near it (concurrent reads overshoot it a little) instead of mapping in the whole file.
var residentBudget int64 = 1 << 30

// readDone is called by a read-only Store after a read that may have touched many pages (a batch
// of Histories, a page of Export): past residentBudget, it drops the file's pages from memory. A
// read-write Store (serve) keeps them: it reads the same pages again and again, and its file grows
// under it (the mapping moves).
func (s *Store) readDone() {
	if !s.readOnly {
		return
	}
	if used, err := residentFile(); err != nil || used < residentBudget {
		return
	}
	// Only the file's size at open: the mapping covers at least that, and the bytes after it may
	// be another mapping's. A failed drop only leaves the pages counted.
	_ = dropResident(s.db.Info().Data, s.mapped)
}
