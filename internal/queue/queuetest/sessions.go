package queuetest

import (
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// RunSessions runs the sessions part of the suite: a revoked session stays revoked, for every handle
// on the store (another replica, or the store reopened), until its time has passed. The store the
// Opener returns must also be a queue.Sessions.
func RunSessions(t *testing.T, o Opener) {
	b := setup(t, o)
	s, ok := b.q.(queue.Sessions)
	if !ok {
		t.Fatalf("%T does not implement queue.Sessions", b.q)
	}
	revoked := func(s queue.Sessions, id string) bool {
		t.Helper()
		r, err := s.SessionRevoked(b.ctx, id)
		if err != nil {
			t.Fatalf("SessionRevoked(%s): %v", id, err)
		}
		return r
	}
	if revoked(s, "a") {
		t.Fatal("a session never revoked reads as revoked")
	}
	if err := s.RevokeSession(b.ctx, "a", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(b.ctx, "past", time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if !revoked(s, "a") || revoked(s, "b") || revoked(s, "past") {
		t.Fatalf("after revoking a (for an hour) and past (until a second ago): a %v, b %v, past %v; want true, false, false",
			revoked(s, "a"), revoked(s, "b"), revoked(s, "past"))
	}
	if o.Reopen {
		b.q.Close()
		again, ok := b.reopen().(queue.Sessions)
		if !ok || !revoked(again, "a") {
			t.Fatal("the revocation is gone after reopening the store")
		}
	}
}
