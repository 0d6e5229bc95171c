// Package pacing spreads a batch of Mangopay calls under its rate limits:
// at most Concurrency at a time, a pause before each start that grows as
// the smallest remaining allowance (read from the client after each call)
// shrinks, and a clean stop, leaving the rest for a later run, when the
// allowance falls to a reserve, when the invocation's time is nearly spent
// or when Mangopay answers 429.
package pacing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
)

// Config tunes a Pacer. Zero values take the defaults.
type Config struct {
	// Concurrency bounds the items in flight. Default 4. While the limits
	// are unknown (no answer read yet) one item runs at a time.
	Concurrency int
	// CallsPerItem is how many Mangopay calls one item may make; the
	// allowance kept for items in flight is Concurrency × CallsPerItem.
	// Default 2.
	CallsPerItem int
	// Reserve is the allowance left untouched for the other functions
	// (creates, refreshes): no item starts when the smallest remaining
	// allowance, less what the items in flight may use, is at or below it.
	// It holds to within Concurrency calls (answers to concurrent calls can
	// be read out of order, so the latest reading may lag). Default 50.
	Reserve int
	// SlowBelow is the remaining allowance under which items are spaced
	// out. Default 4 × Reserve.
	SlowBelow int
	// MaxDelay is the pause before an item when the allowance reaches the
	// reserve; it grows linearly from 0 at SlowBelow. Default 2 s.
	MaxDelay time.Duration
	// Margin is the time kept before the context's deadline: no item
	// starts later than deadline - Margin. Default 10 s.
	Margin time.Duration
	// Now and Sleep are the clock; tests inject them. Sleep must return
	// early with ctx.Err() when ctx ends.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

func (c Config) withDefaults() Config {
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	if c.CallsPerItem <= 0 {
		c.CallsPerItem = 2
	}
	if c.Reserve <= 0 {
		c.Reserve = 50
	}
	if c.SlowBelow <= c.Reserve {
		c.SlowBelow = 4 * c.Reserve
	}
	if c.MaxDelay <= 0 {
		c.MaxDelay = 2 * time.Second
	}
	if c.Margin <= 0 {
		c.Margin = 10 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	return c
}

// Why a run stopped before the end.
var (
	// ErrAllowance: the remaining allowance reached the reserve.
	ErrAllowance = errors.New("rate-limit allowance at the reserve")
	// ErrDeadline: the invocation's time is nearly spent.
	ErrDeadline = errors.New("invocation time nearly spent")
	// ErrRateLimited: Mangopay answered 429 to an item.
	ErrRateLimited = errors.New("Mangopay answered 429")
)

// Limits reads the latest rate-limit windows (mangopay.Client.RateLimits).
type Limits func() mangopay.RateLimits

// Pacer runs batches under one client's rate limits.
type Pacer struct {
	cfg    Config
	limits Limits
	// Delays counts the pauses made and Slept their total, for reports.
	mu     sync.Mutex
	delays int
	slept  time.Duration
}

// New builds a Pacer reading limits (usually client.RateLimits).
func New(limits Limits, cfg Config) *Pacer {
	return &Pacer{cfg: cfg.withDefaults(), limits: limits}
}

// Stats are what a Pacer did so far.
type Stats struct {
	Delays int
	Slept  time.Duration
}

// Stats returns the pauses made so far.
func (p *Pacer) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{Delays: p.delays, Slept: p.slept}
}

// Decision is what the pacer says before starting one more item.
type Decision struct {
	Stop  error // non-nil: start nothing more
	Delay time.Duration
}

// Decide looks at the allowance and the deadline with inFlight items
// running.
func (p *Pacer) Decide(ctx context.Context, inFlight int) Decision {
	return p.decide(ctx, inFlight, -1)
}

// decide is Decide with floor, the lowest allowance read during the run
// (-1 if none): answers to concurrent calls may be read out of order, so
// the latest reading is not always the lowest.
func (p *Pacer) decide(ctx context.Context, inFlight, floor int) Decision {
	c := p.cfg
	if dl, ok := ctx.Deadline(); ok && !c.Now().Before(dl.Add(-c.Margin)) {
		return Decision{Stop: ErrDeadline}
	}
	w, ok := p.limits().MinRemaining()
	if !ok {
		return Decision{}
	}
	if floor >= 0 && floor < w.Remaining {
		w.Remaining = floor
	}
	left := w.Remaining - inFlight*c.CallsPerItem
	if left <= c.Reserve {
		return Decision{Stop: fmt.Errorf("%w: %d calls left in the %s window (reserve %d, %d in flight)", ErrAllowance, w.Remaining, w.Period, c.Reserve, inFlight)}
	}
	if left >= c.SlowBelow {
		return Decision{}
	}
	frac := float64(c.SlowBelow-left) / float64(c.SlowBelow-c.Reserve)
	return Decision{Delay: time.Duration(frac * float64(c.MaxDelay))}
}

// Run calls fn for items 0..n-1 in order, at most Concurrency at a time,
// pacing each start. fn's error is only looked at for a 429, which stops
// the run (the client already backed off what it could); fn records its
// own outcome. Run returns how many items were started (those from
// started on were not) and why it stopped early, or that an item met a
// 429 (nil when all started and none did).
func (p *Pacer) Run(ctx context.Context, n int, fn func(ctx context.Context, i int) error) (started int, stop error) {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		inFlight int
		limited  error
		floor    = -1
	)
	slots := make(chan struct{}, p.cfg.Concurrency)
	for started < n {
		if !p.limits().Known {
			// Unknown allowance: one at a time until an answer tells.
			wg.Wait()
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			stop = ctx.Err()
		}
		if stop != nil {
			break
		}
		mu.Lock()
		flying, lim, low := inFlight, limited, floor
		mu.Unlock()
		if lim != nil {
			<-slots
			stop = lim
			break
		}
		d := p.decide(ctx, flying, low)
		probe := false
		if errors.Is(d.Stop, ErrAllowance) {
			// The reading may be stale (from an earlier run, before a
			// window moved on): let the calls in flight refresh it, or
			// make one call first if this run made none, then decide
			// again on a fresh reading.
			switch {
			case flying > 0:
				<-slots
				wg.Wait()
				continue
			case started == 0:
				d, probe = Decision{}, true
			}
		}
		if d.Stop != nil {
			<-slots
			stop = d.Stop
			break
		}
		if d.Delay > 0 {
			p.mu.Lock()
			p.delays++
			p.slept += d.Delay
			p.mu.Unlock()
			if err := p.cfg.Sleep(ctx, d.Delay); err != nil {
				<-slots
				stop = err
				break
			}
		}
		mu.Lock()
		inFlight++
		mu.Unlock()
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			err := fn(ctx, i)
			w, known := p.limits().MinRemaining()
			mu.Lock()
			if known && (floor < 0 || w.Remaining < floor) {
				floor = w.Remaining
			}
			inFlight--
			if IsRateLimited(err) && limited == nil {
				limited = fmt.Errorf("%w: %v", ErrRateLimited, err)
			}
			mu.Unlock()
			<-slots
		}(started)
		started++
		if probe {
			wg.Wait()
		}
	}
	wg.Wait()
	if stop == nil && limited != nil {
		stop = limited
	}
	return started, stop
}

// IsRateLimited reports whether err is Mangopay's 429.
func IsRateLimited(err error) bool {
	var e *mangopay.Error
	return errors.As(err, &e) && e.StatusCode == http.StatusTooManyRequests
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
