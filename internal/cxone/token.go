package cxone

import (
	"context"

	"github.com/dncsync/dncsync/internal/destination"
)

// The token cache is shared by every destination that logs in with OAuth; these names keep the
// CXone code reading as it did.
type (
	Token      = destination.Token
	TokenCache = destination.TokenCache
)

// NewTokenCache wraps fetch, which asks the token endpoint for a new token.
func NewTokenCache(fetch func(ctx context.Context) (Token, error)) *TokenCache {
	return destination.NewTokenCache(fetch)
}
