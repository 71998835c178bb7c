package destination

import (
	"context"
	"sync"
	"time"
)

// Token is an access token and when it stops working.
type Token struct {
	Value   string
	Expires time.Time
	TTL     time.Duration // lifetime as issued, to size the refresh margin
	IDToken string        // the OpenID id_token that came with it, if any
}

// TokenCache reuses a token until shortly before it expires, with one refresh in flight shared by
// every caller, and drops it when the API answers 401.
type TokenCache struct {
	fetch   func(ctx context.Context) (Token, error)
	now     func() time.Time
	timeout time.Duration

	mu       sync.Mutex
	tok      Token
	inflight *refresh
}

type refresh struct {
	done chan struct{}
	tok  Token
	err  error
}

// NewTokenCache wraps fetch, which asks the token endpoint for a new token.
func NewTokenCache(fetch func(ctx context.Context) (Token, error)) *TokenCache {
	return &TokenCache{fetch: fetch, now: time.Now, timeout: 30 * time.Second}
}

// margin is how long before expiry a token is replaced: 60 s, but never more than a fifth of its
// life, so that a short-lived token is not refreshed on every call.
func margin(ttl time.Duration) time.Duration {
	return min(time.Minute, ttl/5)
}

// Get returns a usable token, fetching one if needed.
func (c *TokenCache) Get(ctx context.Context) (string, error) {
	t, err := c.Token(ctx)
	return t.Value, err
}

// Token is Get with the whole token (its id_token too).
func (c *TokenCache) Token(ctx context.Context) (Token, error) {
	c.mu.Lock()
	if c.tok.Value != "" && c.now().Before(c.tok.Expires.Add(-margin(c.tok.TTL))) {
		t := c.tok
		c.mu.Unlock()
		return t, nil
	}
	r := c.inflight
	if r == nil {
		r = &refresh{done: make(chan struct{})}
		c.inflight = r
		// The refresh outlives any one caller's context: others wait on it too.
		go c.run(r)
	}
	c.mu.Unlock()
	select {
	case <-r.done:
		return r.tok, r.err
	case <-ctx.Done():
		return Token{}, ctx.Err()
	}
}

func (c *TokenCache) run(r *refresh) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	r.tok, r.err = c.fetch(ctx)
	c.mu.Lock()
	if r.err == nil {
		c.tok = r.tok
	}
	c.inflight = nil
	c.mu.Unlock()
	close(r.done)
}

// Invalidate drops value if it is still the cached token (a 401 said it no longer works). Comparing
// keeps a late 401 on an old token from dropping a fresh one.
func (c *TokenCache) Invalidate(value string) {
	c.mu.Lock()
	if c.tok.Value == value {
		c.tok = Token{}
	}
	c.mu.Unlock()
}
