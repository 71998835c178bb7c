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

// decodeItem reads a flat HGETALL reply; field names are the short ones of enqueue.lua.
func decodeItem(flat []any) queue.Item {
	var it queue.Item
	for i := 0; i+1 < len(flat); i += 2 {
		k, _ := flat[i].(string)
		v, _ := flat[i+1].(string)
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "n":
			it.Number = v
		case "a":
			it.Action = queue.Action(v)
		case "raw":
			it.Raw = v
		case "src":
			it.Source = v
		case "ch":
			it.Channel = v
		case "rsn":
			it.Reason = v
		case "scp":
			it.Scope = v
		case "occ":
			it.OccurredAt = fromMS(n)
		case "first":
			it.FirstReceivedAt = fromMS(n)
		case "last":
			it.LastReceivedAt = fromMS(n)
		case "exp":
			it.ExpiresAt = fromMS(n)
		case "ev":
			it.Events = int(n)
		case "att":
			it.Attempts = int(n)
		case "lost":
			it.LostLeases = int(n)
		case "err":
			it.LastError = v
		case "ver":
			it.Version = n
		case "lease":
			it.Lease = v
		}
	}
	return it
}
