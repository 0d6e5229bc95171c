// Package load drives many concurrent HTTP clients against a local API
// for a bounded time and reports what came back: answers by status,
// transport errors and latency percentiles. It refuses any target but
// the loopback address, so a load run can never reach another machine.
package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// Config is one load run.
type Config struct {
	// Clients is how many clients send at once, each waiting for its
	// answer before sending its next request.
	Clients int
	// Duration bounds the run; MaxRequests, when positive, bounds it too.
	Duration    time.Duration
	MaxRequests int
	// Request builds the n-th request (0-based, across clients) of client
	// c. It must target 127.0.0.1.
	Request func(c, n int) (*http.Request, error)
	// Check, when set, is called with every answer (body read in full)
	// and may record what it needs; it must be safe for concurrent use.
	Check func(req *http.Request, status int, body []byte)
	// HTTP is the client to use (default: one with a 30 s timeout, as
	// API Gateway's integration timeout, and keep-alive per client).
	HTTP *http.Client
}

// Report is what a run measured.
type Report struct {
	Clients  int
	Duration time.Duration
	// Requests is how many were sent; ByStatus counts answers by HTTP
	// status; Errors counts requests that got no answer at all.
	Requests int
	ByStatus map[int]int
	Errors   int
	// ErrorSamples keeps a few transport errors, for the report.
	ErrorSamples []string
	// Latency is over answered requests.
	Latency Percentiles
}

// Percentiles summarises a set of durations.
type Percentiles struct {
	P50, P90, P99, Max time.Duration
}

// ServerErrors counts 5xx answers.
func (r Report) ServerErrors() int {
	n := 0
	for s, c := range r.ByStatus {
		if s >= 500 {
			n += c
		}
	}
	return n
}

// PerSecond is the answered throughput.
func (r Report) PerSecond() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.Requests-r.Errors) / r.Duration.Seconds()
}

// ErrNotLoopback is returned for a request aimed anywhere but 127.0.0.1.
var ErrNotLoopback = errors.New("load: only 127.0.0.1 may be targeted")

// Run sends requests until the duration or request bound is reached or
// ctx ends, then waits for the answers in flight.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if cfg.Clients <= 0 {
		cfg.Clients = 1
	}
	hc := cfg.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Clients, MaxConnsPerHost: cfg.Clients}}
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var (
		mu        sync.Mutex
		rep       = Report{Clients: cfg.Clients, ByStatus: map[int]int{}}
		latencies []time.Duration
		next      int
		firstErr  error
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil || firstErr != nil || (cfg.MaxRequests > 0 && next >= cfg.MaxRequests) {
			return 0, false
		}
		next++
		return next - 1, true
	}
	start := time.Now()
	var wg sync.WaitGroup
	for c := range cfg.Clients {
		wg.Go(func() {
			for {
				n, ok := take()
				if !ok {
					return
				}
				req, err := cfg.Request(c, n)
				if err == nil {
					err = loopbackOnly(req.URL)
				}
				if err != nil {
					mu.Lock()
					firstErr = fmt.Errorf("load: request %d: %w", n, err)
					mu.Unlock()
					return
				}
				// The request runs to its end even when the run's time is up:
				// an answer in flight is waited for, not abandoned.
				t0 := time.Now()
				resp, err := hc.Do(req.WithContext(context.WithoutCancel(ctx)))
				var body []byte
				if err == nil {
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				d := time.Since(t0)
				mu.Lock()
				rep.Requests++
				if err != nil {
					rep.Errors++
					if len(rep.ErrorSamples) < 5 {
						rep.ErrorSamples = append(rep.ErrorSamples, err.Error())
					}
				} else {
					rep.ByStatus[resp.StatusCode]++
					latencies = append(latencies, d)
				}
				mu.Unlock()
				if err == nil && cfg.Check != nil {
					cfg.Check(req, resp.StatusCode, body)
				}
			}
		})
	}
	wg.Wait()
	rep.Duration = time.Since(start)
	rep.Latency = Summarise(latencies)
	return rep, firstErr
}

// Summarise computes nearest-rank percentiles of ds (which it sorts).
func Summarise(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	slices.Sort(ds)
	rank := func(p int) time.Duration {
		i := (p*len(ds)+99)/100 - 1
		return ds[max(i, 0)]
	}
	return Percentiles{P50: rank(50), P90: rank(90), P99: rank(99), Max: ds[len(ds)-1]}
}

func loopbackOnly(u *url.URL) error {
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.Equal(net.IPv4(127, 0, 0, 1)) {
		return fmt.Errorf("%w (got %q)", ErrNotLoopback, u.Host)
	}
	return nil
}
