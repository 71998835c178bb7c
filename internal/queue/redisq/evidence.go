package redisq

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/queue"
)

var _ queue.Evidence = (*Store)(nil)

// wireRecord is an audit record as the Lua prelude writes it: short keys, times in Unix ms. Records
// of events were written so before the one value (enqueue.lua), and are still read.
type wireRecord struct {
	K    string `json:"k"`
	At   int64  `json:"at"`
	Raw  string `json:"raw"`
	A    string `json:"a"`
	Src  string `json:"src"`
	Ch   string `json:"ch"`
	Rsn  string `json:"rsn"`
	Scp  string `json:"scp"`
	ID   string `json:"id"`
	Rg   string `json:"rg"`
	Occ  int64  `json:"occ"`
	Recv int64  `json:"recv"`
	Exp  int64  `json:"exp"`
	D    string `json:"d"`
	Dst  string `json:"dst"`
	Rep  int    `json:"rep"`
	CC   string `json:"cc"`
	Pu   string `json:"pu"`
	Po   string `json:"po"`
}

func decodeRecord(number, raw string) (queue.AuditRecord, error) {
	var w wireRecord
	if err := json.Unmarshal([]byte(raw), &w); err != nil {
		return queue.AuditRecord{}, fmt.Errorf("redisq: audit record of %s: %w", number, err)
	}
	return queue.AuditRecord{Kind: queue.AuditKind(w.K), Number: number, At: fromMS(w.At), Raw: w.Raw,
		Action: queue.Action(w.A), Source: w.Src, Channel: w.Ch, Reason: w.Rsn, Scope: w.Scp, EventID: w.ID,
		Region: w.Rg, OccurredAt: fromMS(w.Occ), ReceivedAt: fromMS(w.Recv), ExpiresAt: fromMS(w.Exp), Detail: w.D,
		Destination: w.Dst, Repeats: w.Rep, ConsentChannel: w.CC, Purpose: w.Pu, Policy: w.Po}, nil
}

// streamRecord reads an entry of the audit stream: an event's record (enqueue.lua: its value "e",
// with the kind and time the script decided), or a record the scripts wrote whole ("r").
func streamRecord(m redis.XMessage) (queue.AuditRecord, error) {
	n, _ := m.Values["n"].(string)
	if e, ok := m.Values["e"].(string); ok {
		var ev queue.Event
		if err := queue.EventCodec.Decode([]byte(e), &ev); err != nil {
			return queue.AuditRecord{}, fmt.Errorf("redisq: audit record of %s: %w", n, err)
		}
		k, _ := m.Values["k"].(string)
		at, _ := m.Values["at"].(string)
		atms, _ := strconv.ParseInt(at, 10, 64)
		r := queue.Received(ev, fromMS(atms))
		r.Kind, r.Number = queue.AuditKind(k), n
		return r, nil
	}
	r, _ := m.Values["r"].(string)
	return decodeRecord(n, r)
}

// Lookup reads a number's state hash, whether it is queued, and one page of its trail.
func (s *Store) Lookup(ctx context.Context, number string, page queue.Page) (queue.History, bool, error) {
	hist := s.prefix + "hist:" + number
	size := int64(page.Size())
	// The page ends before the record the cursor names, found by its place in the number's list of
	// ids (ids only join at the end; trimming removes old ones, never one a recent page names).
	before := int64(-1) // no cursor: the page ends with the newest record
	if page.Before != "" {
		pos, err := s.rdb.LPos(ctx, hist, page.Before, redis.LPosArgs{}).Result()
		if err == redis.Nil {
			return queue.History{}, false, queue.ErrBadCursor
		}
		if err != nil {
			return queue.History{}, false, wrap("lookup", err)
		}
		before = pos
	}
	var sr stateRead
	var total *redis.IntCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		sr = s.readState(ctx, p, number)
		total = p.LLen(ctx, hist)
		return nil
	})
	if err != nil && err != redis.Nil {
		return queue.History{}, false, wrap("lookup", err)
	}
	if !sr.found() {
		return queue.History{}, false, nil
	}
	if before < 0 {
		before = total.Val()
	}
	start := max(before-size, 0)
	var idv []string
	if before > start {
		if idv, err = s.rdb.LRange(ctx, hist, start, before-1).Result(); err != nil {
			return queue.History{}, false, wrap("lookup", err)
		}
	}
	out := queue.History{State: s.decodeState(number, sr).At(s.now())}
	if start > 0 && len(idv) > 0 {
		out.Older = idv[0]
	}
	out.Records, err = s.records(ctx, number, idv)
	return out, true, err
}

// stateRead is a number's state hash and, per destination, whether it has an entry and whether
// that entry is dead, read in one pipeline.
type stateRead struct {
	h      *redis.MapStringStringCmd
	queued []*redis.IntCmd
	dead   []*redis.FloatCmd
}

func (s *Store) readState(ctx context.Context, p redis.Pipeliner, number string) stateRead {
	r := stateRead{h: p.HGetAll(ctx, s.prefix+"state:"+number)}
	for _, d := range s.dests {
		r.queued = append(r.queued, p.Exists(ctx, d.qp+"item:"+number))
		r.dead = append(r.dead, p.ZScore(ctx, d.dead, number))
	}
	return r
}

func (r stateRead) found() bool {
	if len(r.h.Val()) > 0 {
		return true
	}
	for _, q := range r.queued {
		if q.Val() == 1 {
			return true
		}
	}
	return false
}

// decodeState reads a state hash; a queue entry overrides a destination's stored state (pending or
// dead). The top-level Confirmed fields are the primary destination's; with more than one
// destination, each one that knows the number is in Destinations (At makes State their worst).
func (s *Store) decodeState(number string, r stateRead) queue.NumberState {
	h := r.h.Val()
	num := func(k string) time.Time { v, _ := strconv.ParseInt(h[k], 10, 64); return fromMS(v) }
	st := queue.NumberState{Number: number, FirstRequestedAt: num("first"), LastEventAt: num("last")}
	for i, d := range s.dests {
		ds := queue.DestState{State: queue.State(h["st"+d.sfx]), ConfirmedAction: queue.Action(h["ca"+d.sfx]),
			ConfirmedOccur: num("cocc" + d.sfx), ConfirmedAt: num("cat" + d.sfx), ConfirmedExpires: num("cexp" + d.sfx),
			LastError: h["err"+d.sfx]}
		switch {
		case r.dead[i].Err() == nil:
			ds.State = queue.StateDead
		case r.queued[i].Val() == 1:
			ds.State = queue.StatePending
		}
		if i == 0 {
			st.State, st.ConfirmedAction, st.ConfirmedOccur = ds.State, ds.ConfirmedAction, ds.ConfirmedOccur
			st.ConfirmedAt, st.ConfirmedExpires, st.LastError = ds.ConfirmedAt, ds.ConfirmedExpires, ds.LastError
		}
		if len(s.dests) > 1 && ds.State != "" && ds.State != queue.StateRejected && ds.State != queue.StateIgnored {
			if st.Destinations == nil {
				st.Destinations = map[string]queue.DestState{}
			}
			st.Destinations[d.name] = ds
		}
	}
	return st
}

// States scans every number's state hash (not rejection keys), a page of keys at a time.
func (s *Store) States(ctx context.Context, fn func(queue.NumberState) error) error {
	prefix := s.prefix + "state:"
	iter := s.node(ctx).Scan(ctx, 0, prefix+"+*", 1000).Iterator()
	var page []string
	flush := func() error {
		rs := make([]stateRead, len(page))
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range page {
				rs[i] = s.readState(ctx, p, k[len(prefix):])
			}
			return nil
		})
		if err != nil && err != redis.Nil {
			return wrap("states", err)
		}
		for i, k := range page {
			st := s.decodeState(k[len(prefix):], rs[i])
			if err := fn(st.At(s.now())); err != nil {
				return err
			}
		}
		page = page[:0]
		return nil
	}
	for iter.Next(ctx) {
		page = append(page, iter.Val())
		if len(page) == 500 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return wrap("states", err)
	}
	return flush()
}

// records reads stream entries by id, in one pipeline.
func (s *Store) records(ctx context.Context, number string, ids []string) ([]queue.AuditRecord, error) {
	cmds := make([]*redis.XMessageSliceCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.XRange(ctx, s.prefix+"audit", id, id)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("lookup trail", err)
	}
	out := make([]queue.AuditRecord, 0, len(ids))
	for _, c := range cmds {
		for _, m := range c.Val() {
			r, err := streamRecord(m)
			if err != nil {
				return nil, err
			}
			if r.Number == "" {
				r.Number = number
			}
			out = append(out, r)
		}
	}
	return out, nil
}

const exportPage = 1000

// Export pages through the audit stream, whose ids are the write times.
func (s *Store) Export(ctx context.Context, since, until time.Time, fn func(queue.AuditRecord) error) error {
	start, end := "-", "+"
	if !since.IsZero() {
		start = strconv.FormatInt(since.UnixMilli(), 10) + "-0"
	}
	if !until.IsZero() {
		end = "(" + strconv.FormatInt(until.UnixMilli(), 10) + "-0"
	}
	for {
		msgs, err := s.rdb.XRangeN(ctx, s.prefix+"audit", start, end, exportPage).Result()
		if err != nil {
			return wrap("export", err)
		}
		for _, m := range msgs {
			r, err := streamRecord(m)
			if err != nil {
				return err
			}
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(msgs) < exportPage {
			return nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}

// TrimAudit removes records older than cutoff page by page, keeping each number's newest.
func (s *Store) TrimAudit(ctx context.Context, cutoff time.Time) (int, error) {
	start, end := "-", "("+strconv.FormatInt(cutoff.UnixMilli(), 10)+"-0"
	total := 0
	for {
		res, err := trimScript.Run(ctx, s.rdb, []string{s.prefix + "audit"}, s.prefix, start, end, exportPage).Slice()
		if err != nil {
			return total, wrap("trim audit", err)
		}
		n, _ := res[0].(int64)
		last, _ := res[1].(string)
		total += int(n)
		if last == "" {
			return total, nil
		}
		start = "(" + last
	}
}
