package redisq

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// Claim leases up to max due entries under one fresh token.
func (s *Store) Claim(ctx context.Context, max int, lease time.Duration) ([]queue.Item, error) {
	if max <= 0 {
		return nil, nil
	}
	now := s.now()
	tok := newToken()
	res, err := claimScript.Run(ctx, s.rdb, []string{s.ready, s.leased},
		s.args(ms(now), max, ms(now.Add(lease)), tok)...).Slice()
	if err != nil {
		return nil, wrap("claim", err)
	}
	items := make([]queue.Item, 0, len(res))
	for _, r := range res {
		flat, ok := r.([]any)
		if !ok {
			return nil, fmt.Errorf("redisq: claim: unexpected reply %T", r)
		}
		items = append(items, decodeItem(flat))
	}
	return items, nil
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// decodeItem reads a flat HGETALL reply.
func decodeItem(flat []any) queue.Item {
	h := make(map[string]string, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		k, _ := flat[i].(string)
		v, _ := flat[i+1].(string)
		h[k] = v
	}
	return itemOf(h)
}

// itemOf reads an entry's hash: the deciding event's value ("e", queue.EventCodec) and the fields
// the scripts keep beside it (enqueue.lua). An entry written before the one value, and not yet
// upgraded (Upgrade), has the event's fields one by one instead.
func itemOf(h map[string]string) queue.Item {
	var ev queue.Event
	if e, ok := h["e"]; ok {
		_ = queue.EventCodec.Decode([]byte(e), &ev) // a damaged value leaves the fields below
	} else {
		ev = queue.Event{Number: h["n"], Raw: h["raw"], Source: h["src"], Channel: h["ch"], Reason: h["rsn"],
			Scope: h["scp"]}
	}
	num := func(k string) int64 { n, _ := strconv.ParseInt(h[k], 10, 64); return n }
	it := queue.NewItem(ev)
	it.Action, it.OccurredAt, it.ExpiresAt = queue.Action(h["a"]), fromMS(num("occ")), fromMS(num("exp"))
	it.FirstReceivedAt, it.LastReceivedAt = fromMS(num("first")), fromMS(num("last"))
	it.Events, it.Attempts, it.LostLeases = int(num("ev")), int(num("att")), int(num("lost"))
	it.LastError, it.Version, it.Lease = h["err"], num("ver"), h["lease"]
	return it
}
