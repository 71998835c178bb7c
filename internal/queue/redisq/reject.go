package redisq

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/queue"
)

// Rejected input is held to queue.RejectionLimits (queue/rejections.go) by the scripts:
// reject.lua skips duplicates (the "{tag}:rejseen" hash of identities kept), skips every rejection
// while used_memory is past MaxFill of maxmemory, and sheds the oldest past the cap;
// trim_rejections.lua drops those past retention. Each entry of the "{tag}:rejections" stream
// names its audit record (aid), so that a rejection goes whole; "{tag}:rejstats" counts.

// Reject records rejections (bounded: queue.Rejection.Bound) in one script: rejected input in the
// rejections stream, and each record in its key's trail, so that a lookup of the input finds it.
func (s *Store) Reject(ctx context.Context, rs ...queue.Rejection) error {
	if len(rs) == 0 {
		return nil
	}
	args := make([]any, 0, 4+15*len(rs))
	args = append(args, s.prefix, ms(s.now()), s.rejLimits.Cap, s.rejLimits.MaxFill)
	for _, r := range rs {
		r = r.Bound()
		ident := ""
		if r.Kind == queue.AuditRejected {
			ident = r.Identity()
		}
		args = append(args, string(r.Kind), r.Key, r.Raw, r.Body, r.Said, r.Reason, r.Region, r.Source, r.Channel,
			r.EventID, ms(r.ReceivedAt), flag(r.Number != ""), r.Hash, r.Bytes, ident)
	}
	keys := []string{s.rejections, s.rejSeen, s.rejStats}
	return wrap("reject", rejectScript.Run(ctx, s.rdb, keys, args...).Err())
}

// trimRejectionsPage is how many rejections one script call looks at, so that trimming, which
// runs while the service takes webhooks, blocks Redis briefly.
const trimRejectionsPage = 500

// TrimRejections drops the rejections written before cutoff and the oldest past the cap, a page
// per script call.
func (s *Store) TrimRejections(ctx context.Context, cutoff time.Time) (int, error) {
	total := 0
	keys := []string{s.rejections, s.rejSeen, s.rejStats}
	for {
		n, err := trimRejectionsScript.Run(ctx, s.rdb, keys, s.prefix, ms(cutoff), s.rejLimits.Cap,
			trimRejectionsPage).Int()
		if err != nil {
			return total, wrap("trim rejections", err)
		}
		total += n
		if n < trimRejectionsPage {
			return total, nil
		}
	}
}

// RejectionStats reads the counters, the stream's length and the server's memory in one pipeline.
func (s *Store) RejectionStats(ctx context.Context) (queue.RejectionStats, error) {
	var kept *redis.IntCmd
	var counts *redis.MapStringStringCmd
	var info *redis.StringCmd
	node := s.node(ctx) // in a cluster, the node that holds the queue's slot: its memory counts
	_, err := node.Pipelined(ctx, func(p redis.Pipeliner) error {
		kept = p.XLen(ctx, s.rejections)
		counts = p.HGetAll(ctx, s.rejStats)
		info = p.Info(ctx, "memory")
		return nil
	})
	if err != nil && kept.Err() != nil {
		return queue.RejectionStats{}, wrap("rejection stats", err)
	}
	c := counts.Val()
	n := func(k string) int64 { v, _ := strconv.ParseInt(c[k], 10, 64); return v }
	out := queue.RejectionStats{Kept: kept.Val(), Cap: int64(s.rejLimits.Cap), Recorded: n("recorded"),
		Duplicates: n("duplicates"), Shed: n("shed"), Skipped: n("skipped"), Fill: -1}
	if used, limit := infoInt(info.Val(), "used_memory"), infoInt(info.Val(), "maxmemory"); limit > 0 {
		out.Fill = float64(used) / float64(limit)
	}
	return out, nil
}

// infoInt is the integer field name of an INFO answer; 0 when it has none.
func infoInt(info, name string) int64 {
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// Rejections reads the newest rejections first.
func (s *Store) Rejections(ctx context.Context, limit int) ([]queue.Rejection, error) {
	msgs, err := s.rdb.XRevRangeN(ctx, s.rejections, "+", "-", int64(limit)).Result()
	if err != nil {
		return nil, wrap("rejections", err)
	}
	return decodeRejections(msgs), nil
}

// decodeRejections reads entries of the rejections stream as reject.lua writes them, and as
// builds before the limits did (no hash, no bytes, a body of up to 4 KiB).
func decodeRejections(msgs []redis.XMessage) []queue.Rejection {
	out := make([]queue.Rejection, 0, len(msgs))
	for _, m := range msgs {
		str := func(k string) string { v, _ := m.Values[k].(string); return v }
		rec, _ := strconv.ParseInt(str("received"), 10, 64)
		size, _ := strconv.Atoi(str("bytes"))
		var number string
		if k := str("key"); strings.HasPrefix(k, "+") {
			number = k // the number was valid; another field was refused
		}
		out = append(out, queue.Rejection{Number: number, Kind: queue.AuditRejected, Raw: str("raw"), Body: str("body"),
			Said: str("said"), Reason: str("reason"), Region: str("region"), Source: str("source"),
			Channel: str("channel"), EventID: str("event_id"), ReceivedAt: fromMS(rec), Key: str("key"),
			Hash: str("hash"), Bytes: size})
	}
	return out
}
