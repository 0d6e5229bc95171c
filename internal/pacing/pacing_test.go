package pacing_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/pacing"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

// fakeClient is a client of a fake enforcing small limits; every call of
// the pacer's items is one real call whose headers the client reads.
func fakeClient(t *testing.T, limits [4]int) (*mangopay.Client, *mangopaytest.Server) {
	t.Helper()
	srv := mangopaytest.NewServer(t, mangopaytest.WithRateLimits(limits, true))
	c, err := mangopay.New(mangopay.Config{BaseURL: srv.URL,
		Credentials: mangopay.StaticCredentials{ClientID: srv.ClientID, APIKey: srv.APIKey}})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

// oneCall is an item: one GET that Mangopay answers 400 (an unknown
// Idempotency-Key), with the rate-limit headers.
func oneCall(c *mangopay.Client) func(context.Context, int) error {
	return func(ctx context.Context, i int) error {
		_, err := c.GetIdempotencyResponse(ctx, "pacing-test-key-0000000001")
		if pacing.IsRateLimited(err) {
			return err
		}
		return nil
	}
}

func count429(srv *mangopaytest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Status == http.StatusTooManyRequests {
			n++
		}
	}
	return n
}

func TestPacerSlowsThenStopsBeforeTheAllowanceIsSpent(t *testing.T) {
	c, srv := fakeClient(t, [4]int{60, 120, 240, 1000})
	var mu sync.Mutex
	var delays []time.Duration
	p := pacing.New(c.RateLimits, pacing.Config{Concurrency: 3, CallsPerItem: 1, Reserve: 10, SlowBelow: 40, MaxDelay: time.Second,
		Sleep: func(_ context.Context, d time.Duration) error { // no real sleep: record it
			mu.Lock()
			delays = append(delays, d)
			mu.Unlock()
			return nil
		}})
	started, stop := p.Run(context.Background(), 1000, oneCall(c))
	if !errors.Is(stop, pacing.ErrAllowance) {
		t.Fatalf("stop = %v, want the allowance reserve", stop)
	}
	w, _ := c.RateLimits().MinRemaining()
	// The reserve holds to within Concurrency calls: answers to concurrent
	// calls may be read out of order, so a reading can lag by one or two.
	if w.Remaining < 10-3 || started > 60 || count429(srv) != 0 {
		t.Fatalf("started %d, %d left (reserve 10), %d answers 429", started, w.Remaining, count429(srv))
	}
	// No pause while plenty is left; then pauses growing to MaxDelay.
	if len(delays) < 20 || p.Stats().Delays != len(delays) {
		t.Fatalf("delays %v", delays)
	}
	first, last := delays[0], delays[len(delays)-1]
	if first <= 0 || first >= last || last > time.Second || last < 800*time.Millisecond {
		t.Fatalf("delays should grow towards 1s: first %v last %v (%v)", first, last, delays)
	}
	t.Logf("started %d items of 1000, %d calls left in the %s window, %d pauses (%v .. %v)", started, w.Remaining, w.Period, len(delays), first, last)
}

func TestPacerStopsAtTheDeadlineAndOn429(t *testing.T) {
	c, _ := fakeClient(t, [4]int{2300, 4500, 8800, 105600})
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(5*time.Second))
	defer cancel()
	p := pacing.New(c.RateLimits, pacing.Config{Margin: 10 * time.Second})
	if started, stop := p.Run(ctx, 10, oneCall(c)); started != 0 || !errors.Is(stop, pacing.ErrDeadline) {
		t.Fatalf("started %d, stop %v", started, stop)
	}
	// A 429 stops the run: the items after it are not started.
	limited := &mangopay.Error{StatusCode: http.StatusTooManyRequests, Type: mangopay.TypeRateLimit}
	p = pacing.New(c.RateLimits, pacing.Config{Concurrency: 1})
	started, stop := p.Run(context.Background(), 10, func(_ context.Context, i int) error {
		if i == 2 {
			return limited
		}
		return nil
	})
	if started != 3 || !errors.Is(stop, pacing.ErrRateLimited) {
		t.Fatalf("started %d, stop %v", started, stop)
	}
}
