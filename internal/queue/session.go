package queue

import (
	"context"
	"time"
)

// Sessions keeps the ended sessions of the status page where every replica on the store sees them.
// A session is a signed id with an expiry (the console's cookie): valid until it expires unless it
// was revoked here. Both stores implement it (queuetest.RunSessions).
type Sessions interface {
	// RevokeSession records that session id has ended. The record may go once until has passed:
	// the session has expired by then anyway. An until already past records nothing.
	RevokeSession(ctx context.Context, id string, until time.Time) error
	// SessionRevoked reports whether id was revoked.
	SessionRevoked(ctx context.Context, id string) (bool, error)
}
