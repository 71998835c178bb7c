package redisq

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/queue"
)

// Restoring is how `dncsync migrate-store` writes another store's content into this one, as
// pgq/restore.go does for PostgreSQL: each record at its own time (its stream id's), each entry at
// its place in line. Every step can run again: a record already here (the same kind, time, number,
// destination, action, event id and detail) is not written twice, and states, entries and event
// ids are set to what they are in the store moved from. Stream ids only grow: restore into an
// empty store, or one that only an earlier run of the same move wrote.

// restoreRecordScript writes one record: the audit stream at the record's own millisecond, the
// number's list of ids, and for a rejection (or ignored words) what reject.lua writes besides.
// KEYS[1] audit stream, KEYS[2] rejections stream, KEYS[3] rejseen, KEYS[4] rejstats
// ARGV: prefix at_ms number record_json kind, then for kind rejected/ignored: raw body said reason
// region source channel event_id received_ms hash bytes ident valid
var restoreRecordScript = redis.NewScript(`
local prefix, at, num, rec, kind = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local aid = redis.call("XADD", KEYS[1], at .. "-*", "n", num, "r", rec)
if num ~= "" then redis.call("RPUSH", prefix .. "hist:" .. num, aid) end
if kind ~= "rejected" and kind ~= "ignored" then return aid end
local recv, valid, ident = tonumber(ARGV[14]), ARGV[18] == "1", ARGV[17]
if num ~= "" then
  local skey = prefix .. "state:" .. num
  if not valid then
    redis.call("HSETNX", skey, "first", ARGV[14])
    local last = tonumber(redis.call("HGET", skey, "last") or "0")
    if recv > last then redis.call("HSET", skey, "last", ARGV[14]) end
    redis.call("HSET", skey, "st", kind)
  elseif redis.call("EXISTS", skey) == 0 then
    redis.call("HSET", skey, "st", kind)
  end
end
if kind == "rejected" and (ident == "" or redis.call("HEXISTS", KEYS[3], ident) == 0) then
  redis.call("XADD", KEYS[2], "*", "raw", ARGV[6], "body", ARGV[7], "reason", ARGV[9], "region", ARGV[10],
    "source", ARGV[11], "channel", ARGV[12], "event_id", ARGV[13], "received", ARGV[14], "said", ARGV[8], "key", num,
    "hash", ARGV[15], "bytes", ARGV[16], "aid", aid, "ident", ident)
  if ident ~= "" then redis.call("HSET", KEYS[3], ident, 1) end
  redis.call("HINCRBY", KEYS[4], "recorded", 1)
end
return aid
`)

// wire is r as the scripts write a record whole ("r").
func wire(r *queue.AuditRecord) string {
	b, _ := json.Marshal(wireRecord{K: string(r.Kind), At: ms(r.At), Raw: r.Raw, A: string(r.Action), Src: r.Source,
		Ch: r.Channel, Rsn: r.Reason, Scp: r.Scope, ID: r.EventID, Rg: r.Region, Occ: ms(r.OccurredAt),
		Recv: ms(r.ReceivedAt), Exp: ms(r.ExpiresAt), D: r.Detail, Dst: r.Destination, Rep: r.Repeats,
		CC: r.ConsentChannel, Pu: r.Purpose, Po: r.Policy})
	return string(b)
}

// RestoreRecords writes recs in order with their own times and returns how many it wrote; the
// others were here already.
func (s *Store) RestoreRecords(ctx context.Context, recs []queue.Moved) (int, error) {
	// Moved into an empty store, the records come first: it is in this release's layout.
	if err := layoutScript.Run(ctx, s.rdb, nil, s.prefix).Err(); err != nil && err != redis.Nil {
		return 0, wrap("restore records", err)
	}
	have, err := s.restoredKeys(ctx, recs)
	if err != nil {
		return 0, wrap("restore records", err)
	}
	wrote := 0
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, m := range recs {
			r := m.Record
			if m.Present(have, queue.RestoreKey(&r)) {
				continue
			}
			wrote++
			args := []any{s.prefix, ms(r.At), r.Number, wire(&r), string(r.Kind)}
			if r.Kind == queue.AuditRejected || r.Kind == queue.AuditIgnored {
				rej := queue.Rejection{Raw: r.Raw, Said: r.Reason, Reason: r.Detail, Region: r.Region, Source: r.Source,
					Channel: r.Channel, EventID: r.EventID, ReceivedAt: r.ReceivedAt}
				valid := strings.HasPrefix(r.Number, "+")
				if m.Rejection != nil {
					rej = *m.Rejection
					valid = rej.Number != ""
				}
				rej.Kind, rej.Key = r.Kind, r.Number
				args = append(args, rej.Raw, rej.Body, rej.Said, rej.Reason, rej.Region, rej.Source, rej.Channel,
					rej.EventID, ms(rej.ReceivedAt), rej.Hash, rej.Bytes, rej.Identity(), flag(valid))
			}
			restoreRecordScript.Eval(ctx, p, []string{s.prefix + "audit", s.rejections, s.rejSeen, s.rejStats}, args...)
		}
		return nil
	})
	if err != nil {
		return 0, wrap("restore records", err)
	}
	return wrote, nil
}

// restoredKeys counts the records already here that recs could repeat: those of their numbers'
// lists, and for records of no number those of the stream written in their span of time.
func (s *Store) restoredKeys(ctx context.Context, recs []queue.Moved) (map[string]int, error) {
	have := map[string]int{}
	add := func(msgs []redis.XMessage) error {
		for _, m := range msgs {
			r, err := streamRecord(m)
			if err != nil {
				return err
			}
			have[queue.RestoreKey(&r)]++
		}
		return nil
	}
	seen := map[string]bool{}
	var lo, hi int64 = -1, -1
	for _, m := range recs {
		n := m.Record.Number
		if n == "" {
			at := ms(m.Record.At)
			if lo < 0 || at < lo {
				lo = at
			}
			hi = max(hi, at)
			continue
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		ids, err := s.rdb.LRange(ctx, s.prefix+"hist:"+n, 0, -1).Result()
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			msgs, err := s.rdb.XRange(ctx, s.prefix+"audit", id, id).Result()
			if err != nil {
				return nil, err
			}
			if err := add(msgs); err != nil {
				return nil, err
			}
		}
	}
	if lo >= 0 {
		msgs, err := s.rdb.XRange(ctx, s.prefix+"audit", strconv.FormatInt(lo, 10), strconv.FormatInt(hi, 10)).Result()
		if err != nil {
			return nil, err
		}
		var none []redis.XMessage
		for _, m := range msgs {
			if n, _ := m.Values["n"].(string); n == "" {
				none = append(none, m)
			}
		}
		if err := add(none); err != nil {
			return nil, err
		}
	}
	return have, nil
}

func (s *Store) destNamed(name string) *destQueue {
	for _, d := range s.dests {
		if d.name == name {
			return d
		}
	}
	return nil
}

// RestoreStates sets each number's standing (first and last receipt, and what each destination
// confirmed) to what the store moved from says; the event ids the state keeps stay.
func (s *Store) RestoreStates(ctx context.Context, states []queue.NumberState) error {
	// Loaded once, called by its hash in the transaction.
	if err := restoreStateScript.Load(ctx, s.rdb).Err(); err != nil {
		return wrap("restore states", err)
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, in := range states {
			ds := in.Destinations
			if len(ds) == 0 {
				ds = map[string]queue.DestState{s.dests[0].name: {State: in.State, ConfirmedAction: in.ConfirmedAction,
					ConfirmedOccur: in.ConfirmedOccur, ConfirmedAt: in.ConfirmedAt, ConfirmedExpires: in.ConfirmedExpires,
					LastError: in.LastError}}
			}
			set := []any{"first", ms(in.FirstRequestedAt), "last", ms(in.LastEventAt)}
			for name, d := range ds {
				dq := s.destNamed(name)
				if dq == nil {
					return fmt.Errorf("%s has a state for destination %q, which is not configured here", in.Number, name)
				}
				d = queue.Restored(d, true)
				set = append(set, "st"+dq.sfx, string(d.State), "ca"+dq.sfx, string(d.ConfirmedAction),
					"cocc"+dq.sfx, ms(d.ConfirmedOccur), "cat"+dq.sfx, ms(d.ConfirmedAt), "cexp"+dq.sfx, ms(d.ConfirmedExpires),
					"err"+dq.sfx, d.LastError)
			}
			restoreStateScript.EvalSha(ctx, p, []string{s.prefix + "state:" + in.Number}, set...)
		}
		return nil
	})
	return wrap("restore states", err)
}

// itemEvent is the event an entry's value ("e") holds: what itemOf reads back with the entry's
// own fields.
func itemEvent(it queue.Item) queue.Event {
	return queue.Event{Number: it.Number, Action: it.Action, Raw: it.Raw, Source: it.Source, Channel: it.Channel,
		Reason: it.Reason, Scope: it.Scope, ConsentChannel: it.ConsentChannel, Purpose: it.Purpose, Policy: it.Policy,
		OccurredAt: it.OccurredAt, ReceivedAt: it.FirstReceivedAt, ExpiresAt: it.ExpiresAt}
}

// RestoreEntries puts entries in their destinations' queues as they are: ready at their due time,
// dead with their error, at their place in line with their attempts and lost leases; one still
// leased keeps its lease until the deadline, after which Recover returns it to ready.
func (s *Store) RestoreEntries(ctx context.Context, entries []queue.Entry) error {
	for _, e := range entries {
		if s.destNamed(e.Dest) == nil {
			return fmt.Errorf("redisq: an entry of %s is for destination %q, which is not configured here", e.Item.Number, e.Dest)
		}
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, e := range entries {
			d, it := s.destNamed(e.Dest), e.Item
			s.dropEntry(ctx, p, d, it.Number)
			ev := itemEvent(it)
			h := []any{"e", string(queue.EventCodec.Encode(&ev)), "a", string(it.Action), "occ", ms(it.OccurredAt),
				"first", ms(it.FirstReceivedAt), "last", ms(it.LastReceivedAt), "exp", ms(it.ExpiresAt), "ev", it.Events,
				"att", it.Attempts, "ver", it.Version}
			if it.LostLeases > 0 {
				h = append(h, "lost", it.LostLeases)
			}
			if it.LastError != "" {
				h = append(h, "err", it.LastError)
			}
			set := d.ready
			switch e.Status {
			case queue.EntryLeased:
				set = d.leased
				h = append(h, "lease", it.Lease)
			case queue.EntryDead:
				set = d.dead
			}
			p.HSet(ctx, d.qp+"item:"+it.Number, h...)
			p.ZAdd(ctx, set, redis.Z{Score: float64(ms(e.At)), Member: it.Number})
			if e.Status != queue.EntryDead {
				p.ZAdd(ctx, d.age, redis.Z{Score: float64(ms(it.FirstReceivedAt)), Member: it.Number})
			}
		}
		return nil
	})
	return wrap("restore entries", err)
}

func (s *Store) dropEntry(ctx context.Context, p redis.Pipeliner, d *destQueue, number string) {
	p.Del(ctx, d.qp+"item:"+number)
	for _, set := range []string{d.ready, d.leased, d.dead, d.age} {
		p.ZRem(ctx, set, number)
	}
}

// RemoveEntries takes entries out of their destinations' queues without a record: those a run of
// migrate-store finds here that the store moved from no longer holds.
func (s *Store) RemoveEntries(ctx context.Context, entries []queue.Entry) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, e := range entries {
			if d := s.destNamed(e.Dest); d != nil {
				s.dropEntry(ctx, p, d, e.Item.Number)
			}
		}
		return nil
	})
	return wrap("remove entries", err)
}

// RestoreEventIDs remembers event ids until their own expiry, in their numbers' states
// (lua/ids.lua); those expired are left out, and so are those past what a number's state keeps.
func (s *Store) RestoreEventIDs(ctx context.Context, ids []queue.EventID) error {
	now := ms(s.now())
	var keys []string
	args := []any{now}
	for _, id := range ids {
		if exp := ms(id.Expires); exp > now {
			keys = append(keys, s.prefix+"state:"+id.Number)
			args = append(args, id.ID, exp)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	return wrap("restore event ids", restoreIDsScript.Run(ctx, s.rdb, keys, args...).Err())
}

// RestoreLastConfirmed sets when destination dest last confirmed a push.
func (s *Store) RestoreLastConfirmed(ctx context.Context, dest string, at time.Time) error {
	d := s.destNamed(dest)
	if at.IsZero() || d == nil {
		return nil
	}
	return wrap("restore last confirmed", s.rdb.Set(ctx, d.qp+"lastack", ms(at), 0).Err())
}
