package mangopaytest

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Fault makes the fake misbehave on matching requests. The first registered
// fault that matches a request applies to it.
type Fault struct {
	// Method is the HTTP method to match; "" matches any.
	Method string
	// Path is a case-insensitive substring of the path after
	// /v2.01/{ClientId} (e.g. "/payouts"); "/oauth/token" matches the token
	// endpoint; for the PCI, 3DS and web pages it is the whole path. ""
	// matches any path.
	Path string
	// Status, when not 0, is answered instead of processing the request.
	// 429 uses the rate_limit body and X-RateLimit headers; 502, 503 and 504
	// answer a plain-text gateway page, like a load balancer would; other
	// statuses a Mangopay-shaped error of Type "other".
	Status int
	// DropAfterCommit processes the request fully (objects created,
	// idempotency entry stored, hooks queued) and then closes the connection
	// without a response, so the client sees a network error.
	DropAfterCommit bool
	// Latency is an extra real delay before answering.
	Latency time.Duration
	// Times is how many matching requests the fault applies to; 0 means until
	// ClearFaults.
	Times int
}

// InjectFault registers a fault.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults = append(s.st.faults, &f)
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults = nil
}

// takeFault returns (a copy of) the first fault matching the request and
// uses up one of its Times; the zero Fault when none matches.
func (s *Server) takeFault(method, rel string) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	lrel := strings.ToLower(rel)
	for i, f := range s.st.faults {
		if f.Method != "" && !strings.EqualFold(f.Method, method) {
			continue
		}
		if f.Path != "" && !strings.Contains(lrel, strings.ToLower(f.Path)) {
			continue
		}
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.st.faults = append(s.st.faults[:i:i], s.st.faults[i+1:]...)
			}
		}
		return *f
	}
	return Fault{}
}

// faultReply is the answer of a fault with a Status.
func (s *Server) faultReply(status int, t target) *reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rep *reply
	switch status {
	case http.StatusTooManyRequests:
		rep = s.rateLimitReply()
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		text := http.StatusText(status)
		rep = &reply{status: status, ctype: "text/html; charset=utf-8",
			body: []byte("<html><head><title>" + text + "</title></head><body><h1>" + text + "</h1></body></html>\n")}
	default:
		rep = s.st.apiError(status, "other", "An unexpected error occurred ("+http.StatusText(status)+")", nil)
	}
	if t.isAPI() {
		s.countCall()
		s.addRateHeaders(rep)
	}
	return rep
}

// RecordedRequest is one request the fake received (controls excepted).
type RecordedRequest struct {
	// Method is the HTTP method.
	Method string
	// Path is the request path as received, e.g. "/v2.01/fakeclient/users/natural".
	Path string
	// Query is the parsed query string.
	Query url.Values
	// IdempotencyKey is the Idempotency-Key header, if any.
	IdempotencyKey string
	// Status is the HTTP status answered; 0 when the connection was dropped
	// (or while the request is still being processed).
	Status int
	// Header is a copy of the request headers.
	Header http.Header
}

func (s *Server) recordRequest(r *http.Request, t target) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.kind == kindToken {
		s.st.tokenReqs++
	}
	q := r.URL.Query()
	if t.kind == kindPCI {
		q = url.Values{} // never keep card data, even if sent in a query
	}
	s.st.requests = append(s.st.requests, RecordedRequest{
		Method: r.Method, Path: r.URL.Path, Query: q,
		IdempotencyKey: r.Header.Get("Idempotency-Key"), Header: r.Header.Clone(),
	})
	return len(s.st.requests) - 1
}

func (s *Server) setRequestStatus(i, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.requests[i].Status = status
}

// Requests returns every request received so far, in order: API calls, the
// token endpoint, the PCI vault and the 3DS/web pages (not the /__fake/
// controls).
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RecordedRequest, len(s.st.requests))
	for i, r := range s.st.requests {
		r.Query = cloneValues(r.Query)
		r.Header = r.Header.Clone()
		out[i] = r
	}
	return out
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// TokenRequests is how many requests reached the token endpoint (including
// failed ones).
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.tokenReqs
}
