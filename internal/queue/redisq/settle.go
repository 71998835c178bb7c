package redisq

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// Ack removes confirmed entries; see ack.lua for entries that changed in flight.
func (s *Store) Ack(ctx context.Context, items []queue.Item) error {
	// One script call per lease token: a batch normally shares one.
	byLease := map[string][]any{}
	for _, it := range items {
		byLease[it.Lease] = append(byLease[it.Lease], it.Number, strconv.FormatInt(it.Version, 10),
			string(it.Action), ms(it.OccurredAt), ms(it.ExpiresAt), it.ConsentChannel, it.Purpose, it.Policy, it.Scope)
	}
	now := ms(s.now())
	for tok, quads := range byLease {
		args := append(s.args(tok, now), quads...)
		if err := ackScript.Run(ctx, s.rdb, []string{s.ready, s.leased, s.age}, args...).Err(); err != nil {
			return wrap("ack", err)
		}
	}
	return nil
}

// Retry returns a leased entry to ready at now+delay, spending an attempt.
func (s *Store) Retry(ctx context.Context, it queue.Item, delay time.Duration, errMsg string) error {
	return s.requeue(ctx, "retry", it, delay, errMsg)
}

// Snooze returns a leased entry to ready at now+delay without spending an attempt.
func (s *Store) Snooze(ctx context.Context, it queue.Item, delay time.Duration, errMsg string) error {
	return s.requeue(ctx, "snooze", it, delay, errMsg)
}

// requeue runs retry.lua; op ("retry" or "snooze") names the transition in the script too.
func (s *Store) requeue(ctx context.Context, op string, it queue.Item, delay time.Duration, errMsg string) error {
	now := s.now()
	err := retryScript.Run(ctx, s.rdb, []string{s.ready, s.leased},
		s.args(it.Lease, it.Number, ms(now.Add(delay)), errMsg, op, ms(now), it.Version, string(it.Action))...).Err()
	return wrap(op, err)
}

// DeadLetter moves a leased entry to the dead-letter set.
func (s *Store) DeadLetter(ctx context.Context, it queue.Item, errMsg string) error {
	err := deadScript.Run(ctx, s.rdb, []string{s.leased, s.dead, s.age, s.ready},
		s.args(it.Lease, it.Number, ms(s.now()), errMsg, it.Version, string(it.Action))...).Err()
	return wrap("dead-letter", err)
}

// recoverBatch bounds one script call so a large backlog of expired leases does not block Redis.
const recoverBatch = 500

// Recover returns expired leases to ready at their place in line, or to dead once they lost maxLost.
func (s *Store) Recover(ctx context.Context, maxLost int) (int, error) {
	if maxLost < 1 {
		return 0, fmt.Errorf("redisq: recover: maxLost %d, want at least 1", maxLost)
	}
	total := 0
	for {
		n, err := recoverScript.Run(ctx, s.rdb, []string{s.ready, s.leased, s.dead, s.age},
			s.args(ms(s.now()), recoverBatch, maxLost)...).Int()
		if err != nil {
			return total, wrap("recover", err)
		}
		total += n
		if n < recoverBatch {
			return total, nil
		}
	}
}

// Extend moves the deadline of the leases still held to now+lease, in one script call.
func (s *Store) Extend(ctx context.Context, items []queue.Item, lease time.Duration) (int, error) {
	if len(items) == 0 {
		return 0, nil
	}
	args := s.args(ms(s.now().Add(lease)))
	for _, it := range items {
		args = append(args, it.Number, it.Lease)
	}
	n, err := extendScript.Run(ctx, s.rdb, []string{s.leased}, args...).Int()
	return n, wrap("extend", err)
}

// Redrive returns up to max dead entries to ready with fresh attempts.
func (s *Store) Redrive(ctx context.Context, max int) (int, error) {
	n, err := redriveScript.Run(ctx, s.rdb, []string{s.dead, s.ready, s.age}, s.args(ms(s.now()), max)...).Int()
	return n, wrap("redrive", err)
}
