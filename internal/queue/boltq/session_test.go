package boltq

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue/queuetest"
	bolt "go.etcd.io/bbolt"
)

func TestSessions(t *testing.T) {
	queuetest.RunSessions(t, opener())
}

// TestRevokedSessionsAreSwept: records whose time has passed read as not revoked and go with the
// next revocation, so sign-outs do not pile up in the file.
func TestRevokedSessionsAreSwept(t *testing.T) {
	now := time.Now()
	s, err := Open(filepath.Join(t.TempDir(), "q.db"), Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		if err := s.RevokeSession(ctx, id, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(2 * time.Hour)
	if r, err := s.SessionRevoked(ctx, "a"); err != nil || r {
		t.Fatalf("a revocation past its time: %v %v", r, err)
	}
	if err := s.RevokeSession(ctx, "c", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := s.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bSessions).Stats().KeyN; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d revocations kept, want 1 (a and b swept)", n)
	}
}
