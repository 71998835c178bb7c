package boltq

import (
	"crypto/sha256"
	"encoding/binary"
)

// maxEventKeyLen keeps event keys small; longer ids are stored by digest.
const maxEventKeyLen = 256

// The sweep of expired event ids deletes at most sweepLimit ids per transaction, so that it
// never holds the writer lock long (deleting random keys dirties about one page each), and at
// most sweepRounds transactions per Recover. The pusher calls Recover every Lease/4 (30 s by
// default), so it keeps up with ids expiring at about 1,600/s; a longer burst is worked off over
// the following calls.
const (
	sweepLimit  = 1000
	sweepRounds = 50
)

// eventKey is the key of an event id for a number: ids are remembered per number, so that two
// senders that number their events alike do not collide (as in redisq). A key longer than
// maxEventKeyLen is replaced by its SHA-256 behind a 0xff byte, which no UTF-8 id starts with, so
// a digest cannot equal a plain key.
func eventKey(id, number string) string {
	k := id + "\x00" + number
	if len(k) <= maxEventKeyLen {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	return "\xff" + string(sum[:])
}

// remember records event id of number until idExpiry and reports whether it was new. An id whose
// time ran out but which the sweep has not reached yet counts as new: the outcome must not depend
// on when the sweep ran.
func (t *txn) remember(id, number string, nowMs, idExpiry int64) (bool, error) {
	key := eventKey(id, number)
	if v := t.events.Get([]byte(key)); len(v) == 8 {
		old := int64(binary.BigEndian.Uint64(v))
		if old > nowMs {
			return false, nil
		}
		if err := t.eventExp.Delete(timeKey(old, key)); err != nil {
			return false, err
		}
	}
	if err := t.events.Put([]byte(key), binary.BigEndian.AppendUint64(nil, uint64(idExpiry))); err != nil {
		return false, err
	}
	return true, t.eventExp.Put(timeKey(idExpiry, key), nil)
}

// sweep deletes up to limit event ids that expired at or before nowMs.
func (t *txn) sweep(nowMs int64, limit int) (int, error) {
	keys := due(t.eventExp, nowMs, limit)
	for _, k := range keys {
		at, key := splitTimeKey(k)
		// Delete the id only if this index entry is its current one; remember replaces both
		// together, so a mismatch would mean a newer record that must stay.
		if v := t.events.Get([]byte(key)); len(v) == 8 && clampMs(int64(binary.BigEndian.Uint64(v))) == at {
			if err := t.events.Delete([]byte(key)); err != nil {
				return 0, err
			}
		}
		if err := t.eventExp.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}
