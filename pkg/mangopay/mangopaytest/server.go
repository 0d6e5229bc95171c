package mangopaytest

import (
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Default credentials used when WithCredentials is not given.
const (
	defaultClientID = "fakeclient"
	defaultAPIKey   = "fake-api-key-0123456789abcdef"
)

type config struct {
	clientID, apiKey string
	tokenLifetime    time.Duration
	clock            time.Time
	limits           [4]int
	enforce          bool
	payoutDelay      time.Duration
	kycDelay         time.Duration
	latency          time.Duration
}

func defaultConfig() config {
	return config{
		clientID:      defaultClientID,
		apiKey:        defaultAPIKey,
		tokenLifetime: 1200 * time.Second,
		clock:         time.Now().UTC().Truncate(time.Second),
		limits:        [4]int{2300, 4500, 8800, 105600},
	}
}

// Option configures a Server.
type Option func(*config)

// WithCredentials sets the ClientId and API key the token endpoint accepts.
// The defaults are "fakeclient" and a fixed test key (see Server.APIKey).
func WithCredentials(clientID, apiKey string) Option {
	return func(c *config) { c.clientID, c.apiKey = clientID, apiKey }
}

// WithTokenLifetime sets the lifetime of issued OAuth tokens (default 1200 s),
// measured on the fake clock and returned as expires_in.
func WithTokenLifetime(d time.Duration) Option {
	return func(c *config) { c.tokenLifetime = d }
}

// WithClock sets the start of the fake clock (default: now, UTC, truncated to
// the second).
func WithClock(start time.Time) Option {
	return func(c *config) { c.clock = start.UTC() }
}

// WithRateLimits sets the call limits of the four windows (15 min, 30 min,
// 1 h, 24 h) and whether going over them answers 429. The defaults are
// 2300, 4500, 8800, 105600 and not enforced; the headers are always sent.
func WithRateLimits(limits [4]int, enforce bool) Option {
	return func(c *config) { c.limits, c.enforce = limits, enforce }
}

// WithPayoutDelay makes payouts succeed on their own once the fake clock
// passes CreationDate+d. With 0 (the default) payouts stay CREATED until
// SettlePayout, SettleAllPayouts or the 7-day expiry.
func WithPayoutDelay(d time.Duration) Option {
	return func(c *config) { c.payoutDelay = d }
}

// WithKYCReviewDelay makes submitted KYC documents be decided (by their Tag)
// once the fake clock passes the submission time + d. With 0 (the default)
// they stay VALIDATION_ASKED until SettleDocument or SettleAllDocuments.
func WithKYCReviewDelay(d time.Duration) Option {
	return func(c *config) { c.kycDelay = d }
}

// WithLatency adds a real server-side delay to every API call, including the
// token endpoint (for benchmarks).
func WithLatency(d time.Duration) Option {
	return func(c *config) { c.latency = d }
}

// Server is a running fake Mangopay API. All exported methods are safe for
// concurrent use.
type Server struct {
	// URL is the base URL, e.g. "http://127.0.0.1:41234"; the API lives under
	// URL+"/v2.01/"+ClientID.
	URL string
	// ClientID is the only client the fake knows.
	ClientID string
	// APIKey is that client's API key.
	APIKey string

	cfg       config
	ln        net.Listener
	srv       *http.Server
	closeOnce sync.Once
	hq        *hookQueue

	mu sync.Mutex
	st *state
}

// NewServer starts a fake on 127.0.0.1 with a random port, like
// httptest.NewServer, and closes it when the test ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start("127.0.0.1:0", opts...)
	if err != nil {
		t.Fatalf("mangopaytest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts a fake listening on addr (e.g. "127.0.0.1:0") and returns once
// it accepts connections. Close stops it.
func Start(addr string, opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.clientID == "" || cfg.apiKey == "" {
		return nil, errors.New("mangopaytest: empty client id or api key")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		URL:      "http://" + ln.Addr().String(),
		ClientID: cfg.clientID,
		APIKey:   cfg.apiKey,
		cfg:      cfg,
		ln:       ln,
		st:       newState(cfg.clock),
	}
	s.hq = newHookQueue()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.hq.run(s)
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server and the hook delivery goroutine. It is safe to call
// more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		_ = s.srv.Close()
		s.hq.stop()
	})
}
