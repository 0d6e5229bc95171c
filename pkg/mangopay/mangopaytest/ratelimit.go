package mangopaytest

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// rateWindows are the four sliding windows, in seconds: 15 min, 30 min, 1 h,
// 24 h.
var rateWindows = [4]int64{15 * 60, 30 * 60, 60 * 60, 24 * 60 * 60}

// withRateLimit runs f under the state lock as one API call: when limits are
// enforced and a window is full it answers 429 instead; otherwise the call is
// counted. Either way the X-RateLimit headers are added.
func (s *Server) withRateLimit(f func() *reply) *reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rep *reply
	if s.cfg.enforce && s.rateExceeded() {
		rep = s.rateLimitReply()
	} else {
		s.countCall()
		rep = f()
	}
	s.addRateHeaders(rep)
	return rep
}

// countCall records one call at the current fake time.
func (s *Server) countCall() {
	st := s.st
	now := st.unix()
	cut := now - rateWindows[3]
	i := sort.Search(len(st.calls), func(i int) bool { return st.calls[i] > cut })
	st.calls = append(st.calls[i:], now)
}

// windowCount is how many calls fall in window w, and the oldest of them.
func (s *Server) windowCount(w int) (int, int64) {
	st := s.st
	cut := st.unix() - rateWindows[w]
	i := sort.Search(len(st.calls), func(i int) bool { return st.calls[i] > cut })
	if i == len(st.calls) {
		return 0, 0
	}
	return len(st.calls) - i, st.calls[i]
}

func (s *Server) rateExceeded() bool {
	for w := range rateWindows {
		if n, _ := s.windowCount(w); n >= s.cfg.limits[w] {
			return true
		}
	}
	return false
}

// addRateHeaders sets X-RateLimit (calls made), X-RateLimit-Remaining and
// X-RateLimit-Reset (when the oldest call of each window leaves it), one
// comma-separated value per window.
func (s *Server) addRateHeaders(rep *reply) {
	var made, left, reset [4]string
	for w := range rateWindows {
		n, oldest := s.windowCount(w)
		at := s.st.unix() + rateWindows[w]
		if n > 0 {
			at = oldest + rateWindows[w]
		}
		made[w] = strconv.Itoa(n)
		left[w] = strconv.Itoa(max(s.cfg.limits[w]-n, 0))
		reset[w] = strconv.FormatInt(at, 10)
	}
	if rep.header == nil {
		rep.header = http.Header{}
	}
	rep.header.Set("X-RateLimit", strings.Join(made[:], ", "))
	rep.header.Set("X-RateLimit-Remaining", strings.Join(left[:], ", "))
	rep.header.Set("X-RateLimit-Reset", strings.Join(reset[:], ", "))
}

// rateLimitReply is the 429 rate_limit answer ("errors": null).
func (s *Server) rateLimitReply() *reply {
	return s.st.apiError(http.StatusTooManyRequests, "rate_limit", msgRateLimit, nil)
}
