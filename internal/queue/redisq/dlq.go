package redisq

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/queue"
)

var (
	//go:embed lua/requeue.lua
	requeueSrc string
	//go:embed lua/drop.lua
	dropSrc string

	requeueScript = script(requeueSrc)
	dropScript    = script(dropSrc)
)

var _ queue.Operations = (*Store)(nil)

// DeadLetters reads the dead set, oldest dead first, and each entry's hash in one pipeline.
func (s *Store) DeadLetters(ctx context.Context, limit int) ([]queue.DeadLetter, error) {
	if limit <= 0 {
		return nil, nil
	}
	z, err := s.rdb.ZRangeWithScores(ctx, s.dead, 0, int64(limit)-1).Result()
	if err != nil {
		return nil, wrap("dead letters", err)
	}
	hs := make([]*redis.MapStringStringCmd, len(z))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, m := range z {
			hs[i] = p.HGetAll(ctx, s.d.qp+"item:"+m.Member.(string))
		}
		return nil
	})
	if err != nil {
		return nil, wrap("dead letters", err)
	}
	out := make([]queue.DeadLetter, 0, len(z))
	for i, m := range z {
		it := itemOf(hs[i].Val())
		out = append(out, queue.DeadLetter{Number: m.Member.(string), Action: it.Action, Raw: it.Raw,
			Source: it.Source, LastError: it.LastError, Attempts: it.Attempts, FirstReceivedAt: it.FirstReceivedAt,
			DeadAt: fromMS(int64(m.Score))})
	}
	return out, nil
}

// RedriveNumbers re-queues the named dead letters in one script.
func (s *Store) RedriveNumbers(ctx context.Context, numbers []string) ([]string, error) {
	if len(numbers) == 0 {
		return nil, nil
	}
	args := append(s.args(ms(s.now())), anys(numbers)...)
	out, err := requeueScript.Run(ctx, s.rdb, []string{s.dead, s.ready, s.age}, args...).StringSlice()
	return out, wrap("redrive numbers", err)
}

// DropDead drops the named dead letters in one script, with the reason in each audit record.
func (s *Store) DropDead(ctx context.Context, numbers []string, reason string) ([]string, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, fmt.Errorf("redisq: drop: %w", queue.ErrNoReason)
	}
	if len(numbers) == 0 {
		return nil, nil
	}
	args := append(s.args(ms(s.now()), reason), anys(numbers)...)
	out, err := dropScript.Run(ctx, s.rdb, []string{s.dead}, args...).StringSlice()
	return out, wrap("drop", err)
}

// RejectionsSince pages backwards through the rejections stream (write order, which is arrival
// order) and stops at the first rejection received before since, as boltq does.
func (s *Store) RejectionsSince(ctx context.Context, since time.Time, limit int) ([]queue.Rejection, error) {
	var out []queue.Rejection
	end := "+"
	for len(out) < limit {
		page := min(limit-len(out), 1000)
		msgs, err := s.rdb.XRevRangeN(ctx, s.rejections, end, "-", int64(page)).Result()
		if err != nil {
			return nil, wrap("rejections since", err)
		}
		for _, r := range decodeRejections(msgs) {
			if !since.IsZero() && ms(r.ReceivedAt) < ms(since) {
				return out, nil
			}
			out = append(out, r)
		}
		if len(msgs) < page {
			break
		}
		end = "(" + msgs[len(msgs)-1].ID
	}
	return out, nil
}

// LastConfirmed reads the time ack.lua writes with every confirmation.
func (s *Store) LastConfirmed(ctx context.Context) (time.Time, error) {
	v, err := s.rdb.Get(ctx, s.d.qp+"lastack").Int64()
	if err == redis.Nil {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, wrap("last confirmed", err)
	}
	return fromMS(v), nil
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
