// Package mangopay is a client for the Mangopay REST API v2.01.
//
// One Client is built per process (per Lambda cold start) and shared by
// every goroutine. It fetches and caches the OAuth token, retries what is
// safe to retry, recovers lost create responses through idempotency keys,
// and exposes Mangopay's rate-limit windows after each call.
//
// Each resource lives in its own file with plain request and response
// structs; every call goes through one Backend, so tests swap the transport
// (the fake in package mangopaytest) rather than the logic.
package mangopay

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// DefaultSandboxURL is Mangopay's sandbox API host.
const DefaultSandboxURL = "https://api.sandbox.mangopay.com"

// Config configures a Client. The zero value of every field but BaseURL and
// the credentials has a sensible default.
type Config struct {
	// BaseURL is the API host without the version, e.g. DefaultSandboxURL.
	BaseURL string
	// Credentials supplies the client id and API key. Use StaticCredentials
	// for fixed values.
	Credentials CredentialSource
	// HTTPClient is used for every call. Default: a client with a 30 s
	// overall timeout and 5 s to connect.
	HTTPClient *http.Client
	// Tokens caches OAuth tokens. Share one cache across clients built in the
	// same process so that they reuse tokens; default: a cache of its own.
	Tokens *TokenCache
	// MaxRetries bounds retries of one call (429, 5xx, network errors).
	// Default 3; a negative value disables retries.
	MaxRetries int
	// RetryBase is the first backoff delay, doubled on each retry with full
	// jitter. Default 200 ms.
	RetryBase time.Duration
	// MaxRetryWait caps one wait, including a wait for a rate-limit reset.
	// Default 10 s.
	MaxRetryWait time.Duration
	// Debug logs each request and response (redacted) through Logger, like
	// django-mangopay's MANGOPAY_DEBUG_MODE.
	Debug bool
	// Logger receives debug and retry logs. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock used for token expiry. Default time.Now.
	Now func() time.Time
}

// Client calls the Mangopay API. It is safe for concurrent use.
type Client struct {
	backend Backend
}

// New builds a Client from cfg.
func New(cfg Config) (*Client, error) {
	b, err := NewHTTPBackend(cfg)
	if err != nil {
		return nil, err
	}
	return &Client{backend: b}, nil
}

// NewWithBackend builds a Client over any Backend.
func NewWithBackend(b Backend) *Client { return &Client{backend: b} }

// Backend returns the backend under the client.
func (c *Client) Backend() Backend { return c.backend }

// RateLimits returns the rate-limit windows read from the latest response,
// or the zero value if the backend does not track them.
func (c *Client) RateLimits() RateLimits {
	if t, ok := c.backend.(interface{ RateLimits() RateLimits }); ok {
		return t.RateLimits()
	}
	return RateLimits{}
}

// Request is one call to the API. Path is relative to /v2.01/{ClientId}.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	// Body is encoded as JSON when not nil.
	Body any
	// IdempotencyKey, when set, makes a create safe to retry: see
	// WithIdempotencyKey.
	IdempotencyKey string
	// RawBody, when set, receives a copy of the successful response body.
	RawBody *json.RawMessage
}

// Response describes a completed call besides its decoded body.
type Response struct {
	StatusCode int
	Header     http.Header
	RateLimits RateLimits
	// TotalItems and TotalPages come from the X-Number-Of-* headers of lists.
	TotalItems int
	TotalPages int
	// Recovered is true when the body was read back through
	// GET /responses/{key} after a 409 idempotent_creation_conflict.
	Recovered bool
}

// Backend performs API calls. out receives the decoded JSON body (nil to
// discard it). A non-2xx answer is returned as *Error, except Mangopay's
// request for the user's strong customer authentication (a 401 with a
// PendingUserAction challenge), returned as *SCARequiredError.
type Backend interface {
	Call(ctx context.Context, req *Request, out any) (*Response, error)
}

// CallOption adjusts one call.
type CallOption func(*Request)

// WithIdempotencyKey sets the Idempotency-Key of a create. The key must be
// 16 to 36 letters, digits or dashes; derive it from your own record so
// that a retry of the same operation reuses it.
func WithIdempotencyKey(key string) CallOption {
	return func(r *Request) { r.IdempotencyKey = key }
}

// WithRawResponse copies the response body Mangopay sent into dst, for
// callers that keep everything Mangopay said (our records do), including
// fields this client does not know yet.
func WithRawResponse(dst *json.RawMessage) CallOption {
	return func(r *Request) { r.RawBody = dst }
}

// call builds a Request, applies the options and runs it.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, body, out any, opts []CallOption) (*Response, error) {
	req := &Request{Method: method, Path: path, Query: query, Body: body}
	for _, o := range opts {
		o(req)
	}
	return c.backend.Call(ctx, req, out)
}
