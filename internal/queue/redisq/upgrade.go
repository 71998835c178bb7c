package redisq

import (
	"context"
	_ "embed"

	"github.com/dncsync/dncsync/internal/queue"
)

var (
	//go:embed lua/upgrade.lua
	upgradeSrc    string
	upgradeScript = script(upgradeSrc)
)

// Upgrade rewrites the entries written before the one value (an entry's event as one encoded
// field, queue.EventCodec) and returns how many. The service runs it when it starts
// (RecordDestinations); until it has, and for an entry an older replica still writes, the readers
// read both layouts, so an upgrade cut short (a deadline, a restart) loses nothing and the next
// one resumes. Audit records are evidence and stay as they were written: the readers read both.
func (s *Store) Upgrade(ctx context.Context) (int, error) {
	n := 0
	node := s.node(ctx)
	for _, d := range s.dests {
		iter := node.Scan(ctx, 0, d.qp+"item:*", 1000).Iterator()
		for iter.Next(ctx) {
			key := iter.Val()
			h, err := s.rdb.HGetAll(ctx, key).Result()
			if err != nil {
				return n, wrap("upgrade", err)
			}
			if _, ok := h["e"]; ok || h["n"] == "" {
				continue // upgraded already
			}
			it := itemOf(h)
			ev := queue.Event{Number: it.Number, Raw: it.Raw, Action: it.Action, Source: it.Source,
				Channel: it.Channel, Reason: it.Reason, Scope: it.Scope, OccurredAt: it.OccurredAt,
				ReceivedAt: it.LastReceivedAt, ExpiresAt: it.ExpiresAt}
			done, err := upgradeScript.Run(ctx, s.rdb, []string{key}, queue.EventCodec.Encode(&ev),
				h["n"], h["raw"], h["src"], h["ch"], h["rsn"], h["scp"]).Int()
			if err != nil {
				return n, wrap("upgrade", err)
			}
			n += done
		}
		if err := iter.Err(); err != nil {
			return n, wrap("upgrade", err)
		}
	}
	return n, nil
}
