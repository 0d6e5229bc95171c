package mangopay

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxBody bounds how much of a response is read (KYC bodies are the largest).
const maxBody = 16 << 20

// userAgent identifies this client to Mangopay.
const userAgent = "lambda-mangopay/1 (Go)"

// HTTPBackend is the Backend that talks HTTP to Mangopay. It owns the OAuth
// token, the retry policy, idempotent-create recovery and debug logging.
type HTTPBackend struct {
	baseURL    string
	creds      CredentialSource
	http       *http.Client
	tokens     *TokenCache
	maxRetries int
	retryBase  time.Duration
	maxWait    time.Duration
	debug      bool
	log        *slog.Logger
	now        func() time.Time

	mu     sync.Mutex
	limits RateLimits
}

// NewHTTPBackend validates cfg and fills in defaults.
func NewHTTPBackend(cfg Config) (*HTTPBackend, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("mangopay: BaseURL %q must be an absolute URL such as %s", cfg.BaseURL, DefaultSandboxURL)
	}
	if cfg.Credentials == nil {
		return nil, errors.New("mangopay: Config.Credentials is required (StaticCredentials or a secret-backed source)")
	}
	b := &HTTPBackend{
		baseURL:    strings.TrimRight(cfg.BaseURL, "/"),
		creds:      cfg.Credentials,
		http:       cfg.HTTPClient,
		tokens:     cfg.Tokens,
		maxRetries: cfg.MaxRetries,
		retryBase:  cfg.RetryBase,
		maxWait:    cfg.MaxRetryWait,
		debug:      cfg.Debug,
		log:        cfg.Logger,
		now:        cfg.Now,
	}
	b.fillDefaults()
	return b, nil
}

func (b *HTTPBackend) fillDefaults() {
	if b.http == nil {
		b.http = &http.Client{
			Timeout: 30 * time.Second,
			Transport: &http.Transport{
				Proxy:               http.ProxyFromEnvironment,
				DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
				TLSHandshakeTimeout: 5 * time.Second,
				MaxIdleConnsPerHost: 16,
				IdleConnTimeout:     90 * time.Second,
			},
		}
	}
	if b.tokens == nil {
		b.tokens = NewTokenCache()
	}
	switch {
	case b.maxRetries == 0:
		b.maxRetries = 3
	case b.maxRetries < 0:
		b.maxRetries = 0
	}
	if b.retryBase <= 0 {
		b.retryBase = 200 * time.Millisecond
	}
	if b.maxWait <= 0 {
		b.maxWait = 10 * time.Second
	}
	if b.log == nil {
		b.log = slog.Default()
	}
	if b.now == nil {
		b.now = time.Now
	}
}

// RateLimits returns the windows read from the latest response.
func (b *HTTPBackend) RateLimits() RateLimits {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limits
}

func (b *HTTPBackend) setRateLimits(r RateLimits) {
	if !r.Known {
		return
	}
	b.mu.Lock()
	b.limits = r
	b.mu.Unlock()
}

// attempt is the state of one Call across its retries.
type attempt struct {
	req       *Request
	body      []byte
	retries   int
	refreshed bool // a 401 already forced one token refresh
}

// Call runs req, retrying what is safe to retry, and decodes the body into out.
func (b *HTTPBackend) Call(ctx context.Context, req *Request, out any) (*Response, error) {
	if err := checkIdempotencyKey(req.IdempotencyKey); err != nil {
		return nil, err
	}
	ctx, cancel := callContext(ctx)
	defer cancel()
	a := &attempt{req: req}
	if req.Body != nil {
		body, err := json.Marshal(req.Body)
		if err != nil {
			return nil, fmt.Errorf("mangopay: encoding %s %s: %w", req.Method, req.Path, err)
		}
		a.body = body
	}
	for {
		resp, raw, err := b.roundTrip(ctx, a)
		if err == nil {
			if req.RawBody != nil {
				*req.RawBody = append(json.RawMessage(nil), raw...)
			}
			return resp, decodeBody(raw, out)
		}
		wait, retry := b.nextStep(ctx, a, resp, err)
		if !retry {
			return resp, err
		}
		if werr := sleep(ctx, wait); werr != nil {
			return resp, fmt.Errorf("%w (stopped retrying: %w)", err, werr)
		}
	}
}

// roundTrip sends one attempt. A 409 idempotency conflict is turned into the
// original answer here.
func (b *HTTPBackend) roundTrip(ctx context.Context, a *attempt) (*Response, []byte, error) {
	creds, token, err := b.token(ctx)
	if err != nil {
		return nil, nil, err
	}
	resp, raw, err := b.send(ctx, creds, token, a.req, a.body)
	if err != nil {
		return resp, nil, err
	}
	if resp.StatusCode/100 == 2 {
		return resp, raw, nil
	}
	apiErr := DecodeError(resp.StatusCode, raw)
	if resp.StatusCode == http.StatusConflict && apiErr.Type == TypeIdempotentCreationConflict && a.req.IdempotencyKey != "" {
		return b.recover(ctx, creds, token, a.req.IdempotencyKey)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		// A PendingUserAction challenge asks for the user's SCA: our token
		// is fine, so it is kept, and the answer is final (see retryable).
		if redirect, ok := pendingUserAction(resp.Header); ok {
			return resp, nil, &SCARequiredError{StatusCode: resp.StatusCode, RedirectURL: redirect}
		}
		b.tokens.invalidate(newTokenKey(b.baseURL, creds), token)
	}
	return resp, nil, apiErr
}

// nextStep decides whether a failed attempt is retried and after how long.
func (b *HTTPBackend) nextStep(ctx context.Context, a *attempt, resp *Response, err error) (time.Duration, bool) {
	var apiErr *Error
	isAPI := errors.As(err, &apiErr)
	if isAPI && apiErr.StatusCode == http.StatusUnauthorized && apiErr.Type == TypeInvalidCredentials && !a.refreshed {
		a.refreshed = true // one forced refresh and one retry, not counted as a retry
		return 0, true
	}
	if !retryable(a.req, err) || a.retries >= b.maxRetries {
		return 0, false
	}
	wait := b.backoff(a.retries)
	if isAPI && apiErr.StatusCode == http.StatusTooManyRequests && resp != nil {
		if w, ok := resetWait(resp.RateLimits, b.now()); ok {
			wait = w
		}
	}
	if wait > b.maxWait {
		return 0, false
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= wait {
		return 0, false
	}
	a.retries++
	b.log.WarnContext(ctx, "mangopay retry", "method", a.req.Method, "path", a.req.Path, "attempt", a.retries, "wait_ms", wait.Milliseconds(), "error", err.Error())
	return wait, true
}

// retryable: 429, 5xx and network errors, for GETs and keyed writes (never
// a request for the user's SCA, which only the user can pass). A
// write without an idempotency key is never retried once sent, since it may
// have executed; a failure to get a token means nothing was sent.
func retryable(req *Request, err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || IsSCARequired(err) {
		return false
	}
	var tokErr *tokenError
	sent := !errors.As(err, &tokErr)
	if sent && req.Method != http.MethodGet && req.IdempotencyKey == "" {
		return false
	}
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode == http.StatusTooManyRequests || apiErr.StatusCode >= 500
	}
	return true
}

// backoff is exponential with full jitter.
func (b *HTTPBackend) backoff(retry int) time.Duration {
	d := b.retryBase << retry
	if d <= 0 || d > b.maxWait {
		d = b.maxWait
	}
	return time.Duration(rand.Int64N(int64(d)) + 1)
}

// resetWait is how long until the exhausted rate-limit window resets.
func resetWait(r RateLimits, now time.Time) (time.Duration, bool) {
	if !r.Known {
		return 0, false
	}
	var best time.Duration
	found := false
	for _, w := range r.Windows {
		if w.Remaining > 0 || w.Reset.IsZero() {
			continue
		}
		if d := w.Reset.Sub(now); d > best {
			best, found = d, true
		}
	}
	return best, found && best > 0
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// send performs one HTTP exchange against /v2.01/{ClientId}{path}.
func (b *HTTPBackend) send(ctx context.Context, creds Credentials, token string, req *Request, body []byte) (*Response, []byte, error) {
	u := b.baseURL + "/v2.01/" + url.PathEscape(creds.ClientID) + req.Path
	if len(req.Query) > 0 {
		u += "?" + req.Query.Encode()
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, u, bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("mangopay: building %s %s: %w", req.Method, req.Path, err)
	}
	hr.Header.Set("Authorization", "Bearer "+token)
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", userAgent)
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if req.IdempotencyKey != "" {
		hr.Header.Set("Idempotency-Key", req.IdempotencyKey)
	}
	return b.exchange(ctx, hr, req.Path, body)
}

// exchange does the HTTP round trip, reads the body and the headers we track.
func (b *HTTPBackend) exchange(ctx context.Context, hr *http.Request, path string, reqBody []byte) (*Response, []byte, error) {
	start := time.Now()
	hres, err := b.http.Do(hr)
	if err != nil {
		b.debugLog(ctx, hr.Method, path, 0, start, reqBody, nil)
		return nil, nil, fmt.Errorf("mangopay: %s %s: %w", hr.Method, path, err)
	}
	defer hres.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(hres.Body, maxBody))
	if err != nil {
		return nil, nil, fmt.Errorf("mangopay: reading %s %s response: %w", hr.Method, path, err)
	}
	resp := &Response{StatusCode: hres.StatusCode, Header: hres.Header, RateLimits: ParseRateLimits(hres.Header)}
	resp.TotalItems, _ = strconv.Atoi(hres.Header.Get("X-Number-Of-Items"))
	resp.TotalPages, _ = strconv.Atoi(hres.Header.Get("X-Number-Of-Pages"))
	b.setRateLimits(resp.RateLimits)
	b.debugLog(ctx, hr.Method, path, hres.StatusCode, start, reqBody, raw)
	return resp, raw, nil
}

// recover reads back the original answer to a create whose key was already
// used, exactly as if the first call had answered.
func (b *HTTPBackend) recover(ctx context.Context, creds Credentials, token, key string) (*Response, []byte, error) {
	get := &Request{Method: http.MethodGet, Path: "/responses/" + url.PathEscape(key)}
	resp, raw, err := b.send(ctx, creds, token, get, nil)
	if err != nil {
		return resp, nil, err
	}
	if resp.StatusCode/100 != 2 {
		return resp, nil, DecodeError(resp.StatusCode, raw)
	}
	var w IdempotencyResponse
	if err := json.Unmarshal(raw, &w); err != nil {
		return resp, nil, fmt.Errorf("mangopay: decoding GET /responses/%s: %w", key, err)
	}
	status := w.Status()
	recovered := &Response{StatusCode: status, Header: resp.Header, RateLimits: resp.RateLimits, Recovered: true}
	if status/100 != 2 {
		return recovered, nil, DecodeError(status, w.Resource)
	}
	return recovered, w.Resource, nil
}

func decodeBody(raw []byte, out any) error {
	if out == nil || len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("mangopay: decoding response: %w", err)
	}
	return nil
}

// tokenError is a failure of the OAuth token endpoint.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return "mangopay: getting an OAuth token: " + e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// token returns the current credentials and a token for them. When the token
// endpoint rejects the credentials, they are re-read once (rotation).
func (b *HTTPBackend) token(ctx context.Context) (Credentials, string, error) {
	creds, err := b.creds.Credentials(ctx)
	if err != nil {
		return creds, "", fmt.Errorf("mangopay: reading credentials: %w", err)
	}
	tok, err := b.tokens.get(ctx, newTokenKey(b.baseURL, creds), b.now(), b.fetchToken(creds))
	var apiErr *Error
	if err == nil || !errors.As(err, &apiErr) || (apiErr.StatusCode != 400 && apiErr.StatusCode != 401) {
		return creds, tok, wrapTokenErr(err)
	}
	if creds, err = b.creds.Refresh(ctx); err != nil {
		return creds, "", fmt.Errorf("mangopay: re-reading rejected credentials: %w", err)
	}
	tok, err = b.tokens.get(ctx, newTokenKey(b.baseURL, creds), b.now(), b.fetchToken(creds))
	return creds, tok, wrapTokenErr(err)
}

func wrapTokenErr(err error) error {
	if err == nil {
		return nil
	}
	return &tokenError{err: err}
}

// tokenAnswer is the OAuth token endpoint's success body.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// fetchToken returns a fetchFunc for one credential set.
func (b *HTTPBackend) fetchToken(creds Credentials) fetchFunc {
	return func(ctx context.Context) (string, time.Duration, error) {
		form := []byte("grant_type=client_credentials")
		hr, err := http.NewRequestWithContext(ctx, http.MethodPost, b.baseURL+"/v2.01/oauth/token", bytes.NewReader(form))
		if err != nil {
			return "", 0, err
		}
		basic := base64.StdEncoding.EncodeToString([]byte(creds.ClientID + ":" + creds.APIKey))
		hr.Header.Set("Authorization", "Basic "+basic)
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		hr.Header.Set("User-Agent", userAgent)
		resp, raw, err := b.exchange(ctx, hr, "/oauth/token", nil)
		if err != nil {
			return "", 0, err
		}
		if resp.StatusCode != http.StatusOK {
			return "", 0, DecodeError(resp.StatusCode, raw)
		}
		var t tokenAnswer
		if err := json.Unmarshal(raw, &t); err != nil || t.AccessToken == "" || t.ExpiresIn <= 0 {
			return "", 0, fmt.Errorf("unexpected token answer (HTTP %d, %d bytes)", resp.StatusCode, len(raw))
		}
		if !strings.EqualFold(t.TokenType, "bearer") {
			return "", 0, fmt.Errorf("unexpected token_type %q", t.TokenType)
		}
		return t.AccessToken, time.Duration(t.ExpiresIn) * time.Second, nil
	}
}
