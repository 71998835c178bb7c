package redisq

import (
	"context"
	_ "embed"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/queue"
)

var (
	//go:embed lua/upgrade.lua
	upgradeSrc    string
	upgradeScript = script(upgradeSrc)
)

// The layouts of a store, in order; the key layout holds the one it is in once nothing of an
// earlier one is left, so that a start need not look again.
const (
	// layoutEntryValue: an entry's deciding event is one value ("e"). Before it (no layout key), an
	// entry had the event's fields one by one.
	layoutEntryValue = "2"
	// layoutValue: event ids are fields of their number's state (lua/ids.lua). Before it, each was
	// a key of its own, {tag}:seen:<id>\0<number>, expiring with the event-id TTL.
	layoutValue = "3"
)

// Upgrade rewrites what was written in an earlier layout and returns how many entries and event
// ids it moved. The service runs it when it starts (RecordDestinations); an upgrade cut short (a
// deadline, a restart) loses nothing and the next one resumes.
//
// Entries written before the one value (queue.EventCodec) are rewritten; until they are, and for an
// entry an older replica still writes, the readers read both layouts. Audit records are evidence
// and stay as they were written: the readers read both.
//
// Event ids of their own keys move into their numbers' states with their expiries, and their keys
// go: the enqueue script looks for an id in both places only while the layout key is not yet
// layoutValue (one read of that key per call, not per event), so that the ids remembered before
// the upgrade are still duplicates after it, and once they moved every event costs one read
// fewer. A number with more ids within the TTL than its state keeps (ids.lua) keeps the ones that
// expire last. During a rolling upgrade an older replica still writes ids as keys; those written
// after this upgrade finished are not looked for: a retry of such an event is merged or stale
// (queue.Wins), not "duplicate", and queues nothing that was not already decided. An older
// replica's own upgrade at its start sets the layout back to 2: the script then looks in both
// places again (slower, still right) until a replica of this release starts. A store nothing was
// ever enqueued in is written in this layout from its first enqueue (lua/enqueue.lua).
func (s *Store) Upgrade(ctx context.Context) (int, error) {
	v, err := s.rdb.Get(ctx, s.prefix+"layout").Result()
	if err != nil && err != redis.Nil {
		return 0, wrap("upgrade", err)
	}
	if v == layoutValue {
		return 0, nil
	}
	n := 0
	if v != layoutEntryValue {
		if n, err = s.upgradeEntries(ctx); err != nil {
			return n, err
		}
	}
	m, err := s.upgradeIDs(ctx)
	n += m
	if err != nil {
		return n, err
	}
	return n, wrap("upgrade", s.rdb.Set(ctx, s.prefix+"layout", layoutValue, 0).Err())
}

// upgradeEntries rewrites every entry of the layout before the one value.
func (s *Store) upgradeEntries(ctx context.Context) (int, error) {
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
	return n, nil
}

// upgradeIDs moves the event ids of their own keys into their numbers' states, a page of keys a
// script call.
func (s *Store) upgradeIDs(ctx context.Context) (int, error) {
	n := 0
	iter := s.node(ctx).Scan(ctx, 0, s.prefix+"seen:*", 1000).Iterator()
	var keys []string
	args := []any{ms(s.now()), s.ttl.Milliseconds()}
	flush := func() error {
		if len(keys) == 0 {
			return nil
		}
		k, err := upgradeIDsScript.Run(ctx, s.rdb, keys, args...).Int()
		n += k
		keys, args = keys[:0], args[:2]
		return wrap("upgrade event ids", err)
	}
	for iter.Next(ctx) {
		id, number, ok := s.oldIDKey(iter.Val())
		if !ok {
			continue
		}
		keys = append(keys, s.prefix+"state:"+number, iter.Val())
		if args = append(args, id); len(keys) == 1000 {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return n, wrap("upgrade event ids", err)
	}
	return n, flush()
}

// oldIDKey reads the id and number of an event id's key of the layout before.
func (s *Store) oldIDKey(key string) (id, number string, ok bool) {
	rest, ok := strings.CutPrefix(key, s.prefix+"seen:")
	cut := strings.LastIndexByte(rest, 0)
	if !ok || cut < 0 {
		return "", "", false
	}
	return rest[:cut], rest[cut+1:], true
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
