package destination

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestTokenCacheSharesOneRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		release := make(chan struct{})
		c := NewTokenCache(func(ctx context.Context) (Token, error) {
			calls.Add(1)
			<-release
			return Token{Value: "t1", Expires: time.Now().Add(time.Hour), TTL: time.Hour}, nil
		})
		var wg sync.WaitGroup
		got := make([]string, 20)
		for i := range got {
			wg.Go(func() { got[i], _ = c.Get(context.Background()) })
		}
		synctest.Wait() // every caller waits: on the refresh, or on the one that does it
		close(release)
		wg.Wait()
		if calls.Load() != 1 {
			t.Fatalf("%d concurrent refreshes, want 1", calls.Load())
		}
		for _, g := range got {
			if g != "t1" {
				t.Fatalf("caller got %q", g)
			}
		}
		if v, _ := c.Get(context.Background()); v != "t1" || calls.Load() != 1 {
			t.Fatal("a fresh token was not reused")
		}
	})
}

func TestTokenCacheMarginForShortTokens(t *testing.T) {
	now := time.Unix(1000, 0)
	var calls atomic.Int32
	c := NewTokenCache(func(ctx context.Context) (Token, error) {
		calls.Add(1)
		return Token{Value: "t", Expires: now.Add(30 * time.Second), TTL: 30 * time.Second}, nil
	})
	c.now = func() time.Time { return now }
	c.Get(context.Background())
	c.now = func() time.Time { return now.Add(20 * time.Second) } // 10 s left of 30: still usable
	c.Get(context.Background())
	if calls.Load() != 1 {
		t.Fatalf("a 30 s token was refreshed after 20 s (%d fetches): a fixed 60 s margin", calls.Load())
	}
	c.now = func() time.Time { return now.Add(25 * time.Second) } // inside the 6 s margin
	c.Get(context.Background())
	if calls.Load() != 2 {
		t.Fatalf("token not refreshed inside its margin (%d fetches)", calls.Load())
	}
	if margin(time.Hour) != time.Minute {
		t.Fatalf("margin for an hour-long token = %v, want 60s", margin(time.Hour))
	}
}

func TestTokenCacheInvalidate(t *testing.T) {
	n := 0
	c := NewTokenCache(func(ctx context.Context) (Token, error) {
		n++
		return Token{Value: string(rune('a' + n)), Expires: time.Now().Add(time.Hour), TTL: time.Hour}, nil
	})
	first, _ := c.Get(context.Background())
	c.Invalidate("stale-other")
	if v, _ := c.Get(context.Background()); v != first {
		t.Fatal("invalidating another token dropped the current one")
	}
	c.Invalidate(first)
	if v, _ := c.Get(context.Background()); v == first {
		t.Fatal("a token the API refused was reused")
	}
}

func TestTokenCacheErrorNotCached(t *testing.T) {
	fail := true
	c := NewTokenCache(func(ctx context.Context) (Token, error) {
		if fail {
			return Token{}, errors.New("down")
		}
		return Token{Value: "ok", Expires: time.Now().Add(time.Hour), TTL: time.Hour}, nil
	})
	if _, err := c.Get(context.Background()); err == nil {
		t.Fatal("want the fetch error")
	}
	fail = false
	if v, err := c.Get(context.Background()); err != nil || v != "ok" {
		t.Fatalf("after recovery got %q, %v", v, err)
	}
}
