package mangopay

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RateLimitWindow is one of Mangopay's sliding windows.
type RateLimitWindow struct {
	// Period is the window length: 15 min, 30 min, 1 h or 24 h.
	Period time.Duration
	// Made is the number of calls counted in the window.
	Made int
	// Remaining is the number of calls left.
	Remaining int
	// Reset is when the window resets.
	Reset time.Time
}

// RateLimits are the four windows, in the order 15 min, 30 min, 1 h, 24 h.
// Known is false until a response carried the headers.
type RateLimits struct {
	Known   bool
	Windows [4]RateLimitWindow
}

// Periods of the four windows, in header order.
var windowPeriods = [4]time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, 24 * time.Hour}

// MinRemaining returns the smallest remaining allowance across the windows,
// and the window it belongs to. ok is false when nothing is known.
func (r RateLimits) MinRemaining() (w RateLimitWindow, ok bool) {
	if !r.Known {
		return RateLimitWindow{}, false
	}
	w = r.Windows[0]
	for _, x := range r.Windows[1:] {
		if x.Remaining < w.Remaining {
			w = x
		}
	}
	return w, true
}

// ParseRateLimits reads X-RateLimit, X-RateLimit-Remaining and
// X-RateLimit-Reset (comma-separated, one value per window).
func ParseRateLimits(h http.Header) RateLimits {
	made := splitInts(h.Get("X-RateLimit"))
	remaining := splitInts(h.Get("X-RateLimit-Remaining"))
	reset := splitInts(h.Get("X-RateLimit-Reset"))
	if len(remaining) == 0 && len(reset) == 0 {
		return RateLimits{}
	}
	var r RateLimits
	r.Known = true
	for i := range r.Windows {
		w := RateLimitWindow{Period: windowPeriods[i]}
		if i < len(made) {
			w.Made = int(made[i])
		}
		if i < len(remaining) {
			w.Remaining = int(remaining[i])
		}
		if i < len(reset) && reset[i] > 0 {
			w.Reset = time.Unix(reset[i], 0).UTC()
		}
		r.Windows[i] = w
	}
	return r
}

func splitInts(s string) []int64 {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := make([]int64, 0, len(parts))
	for _, p := range parts {
		n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil {
			n = 0
		}
		out = append(out, n)
	}
	return out
}
