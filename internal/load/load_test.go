package load

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCountsEveryAnswerTheServerGave(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if n%10 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		w.Write([]byte(r.URL.Query().Get("n")))
	}))
	t.Cleanup(srv.Close)
	var checked atomic.Int64
	rep, err := Run(context.Background(), Config{Clients: 8, Duration: time.Minute, MaxRequests: 200,
		Request: func(c, n int) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, srv.URL+"/?n="+strconv.Itoa(n), nil)
		},
		Check: func(req *http.Request, status int, body []byte) {
			if string(body) == req.URL.Query().Get("n") {
				checked.Add(1)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 200 || served.Load() != 200 || checked.Load() != 200 {
		t.Fatalf("sent %d, served %d, checked %d: want 200 each", rep.Requests, served.Load(), checked.Load())
	}
	if rep.ByStatus[200] != 180 || rep.ServerErrors() != 20 || rep.Errors != 0 {
		t.Fatalf("by status %v, errors %d: want 180 OK and 20 5xx", rep.ByStatus, rep.Errors)
	}
	if rep.Latency.P50 <= 0 || rep.Latency.P50 > rep.Latency.P99 || rep.Latency.P99 > rep.Latency.Max {
		t.Fatalf("latency %+v is not ordered", rep.Latency)
	}
}

func TestRunRefusesAnyTargetButLoopback(t *testing.T) {
	for _, u := range []string{"http://localhost:1/", "http://10.0.0.1/", "http://example.com/", "http://[::1]:1/"} {
		_, err := Run(context.Background(), Config{Clients: 1, Duration: time.Minute, MaxRequests: 1,
			Request: func(c, n int) (*http.Request, error) { return http.NewRequest(http.MethodGet, u, nil) }})
		if !errors.Is(err, ErrNotLoopback) {
			t.Errorf("%s: got %v, want ErrNotLoopback", u, err)
		}
	}
}

func TestSummariseUsesNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := Summarise(ds)
	want := Percentiles{P50: 50 * time.Millisecond, P90: 90 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if (Summarise(nil) != Percentiles{}) {
		t.Fatal("empty input must give zero percentiles")
	}
	if one := Summarise([]time.Duration{7}); one.P50 != 7 || one.P99 != 7 {
		t.Fatalf("one sample: %+v", one)
	}
}
