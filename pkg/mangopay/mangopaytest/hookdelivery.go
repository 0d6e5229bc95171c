package mangopaytest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// hookTimeout is how long a receiver has to answer 200.
const hookTimeout = 2 * time.Second

// hookInvalidAfter consecutive failures make a hook INVALID.
const hookInvalidAfter = 100

// HookDelivery is one attempt to call a hook URL.
type HookDelivery struct {
	// URL is the full URL called, query included.
	URL string
	// EventType and RessourceId (two s, as in the query) identify the event.
	EventType, RessourceId string
	// Date is the event date (Unix seconds, fake clock).
	Date int64
	// Status is the receiver's HTTP status; 0 when no answer was received.
	Status int
	// Err describes a failure ("" on success, i.e. HTTP 200).
	Err string
}

// hookJob is one pending delivery.
type hookJob struct {
	hookID, url           string
	eventType, resourceID string
	date                  int64
	attempt               int   // 0 for the first try
	base                  int64 // fake time of the first try
	dueAt                 int64 // for retries
}

// hookQueue feeds the background delivery goroutine.
type hookQueue struct {
	mu        sync.Mutex
	cond      *sync.Cond
	jobs      []*hookJob
	queued    int64
	attempted int64
	closed    bool
	ctx       context.Context
	cancel    context.CancelFunc
	done      chan struct{}
	client    *http.Client
}

func newHookQueue() *hookQueue {
	q := &hookQueue{done: make(chan struct{})}
	q.cond = sync.NewCond(&q.mu)
	q.ctx, q.cancel = context.WithCancel(context.Background())
	q.client = &http.Client{
		Timeout: hookTimeout,
		Transport: &http.Transport{
			Proxy:             nil,
			DialContext:       loopbackDial,
			DisableKeepAlives: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return q
}

// loopbackDial only ever connects to a loopback address.
func loopbackDial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("refusing to dial non-loopback address %s", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
}

// isLoopbackHost says whether a hook URL host may be called.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (q *hookQueue) push(j *hookJob) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.jobs = append(q.jobs, j)
	q.queued++
	q.cond.Broadcast()
}

// next blocks until a job is available; nil once the queue is stopped.
func (q *hookQueue) next() *hookJob {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.jobs) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return nil
	}
	j := q.jobs[0]
	q.jobs = q.jobs[1:]
	return j
}

func (q *hookQueue) markAttempted() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.attempted++
	q.cond.Broadcast()
}

func (q *hookQueue) stop() {
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()
	q.cancel()
	<-q.done
}

// run is the delivery goroutine: deliveries happen one at a time, in order,
// without the state lock.
func (q *hookQueue) run(s *Server) {
	defer close(q.done)
	for {
		j := q.next()
		if j == nil {
			return
		}
		status, err := q.deliver(j)
		s.recordDelivery(j, status, err)
		q.markAttempted()
	}
}

// deliver calls the hook URL: GET, no body, 200 within 2 s is a success.
func (q *hookQueue) deliver(j *hookJob) (int, error) {
	u, err := url.Parse(j.url)
	if err != nil {
		return 0, err
	}
	if !isLoopbackHost(u.Hostname()) {
		return 0, fmt.Errorf("refused: %s is not a loopback host (the fake only calls 127.0.0.1, ::1 and localhost)", u.Hostname())
	}
	req, err := http.NewRequestWithContext(q.ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", "mangopay-fake-webhook/1.0")
	resp, err := q.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, errors.New("receiver answered " + resp.Status)
	}
	return resp.StatusCode, nil
}

// WaitHooks blocks until every hook delivery queued so far has been
// attempted and its outcome recorded. Retries become queued only when the
// fake clock reaches them (Advance).
func (s *Server) WaitHooks() {
	q := s.hq
	q.mu.Lock()
	defer q.mu.Unlock()
	target := q.queued
	for q.attempted < target && !q.closed {
		q.cond.Wait()
	}
}

// HookDeliveries returns every delivery attempt so far, in order.
func (s *Server) HookDeliveries() []HookDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]HookDelivery(nil), s.st.deliveries...)
}

// queueDelivery queues a call to h if it is ENABLED and VALID. Called with
// s.mu held.
func (s *Server) queueDelivery(h *hook, eventType, resourceID string, date int64, attempt int, base int64) {
	if h.Status != "ENABLED" || h.Validity != "VALID" {
		return
	}
	s.hq.push(&hookJob{hookID: h.Id, url: hookURL(h.Url, eventType, resourceID, date),
		eventType: eventType, resourceID: resourceID, date: date, attempt: attempt, base: base})
}

// hookURL appends EventType, RessourceId and Date to the hook URL (after any
// query it already has).
func hookURL(base, eventType, resourceID string, date int64) string {
	q := url.Values{}
	q.Set("EventType", eventType)
	q.Set("RessourceId", resourceID)
	q.Set("Date", strconv.FormatInt(date, 10))
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + q.Encode()
}

// recordDelivery stores an outcome, updates the hook's failure count and
// schedules the retry.
func (s *Server) recordDelivery(j *hookJob, status int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	d := HookDelivery{URL: j.url, EventType: j.eventType, RessourceId: j.resourceID, Date: j.date, Status: status}
	if err != nil {
		d.Err = err.Error()
	}
	st.deliveries = append(st.deliveries, d)
	h, ok := st.hooks.get(j.hookID)
	if !ok {
		return
	}
	if err == nil {
		h.failures = 0
		return
	}
	h.failures++
	if h.failures >= hookInvalidAfter {
		h.Validity = "INVALID"
	}
	if due, ok := retryDue(j.base, j.attempt); ok {
		r := *j
		r.attempt, r.dueAt = j.attempt+1, due
		st.retries = append(st.retries, &r)
	}
}

// retryDue is when the retry after failed attempt n is due: every 10 minutes
// for the first hour, then every 8 hours for 3 days.
func retryDue(base int64, n int) (int64, bool) {
	switch {
	case n < 6:
		return base + int64(n+1)*600, true
	case n < 15:
		return base + 3600 + int64(n-5)*8*3600, true
	}
	return 0, false
}

// runDueRetries queues the retries the fake clock has reached. Called with
// s.mu held.
func (s *Server) runDueRetries() {
	st := s.st
	var keep []*hookJob
	for _, r := range st.retries {
		if r.dueAt > st.unix() {
			keep = append(keep, r)
			continue
		}
		if h, ok := st.hooks.get(r.hookID); ok {
			s.queueDelivery(h, r.eventType, r.resourceID, r.date, r.attempt, r.base)
		}
	}
	st.retries = keep
}
