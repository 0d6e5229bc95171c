package mangopay

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"
)

// refreshMargin is how long before expiry a token is replaced.
const refreshMargin = 60 * time.Second

// TokenCache holds OAuth tokens per (base URL, client id, API key) for the
// life of the process. Build one per process and share it, so warm Lambda
// invocations reuse the token. Concurrent callers wanting a new token cause
// exactly one token request.
type TokenCache struct {
	mu      sync.Mutex
	entries map[tokenKey]*tokenEntry
}

// NewTokenCache returns an empty cache.
func NewTokenCache() *TokenCache {
	return &TokenCache{entries: map[tokenKey]*tokenEntry{}}
}

// tokenKey identifies a credential set; the API key is kept only as a hash.
type tokenKey struct {
	baseURL, clientID, apiKeyHash string
}

func newTokenKey(baseURL string, c Credentials) tokenKey {
	h := sha256.Sum256([]byte(c.APIKey))
	return tokenKey{baseURL: baseURL, clientID: c.ClientID, apiKeyHash: hex.EncodeToString(h[:])}
}

// tokenEntry is one cached token. lock is a one-slot semaphore, so that
// waiting for a refresh another goroutine is doing honours the context.
type tokenEntry struct {
	lock    chan struct{}
	token   string
	expires time.Time
	fresh   time.Time // after this, refresh before use
}

// fetchFunc obtains a new token and its lifetime.
type fetchFunc func(ctx context.Context) (token string, lifetime time.Duration, err error)

func (c *TokenCache) entry(k tokenKey) *tokenEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[tokenKey]*tokenEntry{}
	}
	e, ok := c.entries[k]
	if !ok {
		e = &tokenEntry{lock: make(chan struct{}, 1)}
		c.entries[k] = e
	}
	return e
}

// get returns a usable token for k, fetching one if none is fresh.
func (c *TokenCache) get(ctx context.Context, k tokenKey, now time.Time, fetch fetchFunc) (string, error) {
	e := c.entry(k)
	select {
	case e.lock <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-e.lock }()
	if e.token != "" && now.Before(e.fresh) {
		return e.token, nil
	}
	tok, life, err := fetch(ctx)
	if err != nil {
		return "", err
	}
	margin := refreshMargin
	if life < 2*margin {
		margin = life / 2
	}
	e.token, e.expires, e.fresh = tok, now.Add(life), now.Add(life-margin)
	return tok, nil
}

// invalidate drops the token for k if it is still stale, so the next get
// fetches a new one. Comparing with stale means a burst of 401s on one
// token forces a single refresh. It may wait for a refresh under way, which
// the HTTP client's timeout bounds.
func (c *TokenCache) invalidate(k tokenKey, stale string) {
	e := c.entry(k)
	e.lock <- struct{}{}
	defer func() { <-e.lock }()
	if e.token == stale {
		e.token = ""
	}
}
