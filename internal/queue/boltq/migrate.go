package boltq

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// upgradeChunk is how many values one transaction of the upgrade rewrites: a file with years of
// audit records is upgraded in many short commits rather than one that holds them all in memory.
const upgradeChunk = 10_000

// upgradeValues rewrites every value of layout 3 or before (a format byte per added field,
// legacy.go) in the one encoding (queue.Codec): entries, numbers' states, audit records and
// rejections. It runs at open while keyUpgrading is set, and clears it when done; a run cut short
// resumes at the next open, and meanwhile the decoders read both encodings.
func upgradeValues(db *bolt.DB, dests []*destBuckets) error {
	var pending bool
	if err := db.View(func(tx *bolt.Tx) error {
		pending = tx.Bucket(bMeta).Get(keyUpgrading) != nil
		return nil
	}); err != nil || !pending {
		return err
	}
	recode := map[string]func([]byte) ([]byte, error){
		string(bAudit): func(v []byte) ([]byte, error) {
			r, err := decodeAuditV1(v)
			return encodeAudit(&r), err
		},
		string(bRejections): func(v []byte) ([]byte, error) {
			r, audit, err := decodeRejectionV1(v)
			return encodeRejection(r, audit), err
		},
		string(bTrail): func(v []byte) ([]byte, error) {
			if len(v) == 0 {
				return nil, nil // a pointer key: no value
			}
			st, err := decodeStateV1("", v)
			if err != nil {
				return nil, err
			}
			return encodeState(st), nil
		},
	}
	for _, d := range dests {
		recode[string(d.items)] = func(v []byte) ([]byte, error) {
			r, err := decodeRecordV1("", v)
			if err != nil {
				return nil, err
			}
			return encodeRecord(r), nil
		}
		if d.state != nil {
			recode[string(d.state)] = recode[string(bTrail)]
		}
	}
	for name, fn := range recode {
		if err := upgradeBucket(db, []byte(name), fn); err != nil {
			return fmt.Errorf("bucket %s: %w", name, err)
		}
	}
	return db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Delete(keyUpgrading) })
}

// upgradeBucket rewrites the values of bucket name that are of an older layout, a chunk per
// transaction.
func upgradeBucket(db *bolt.DB, name []byte, fn func([]byte) ([]byte, error)) error {
	var after []byte // the last key of the previous chunk
	for {
		done := false
		err := db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(name)
			if b == nil {
				done = true
				return nil
			}
			type kv struct{ k, v []byte }
			var out []kv
			c := b.Cursor()
			k, v := c.First()
			if after != nil {
				if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			n := 0
			for ; k != nil && n < upgradeChunk; k, v = c.Next() {
				n++
				after = append(after[:0], k...)
				if !legacy(v) {
					continue
				}
				nv, err := fn(v)
				if err != nil {
					return fmt.Errorf("key %q: %w", k, err)
				}
				if nv != nil {
					out = append(out, kv{append([]byte(nil), k...), nv})
				}
			}
			done = k == nil
			// Put after the walk: a cursor is not to be relied on across changes to its bucket.
			for _, e := range out {
				if err := b.Put(e.k, e.v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || done {
			return err
		}
	}
}
