package boltq

import (
	"math"

	bolt "go.etcd.io/bbolt"
)

// errOrphaned is the LastError of an entry leased by a process that stopped without releasing it.
const errOrphaned = "lease held by a dncsync process that stopped; reclaimed at open"

// reclaimOrphans returns every lease found at open to ready at once. The file lock means no other
// process can hold a lease, so each one belongs to a process that crashed: waiting for it to expire
// would only delay the opt-outs it held. A lost lease is counted, as Recover does, so that a number
// that crashes the process every time ends up dead-lettered instead of in a crash loop; the trail
// records it as Recover does (AuditFailed, or AuditDead).
func (s *Store) reclaimOrphans(maxLost int) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		t := s.begin(tx)
		for _, d := range s.dests {
			if _, err := t.on(d).expireLeases(math.MaxInt64, errOrphaned, maxLost); err != nil {
				return err
			}
		}
		return nil
	})
}
