package redisq

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/queue"
)

var _ queue.Sessions = (*Store)(nil)

// sessionKey is a revoked session's key; Redis deletes it when its time has passed.
func (s *Store) sessionKey(id string) string { return s.prefix + "session:" + id }

// RevokeSession records id as ended until until (the key expires then).
func (s *Store) RevokeSession(ctx context.Context, id string, until time.Time) error {
	if !until.After(s.now()) {
		return nil
	}
	return wrap("revoke session", s.rdb.SetArgs(ctx, s.sessionKey(id), "1", redis.SetArgs{ExpireAt: until}).Err())
}

// SessionRevoked reports whether id was revoked and its record has not expired.
func (s *Store) SessionRevoked(ctx context.Context, id string) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.sessionKey(id)).Result()
	if err != nil {
		return false, wrap("session revoked", err)
	}
	return n == 1, nil
}
