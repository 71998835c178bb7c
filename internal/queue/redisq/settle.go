package redisq

import (
	"context"
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
			string(it.Action), ms(it.OccurredAt), ms(it.ExpiresAt))
	}
	now := ms(s.now())
	for tok, quads := range byLease {
		args := append([]any{s.prefix, tok, now}, quads...)
		if err := ackScript.Run(ctx, s.rdb, []string{s.ready, s.leased, s.age}, args...).Err(); err != nil {
			return wrap("ack", err)
		}
	}
	return nil
}

// Retry returns a leased entry to ready at now+delay.
func (s *Store) Retry(ctx context.Context, it queue.Item, delay time.Duration, errMsg string, countAttempt bool) error {
	count := "0"
	if countAttempt {
		count = "1"
	}
	err := retryScript.Run(ctx, s.rdb, []string{s.ready, s.leased},
		s.prefix, it.Lease, it.Number, ms(s.now().Add(delay)), errMsg, count, ms(s.now()), it.Version, string(it.Action)).Err()
	return wrap("retry", err)
}

// DeadLetter moves a leased entry to the dead-letter set.
func (s *Store) DeadLetter(ctx context.Context, it queue.Item, errMsg string) error {
	err := deadScript.Run(ctx, s.rdb, []string{s.leased, s.dead, s.age, s.ready},
		s.prefix, it.Lease, it.Number, ms(s.now()), errMsg, it.Version, string(it.Action)).Err()
	return wrap("dead-letter", err)
}

// recoverBatch bounds one script call so a large backlog of expired leases does not block Redis.
const recoverBatch = 500

// Recover returns expired leases to ready with backoff, or to dead when out of attempts.
func (s *Store) Recover(ctx context.Context, backoff func(int) time.Duration, maxAttempts int) (int, error) {
	args := []any{s.prefix, ms(s.now()), recoverBatch, maxAttempts}
	for a := 1; a <= maxAttempts; a++ {
		args = append(args, backoff(a).Milliseconds())
	}
	total := 0
	for {
		n, err := recoverScript.Run(ctx, s.rdb, []string{s.ready, s.leased, s.dead, s.age}, args...).Int()
		if err != nil {
			return total, wrap("recover", err)
		}
		total += n
		if n < recoverBatch {
			return total, nil
		}
	}
}

// Redrive returns up to max dead entries to ready with fresh attempts.
func (s *Store) Redrive(ctx context.Context, max int) (int, error) {
	n, err := redriveScript.Run(ctx, s.rdb, []string{s.dead, s.ready, s.age}, s.prefix, ms(s.now()), max).Int()
	return n, wrap("redrive", err)
}
