package mangopay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

// coreClient builds a client on srv with fast retries; mutate lets a test
// change the config.
func coreClient(t *testing.T, srv *mangopaytest.Server, mutate ...func(*mangopay.Config)) *mangopay.Client {
	t.Helper()
	cfg := mangopay.Config{
		BaseURL:     srv.URL,
		Credentials: mangopay.StaticCredentials{ClientID: srv.ClientID, APIKey: srv.APIKey},
		RetryBase:   time.Millisecond,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := mangopay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// rawCall is one call through the client's backend.
func rawCall(t *testing.T, c *mangopay.Client, method, path string, body any, key string) (map[string]any, *mangopay.Response, error) {
	t.Helper()
	var out map[string]any
	resp, err := c.Backend().Call(context.Background(), &mangopay.Request{Method: method, Path: path, Body: body, IdempotencyKey: key}, &out)
	return out, resp, err
}

func payer(n int) map[string]any {
	return map[string]any{
		"FirstName": "Alex", "LastName": "Smith", "Email": fmt.Sprintf("alex%d@example.com", n),
		"UserCategory": "PAYER", "TermsAndConditionsAccepted": false,
	}
}

// countPath counts requests the fake received whose path contains sub.
func countPath(srv *mangopaytest.Server, method, sub string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == method && strings.Contains(strings.ToLower(r.Path), strings.ToLower(sub)) {
			n++
		}
	}
	return n
}

func TestTokenIsReusedAndRefreshedEarly(t *testing.T) {
	srv := mangopaytest.NewServer(t, mangopaytest.WithTokenLifetime(1200*time.Second))
	var now atomic.Int64
	now.Store(time.Now().Unix())
	c := coreClient(t, srv, func(cfg *mangopay.Config) {
		cfg.Now = func() time.Time { return time.Unix(now.Load(), 0) }
	})
	user, _, err := rawCall(t, c, http.MethodPost, "/users/natural", payer(1), "")
	if err != nil {
		t.Fatal(err)
	}
	id := user["Id"].(string)
	get := func() {
		t.Helper()
		if _, _, err := rawCall(t, c, http.MethodGet, "/users/"+id, nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		get()
	}
	if n := srv.TokenRequests(); n != 1 {
		t.Fatalf("token requests after 6 calls = %d, want 1", n)
	}
	now.Add(1200 - 61) // 61 s before expiry: still reused
	get()
	if n := srv.TokenRequests(); n != 1 {
		t.Fatalf("token requests 61 s before expiry = %d, want 1", n)
	}
	now.Add(2) // 59 s before expiry: refreshed early
	get()
	if n := srv.TokenRequests(); n != 2 {
		t.Fatalf("token requests 59 s before expiry = %d, want 2", n)
	}
}

func TestHundredGoroutinesOneTokenRequest(t *testing.T) {
	srv := mangopaytest.NewServer(t)
	c := coreClient(t, srv)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Go(func() {
			_, _, err := rawCall(t, c, http.MethodPost, "/users/natural", payer(i), "")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.TokenRequests(); n != 1 {
		t.Fatalf("token requests = %d, want exactly 1", n)
	}
	if n := srv.Count("users"); n != 100 {
		t.Fatalf("users = %d, want 100", n)
	}
}

func TestTokenCacheSharedAcrossClients(t *testing.T) {
	srv := mangopaytest.NewServer(t)
	cache := mangopay.NewTokenCache()
	for range 3 { // three cold starts of handlers in one process
		c := coreClient(t, srv, func(cfg *mangopay.Config) { cfg.Tokens = cache })
		if _, _, err := rawCall(t, c, http.MethodPost, "/users/natural", payer(1), ""); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.TokenRequests(); n != 1 {
		t.Fatalf("token requests = %d, want 1", n)
	}
}

func TestUnauthorizedForcesOneRefreshAndRetry(t *testing.T) {
	srv := mangopaytest.NewServer(t)
	c := coreClient(t, srv)
	if _, _, err := rawCall(t, c, http.MethodPost, "/users/natural", payer(1), ""); err != nil {
		t.Fatal(err)
	}
	srv.ExpireTokens() // e.g. revoked server-side before our clock says so
	if _, _, err := rawCall(t, c, http.MethodPost, "/users/natural", payer(2), ""); err != nil {
		t.Fatalf("call after token revocation: %v", err)
	}
	if n := srv.TokenRequests(); n != 2 {
		t.Fatalf("token requests = %d, want 2", n)
	}
	if n := srv.Count("users"); n != 2 {
		t.Fatalf("users = %d, want 2 (the rejected call created nothing)", n)
	}
}

// rotatingSource returns a stale API key until Refresh is called.
type rotatingSource struct {
	good      mangopay.Credentials
	refreshed atomic.Int32
}

func (r *rotatingSource) Credentials(context.Context) (mangopay.Credentials, error) {
	if r.refreshed.Load() == 0 {
		return mangopay.Credentials{ClientID: r.good.ClientID, APIKey: "old-rotated-key"}, nil
	}
	return r.good, nil
}

func (r *rotatingSource) Refresh(ctx context.Context) (mangopay.Credentials, error) {
	r.refreshed.Add(1)
	return r.good, nil
}

func TestRejectedCredentialsAreReReadOnce(t *testing.T) {
	srv := mangopaytest.NewServer(t)
	src := &rotatingSource{good: mangopay.Credentials{ClientID: srv.ClientID, APIKey: srv.APIKey}}
	c := coreClient(t, srv, func(cfg *mangopay.Config) { cfg.Credentials = src })
	if _, _, err := rawCall(t, c, http.MethodPost, "/users/natural", payer(1), ""); err != nil {
		t.Fatal(err)
	}
	if n := src.refreshed.Load(); n != 1 {
		t.Fatalf("refreshes = %d, want 1", n)
	}
}

func TestWrongCredentialsGiveTypedOAuthError(t *testing.T) {
	srv := mangopaytest.NewServer(t)
	c := coreClient(t, srv, func(cfg *mangopay.Config) {
		cfg.Credentials = mangopay.StaticCredentials{ClientID: srv.ClientID, APIKey: "wrong"}
	})
	_, _, err := rawCall(t, c, http.MethodGet, "/users/user_m_x", nil, "")
	var apiErr *mangopay.Error
	if !errors.As(err, &apiErr) || apiErr.OAuthError != "invalid_client" {
		t.Fatalf("want an OAuth invalid_client *Error, got %v", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Fatalf("error leaks the API key: %v", err)
	}
	if n := srv.TokenRequests(); n != 2 {
		t.Fatalf("token requests = %d, want 2 (one try, one after re-reading credentials)", n)
	}
}

func TestConflictRecoversOriginalResponse(t *testing.T) {
	srv := mangopaytest.NewServer(t)
	c := coreClient(t, srv)
	key := mangopay.DeriveIdempotencyKey("rec_1", "create-user")
	first, resp, err := rawCall(t, c, http.MethodPost, "/users/natural", payer(1), key)
	if err != nil || resp.Recovered {
		t.Fatalf("first call: %v recovered=%v", err, resp != nil && resp.Recovered)
	}
	again, resp, err := rawCall(t, c, http.MethodPost, "/users/natural", payer(2), key)
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Recovered || again["Id"] != first["Id"] || again["Email"] != first["Email"] {
		t.Fatalf("replay gave %v (recovered=%v), want the original %v", again["Id"], resp.Recovered, first["Id"])
	}
	if n := srv.Count("users"); n != 1 {
		t.Fatalf("users = %d, want 1", n)
	}
	if n := countPath(srv, http.MethodGet, "/responses/"+key); n != 1 {
		t.Fatalf("GET /responses calls = %d, want 1", n)
	}
}

func TestConflictOnFailedCreateReturnsOriginalError(t *testing.T) {
	srv := mangopaytest.NewServer(t)
	c := coreClient(t, srv)
	key := mangopay.DeriveIdempotencyKey("rec_2", "create-user")
	bad := payer(1)
	delete(bad, "Email")
	_, _, err1 := rawCall(t, c, http.MethodPost, "/users/natural", bad, key)
	_, resp, err2 := rawCall(t, c, http.MethodPost, "/users/natural", bad, key)
	var e1, e2 *mangopay.Error
	if !errors.As(err1, &e1) || !errors.As(err2, &e2) {
		t.Fatalf("want *Error twice, got %v / %v", err1, err2)
	}
	if e2.StatusCode != 400 || e2.Fields["Email"] == "" || !resp.Recovered {
		t.Fatalf("replayed error = %+v recovered=%v, want the original 400 on Email", e2, resp.Recovered)
	}
}

func TestLostResponseIsRecoveredWithoutSecondExecution(t *testing.T) {
	srv := mangopaytest.NewServer(t)
	c := coreClient(t, srv)
	srv.InjectFault(mangopaytest.Fault{Method: http.MethodPost, Path: "/users/natural", DropAfterCommit: true, Times: 1})
	key := mangopay.DeriveIdempotencyKey("rec_3", "create-user")
	user, resp, err := rawCall(t, c, http.MethodPost, "/users/natural", payer(1), key)
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Recovered || user["Id"] == nil {
		t.Fatalf("want the user recovered through /responses, got %v", user)
	}
	if n := srv.Count("users"); n != 1 {
		t.Fatalf("users = %d, want 1", n)
	}
}

func TestWriteWithoutKeyIsNeverRetried(t *testing.T) {
	for _, fault := range []mangopaytest.Fault{
		{Method: http.MethodPost, Path: "/users/natural", Status: 503, Times: 1},
		{Method: http.MethodPost, Path: "/users/natural", Status: 429, Times: 1},
		{Method: http.MethodPost, Path: "/users/natural", DropAfterCommit: true, Times: 1},
	} {
		t.Run(fmt.Sprintf("status=%d drop=%v", fault.Status, fault.DropAfterCommit), func(t *testing.T) {
			srv := mangopaytest.NewServer(t)
			c := coreClient(t, srv)
			srv.InjectFault(fault)
			if _, _, err := rawCall(t, c, http.MethodPost, "/users/natural", payer(1), ""); err == nil {
				t.Fatal("want the failure reported")
			}
			if n := countPath(srv, http.MethodPost, "/users/natural"); n != 1 {
				t.Fatalf("POSTs sent = %d, want 1", n)
			}
		})
	}
}

func TestRetriesTransientFailures(t *testing.T) {
	tests := []struct {
		name   string
		method string
		key    string
		fault  mangopaytest.Fault
	}{
		{"GET after 500s", http.MethodGet, "", mangopaytest.Fault{Method: http.MethodGet, Path: "/users/", Status: 500, Times: 2}},
		{"GET after 502", http.MethodGet, "", mangopaytest.Fault{Method: http.MethodGet, Path: "/users/", Status: 502, Times: 1}},
		{"GET after 429 without an exhausted window", http.MethodGet, "", mangopaytest.Fault{Method: http.MethodGet, Path: "/users/", Status: 429, Times: 1}},
		{"GET after a dropped connection", http.MethodGet, "", mangopaytest.Fault{Method: http.MethodGet, Path: "/users/", DropAfterCommit: true, Times: 1}},
		{"keyed POST after 503", http.MethodPost, "retry-key-0000000001", mangopaytest.Fault{Method: http.MethodPost, Path: "/users/natural", Status: 503, Times: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mangopaytest.NewServer(t)
			c := coreClient(t, srv)
			user, _, err := rawCall(t, c, http.MethodPost, "/users/natural", payer(1), "")
			if err != nil {
				t.Fatal(err)
			}
			path, body := "/users/"+user["Id"].(string), any(nil)
			if tt.method == http.MethodPost {
				path, body = "/users/natural", payer(2)
			}
			before := countPath(srv, tt.method, path)
			srv.InjectFault(tt.fault)
			if _, _, err := rawCall(t, c, tt.method, path, body, tt.key); err != nil {
				t.Fatalf("want success after retries, got %v", err)
			}
			want := tt.fault.Times + 1
			if n := countPath(srv, tt.method, path) - before; n != want {
				t.Fatalf("%s %s sent %d times, want %d", tt.method, path, n, want)
			}
		})
	}
}

func TestRetriesStopAtMaxRetries(t *testing.T) {
	srv := mangopaytest.NewServer(t)
	c := coreClient(t, srv, func(cfg *mangopay.Config) { cfg.MaxRetries = 2 })
	srv.InjectFault(mangopaytest.Fault{Method: http.MethodGet, Path: "/users/", Status: 500})
	_, _, err := rawCall(t, c, http.MethodGet, "/users/user_m_1", nil, "")
	var apiErr *mangopay.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 500 {
		t.Fatalf("want the 500, got %v", err)
	}
	if n := countPath(srv, http.MethodGet, "/users/user_m_1"); n != 3 {
		t.Fatalf("sent %d times, want 3 (1 + 2 retries)", n)
	}
}

func TestRetryStaysWithinContextDeadline(t *testing.T) {
	srv := mangopaytest.NewServer(t)
	// A backoff longer than the deadline: the client must not start a wait
	// it cannot finish, and must return the server's error, not hang.
	c := coreClient(t, srv, func(cfg *mangopay.Config) { cfg.RetryBase = time.Hour; cfg.MaxRetryWait = time.Hour })
	srv.InjectFault(mangopaytest.Fault{Method: http.MethodGet, Path: "/users/", Status: 503})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := c.Backend().Call(ctx, &mangopay.Request{Method: http.MethodGet, Path: "/users/user_m_1"}, nil)
	var apiErr *mangopay.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 {
		t.Fatalf("want the 503 back, got %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the call used up the whole deadline instead of giving up at once")
	}
	if n := countPath(srv, http.MethodGet, "/users/user_m_1"); n > 2 {
		t.Fatalf("sent %d times", n)
	}
}

func TestRateLimitHeadersAreReadable(t *testing.T) {
	srv := mangopaytest.NewServer(t)
	c := coreClient(t, srv)
	for i := range 3 {
		if _, _, err := rawCall(t, c, http.MethodPost, "/users/natural", payer(i), ""); err != nil {
			t.Fatal(err)
		}
	}
	rl := c.RateLimits()
	if !rl.Known {
		t.Fatal("rate limits not read")
	}
	w := rl.Windows[0]
	if w.Period != 15*time.Minute || w.Made < 3 || w.Remaining != 2300-w.Made || w.Reset.IsZero() {
		t.Fatalf("15-minute window = %+v", w)
	}
	if rl.Windows[3].Remaining != 105600-rl.Windows[3].Made {
		t.Fatalf("24-hour window = %+v", rl.Windows[3])
	}
}

func TestRateLimitedBeyondMaxWaitFailsFastWithTypedError(t *testing.T) {
	srv := mangopaytest.NewServer(t, mangopaytest.WithRateLimits([4]int{3, 100, 100, 100}, true))
	c := coreClient(t, srv, func(cfg *mangopay.Config) { cfg.MaxRetryWait = time.Second })
	var err error
	for range 4 {
		if _, _, err = rawCall(t, c, http.MethodGet, "/users/user_m_x", nil, ""); err != nil && !mangopay.IsNotFound(err) {
			break
		}
	}
	var apiErr *mangopay.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || apiErr.Type != mangopay.TypeRateLimit {
		t.Fatalf("want a 429 rate_limit *Error, got %v", err)
	}
	if w, ok := c.RateLimits().MinRemaining(); !ok || w.Remaining != 0 {
		t.Fatalf("want an exhausted window visible, got %+v", w)
	}
}

func TestRateLimitedWaitsUntilTheWindowResets(t *testing.T) {
	srv := mangopaytest.NewServer(t, mangopaytest.WithRateLimits([4]int{3, 100, 100, 100}, true))
	// The fake's clock stands still, so every call sits at one instant and
	// the 15-minute window resets 900 s after it. The client's clock reads
	// 40 ms before that: each 429 must wait exactly those 40 ms.
	var buf bytes.Buffer
	c := coreClient(t, srv, func(cfg *mangopay.Config) {
		cfg.Now = func() time.Time { return srv.Now().Add(900*time.Second - 40*time.Millisecond) }
		cfg.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
		cfg.MaxRetries = 2
	})
	var err error
	for range 4 {
		if _, _, err = rawCall(t, c, http.MethodGet, "/users/user_m_x", nil, ""); !mangopay.IsNotFound(err) {
			break
		}
	}
	var apiErr *mangopay.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 {
		t.Fatalf("want the 429 once the retries are spent, got %v", err)
	}
	if got := strings.Count(buf.String(), `"wait_ms":40`); got != 2 {
		t.Fatalf("want 2 retries each waiting 40 ms for the reset, logs:\n%s", buf.String())
	}
}

func TestInvalidIdempotencyKeyIsRefusedBeforeSending(t *testing.T) {
	srv := mangopaytest.NewServer(t)
	c := coreClient(t, srv)
	_, _, err := rawCall(t, c, http.MethodPost, "/users/natural", payer(1), "too_short")
	if !errors.Is(err, mangopay.ErrInvalidIdempotencyKey) {
		t.Fatalf("want ErrInvalidIdempotencyKey, got %v", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}

func TestDebugLogIsRedacted(t *testing.T) {
	srv := mangopaytest.NewServer(t)
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := coreClient(t, srv, func(cfg *mangopay.Config) { cfg.Debug = true; cfg.Logger = logger })
	user, _, err := rawCall(t, c, http.MethodPost, "/users/natural", payer(7), "")
	if err != nil {
		t.Fatal(err)
	}
	iban := "FR7630004000031234567890143"
	_, _, err = rawCall(t, c, http.MethodPost, "/users/"+user["Id"].(string)+"/bankaccounts/iban", map[string]any{
		"OwnerName": "Alex Smith", "IBAN": iban, "BIC": "BNPAFRPP",
		"OwnerAddress": map[string]any{"AddressLine1": "1 rue", "City": "Paris", "PostalCode": "75001", "Country": "FR"},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	logs := buf.String()
	if !strings.Contains(logs, `"msg":"mangopay call"`) || !strings.Contains(logs, "[REDACTED]") {
		t.Fatalf("debug log missing or not redacted:\n%s", logs)
	}
	for _, secret := range []string{iban, srv.APIKey, "alex7@example.com", "Bearer", "Basic"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("log contains %q:\n%s", secret, logs)
		}
	}
	if lines := strings.Count(logs, "\n"); lines != 3 { // token, user, bank account
		t.Fatalf("want one line per call (3), got %d:\n%s", lines, logs)
	}
}

func TestRawResponseKeepsWhatMangopaySent(t *testing.T) {
	srv := mangopaytest.NewServer(t)
	c := coreClient(t, srv)
	var raw json.RawMessage
	u, err := c.CreateNaturalUser(context.Background(), &mangopay.NaturalUserCreate{
		FirstName: "Alex", LastName: "Smith", Email: "alex@example.com", UserCategory: mangopay.UserCategoryPayer,
	}, mangopay.WithRawResponse(&raw))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("raw body %q: %v", raw, err)
	}
	if m["Id"] != u.ID || !strings.Contains(string(raw), `"Capacity"`) {
		t.Fatalf("raw body %s does not match the user %s", raw, u.ID)
	}
	var again json.RawMessage
	if _, err := c.GetUser(context.Background(), u.ID, mangopay.WithRawResponse(&again)); err != nil || len(again) == 0 {
		t.Fatalf("GET did not fill the raw body: %v", err)
	}
}

// A call under WithCallDeadline ends by that time, well before the
// context's own deadline, whether it is waiting on a slow answer or
// between retries, and the caller's context is still alive after it.
func TestCallDeadlineEndsCallsBeforeTheContextDeadline(t *testing.T) {
	srv := mangopaytest.NewServer(t)
	c := coreClient(t, srv, func(cfg *mangopay.Config) { cfg.RetryBase = 50 * time.Millisecond })
	for _, f := range []mangopaytest.Fault{
		{Method: http.MethodGet, Path: "/users/", Latency: time.Hour},
		{Method: http.MethodGet, Path: "/users/", Status: 503},
	} {
		srv.ClearFaults()
		srv.InjectFault(f)
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		callCtx := mangopay.WithCallDeadline(ctx, time.Now().Add(200*time.Millisecond))
		_, err := c.Backend().Call(callCtx, &mangopay.Request{Method: http.MethodGet, Path: "/users/user_m_1"}, nil)
		var apiErr *mangopay.Error
		if f.Status == 0 && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("slow answer: got %v, want the call's deadline", err)
		}
		if f.Status != 0 && (!errors.As(err, &apiErr) || apiErr.StatusCode != 503) {
			t.Errorf("retried 503: got %v, want the 503 once retries ran out of time", err)
		}
		if ctx.Err() != nil {
			t.Errorf("%+v: the caller's context ended", f)
		}
		cancel()
	}
}
