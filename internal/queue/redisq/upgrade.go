package redisq

import (
	"context"
	_ "embed"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/queue"
)

var (
	//go:embed lua/upgrade.lua
	upgradeSrc    string
	upgradeScript = script(upgradeSrc)
)

// layoutValue is the layout of entries in which the deciding event is one value ("e"); the key
// layout holds it once every entry is in it, so that a start need not look again.
const layoutValue = "2"

// Upgrade rewrites the entries written before the one value (an entry's event as one encoded
// field, queue.EventCodec) and returns how many. The service runs it when it starts
// (RecordDestinations); until it has, and for an entry an older replica still writes, the readers
// read both layouts, so an upgrade cut short (a deadline, a restart) loses nothing and the next
// one resumes. Audit records are evidence and stay as they were written: the readers read both.
func (s *Store) Upgrade(ctx context.Context) (int, error) {
	if v, err := s.rdb.Get(ctx, s.prefix+"layout").Result(); err == nil && v == layoutValue {
		return 0, nil
	} else if err != nil && err != redis.Nil {
		return 0, wrap("upgrade", err)
	}
	n := 0
	node := s.node(ctx)
	for _, d := range s.dests {
		iter := node.Scan(ctx, 0, d.qp+"item:*", 1000).Iterator()
		var page []string
		flush := func() error {
			k, err := s.upgradePage(ctx, page)
			n += k
			page = page[:0]
			return err
		}
		for iter.Next(ctx) {
			if page = append(page, iter.Val()); len(page) == 500 {
				if err := flush(); err != nil {
					return n, err
				}
			}
		}
		if err := iter.Err(); err != nil {
			return n, wrap("upgrade", err)
		}
		if err := flush(); err != nil {
			return n, err
		}
	}
	return n, wrap("upgrade", s.rdb.Set(ctx, s.prefix+"layout", layoutValue, 0).Err())
}

// upgradePage reads the entries keys in one pipeline and rewrites those of the old layout.
func (s *Store) upgradePage(ctx context.Context, keys []string) (int, error) {
	hs := make([]*redis.MapStringStringCmd, len(keys))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			hs[i] = p.HGetAll(ctx, k)
		}
		return nil
	}); err != nil {
		return 0, wrap("upgrade", err)
	}
	n := 0
	for i, key := range keys {
		h := hs[i].Val()
		if _, ok := h["e"]; ok || h["n"] == "" {
			continue // upgraded already, or gone
		}
		ev := queue.Event{Number: h["n"], Raw: h["raw"], Source: h["src"], Channel: h["ch"], Reason: h["rsn"],
			Scope: h["scp"]}
		done, err := upgradeScript.Run(ctx, s.rdb, []string{key}, entryValue(&ev),
			h["n"], h["raw"], h["src"], h["ch"], h["rsn"], h["scp"]).Int()
		if err != nil {
			return n, wrap("upgrade", err)
		}
		n += done
	}
	return n, nil
}
