package redisq

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/queue"
)

// NextDue is the due time of the earliest ready entry.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	z, err := s.rdb.ZRangeWithScores(ctx, s.ready, 0, 0).Result()
	if err != nil {
		return time.Time{}, false, wrap("next due", err)
	}
	if len(z) == 0 {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(int64(z[0].Score)), true, nil
}

// Stats reads the set sizes and the oldest first receipt in one pipeline.
func (s *Store) Stats(ctx context.Context) (queue.Stats, error) {
	var ready, leased, dead *redis.IntCmd
	var oldest *redis.ZSliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		ready = p.ZCard(ctx, s.ready)
		leased = p.ZCard(ctx, s.leased)
		dead = p.ZCard(ctx, s.dead)
		oldest = p.ZRangeWithScores(ctx, s.age, 0, 0)
		return nil
	})
	if err != nil {
		return queue.Stats{}, wrap("stats", err)
	}
	st := queue.Stats{Ready: ready.Val(), Leased: leased.Val(), Dead: dead.Val()}
	if z := oldest.Val(); len(z) > 0 {
		st.OldestReceived = time.UnixMilli(int64(z[0].Score))
	}
	return st, nil
}

// Reject records rejections (bounded: queue.Rejection.Bound) in one script: rejected input in the
// rejections stream, and each record in its key's trail, so that a lookup of the input finds it.
func (s *Store) Reject(ctx context.Context, rs ...queue.Rejection) error {
	if len(rs) == 0 {
		return nil
	}
	args := make([]any, 0, 2+12*len(rs))
	args = append(args, s.prefix, ms(s.now()))
	for _, r := range rs {
		r = r.Bound()
		args = append(args, string(r.Kind), r.Key, r.Raw, r.Body, r.Said, r.Reason, r.Region, r.Source, r.Channel,
			r.EventID, ms(r.ReceivedAt), flag(r.Number != ""))
	}
	return wrap("reject", rejectScript.Run(ctx, s.rdb, []string{s.rejections}, args...).Err())
}

// Rejections reads the newest rejections first.
func (s *Store) Rejections(ctx context.Context, limit int) ([]queue.Rejection, error) {
	msgs, err := s.rdb.XRevRangeN(ctx, s.rejections, "+", "-", int64(limit)).Result()
	if err != nil {
		return nil, wrap("rejections", err)
	}
	return decodeRejections(msgs), nil
}

// decodeRejections reads entries of the rejections stream as reject.lua writes them.
func decodeRejections(msgs []redis.XMessage) []queue.Rejection {
	out := make([]queue.Rejection, 0, len(msgs))
	for _, m := range msgs {
		str := func(k string) string { v, _ := m.Values[k].(string); return v }
		rec, _ := strconv.ParseInt(str("received"), 10, 64)
		var number string
		if k := str("key"); strings.HasPrefix(k, "+") {
			number = k // the number was valid; another field was refused
		}
		out = append(out, queue.Rejection{Number: number, Kind: queue.AuditRejected, Raw: str("raw"), Body: str("body"),
			Said: str("said"), Reason: str("reason"), Region: str("region"), Source: str("source"),
			Channel: str("channel"), EventID: str("event_id"), ReceivedAt: fromMS(rec), Key: str("key")})
	}
	return out
}
