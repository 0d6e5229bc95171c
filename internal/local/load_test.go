package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/load"
)

// loadClient is one load client's own state; only its goroutine uses it.
type loadClient struct {
	seq    int    // requests this client sent
	userID string // the user its first request created
	key    string // that request's Idempotency-Key
}

// loadOutcome gathers, across clients, what the API answered.
type loadOutcome struct {
	mu       sync.Mutex
	users    map[string]string // Idempotency-Key -> record id answered
	wallets  map[string]string
	replays  int      // replayed creates that answered the first id
	mismatch []string // what went wrong, for the report
	byRoute  map[string]map[int]int
}

// TestLoad runs concurrent clients against the local HTTP API (loopback
// only, bounded in time): creates with Idempotency-Keys, their replays,
// reads and wallet creates. No 5xx, and no lost request: every answered
// create is a record the API returns and exactly one object at Mangopay.
// Short by default; CHAOS_LONG=1 runs the 200 clients for 30 s.
// With CHAOS_REPORT_DIR set it writes 40-load.md there.
func TestLoad(t *testing.T) {
	dumpOnFailure(t)
	clients, dur := 24, 3*time.Second
	if os.Getenv("CHAOS_LONG") != "" {
		clients, dur = 200, 30*time.Second
	}
	ctx := context.Background()
	usersBefore, walletsBefore := stack.Fake.Count("users"), stack.Fake.Count("wallets")
	state := make([]loadClient, clients)
	out := &loadOutcome{users: map[string]string{}, wallets: map[string]string{}, byRoute: map[string]map[int]int{}}
	rep, err := load.Run(ctx, load.Config{Clients: clients, Duration: dur,
		Request: func(c, _ int) (*http.Request, error) { return state[c].next(c) },
		Check: func(req *http.Request, status int, body []byte) {
			out.record(req, status, body)
			if c := &state[clientOf(req)]; c.userID == "" && status == http.StatusCreated && strings.HasSuffix(req.URL.Path, "/users/natural") {
				c.userID = idOf(body)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	// Every answered create is there, once.
	for key, id := range out.users {
		if r, err := NewClient(stack.APIURL, "check").Record(ctx, "/users/"+id); err != nil || r.SyncState != "SYNCED" {
			out.fail("user %s (key %s): %v %+v", id, key, err, r)
		}
	}
	users, wallets := stack.Fake.Count("users")-usersBefore, stack.Fake.Count("wallets")-walletsBefore
	if users != len(out.users) || wallets != len(out.wallets) {
		out.fail("Mangopay holds %d users and %d wallets for %d and %d answered creates", users, wallets, len(out.users), len(out.wallets))
	}
	writeLoadReport(t, rep, out, users, wallets)
	t.Logf("%d clients, %s: %d requests (%.0f/s), statuses %v, latency p50 %s p90 %s p99 %s max %s",
		clients, rep.Duration.Round(time.Millisecond), rep.Requests, rep.PerSecond(), rep.ByStatus,
		rep.Latency.P50, rep.Latency.P90, rep.Latency.P99, rep.Latency.Max)
	if rep.ServerErrors() > 0 || rep.Errors > 0 {
		t.Errorf("%d 5xx answers and %d requests without an answer (%v)", rep.ServerErrors(), rep.Errors, rep.ErrorSamples)
	}
	if rep.ByStatus[http.StatusCreated] == 0 || out.replays == 0 {
		t.Errorf("the run made %d creates and %d replays: too short to show anything", rep.ByStatus[http.StatusCreated], out.replays)
	}
	for _, m := range out.mismatch {
		t.Error(m)
	}
}

// next is client c's next request: a user create first, then in turn a
// replay of that create, a read of the user, a wallet create and a new
// user create.
func (lc *loadClient) next(c int) (*http.Request, error) {
	n := lc.seq
	lc.seq++
	var method, path, key string
	var body any
	switch {
	case n == 0 || lc.userID == "" || n%4 == 0:
		method, path, key = http.MethodPost, "/users/natural", fmt.Sprintf("load-%d-%d-%d", time.Now().UnixNano(), c, n)
		body = map[string]any{"external_user_id": fmt.Sprintf("load-%d", c), "user_category": "PAYER",
			"first_name": "Load", "last_name": fmt.Sprintf("Client %d", c), "email": fmt.Sprintf("load%d@example.com", c)}
		if n == 0 {
			lc.key = key
		}
	case n%4 == 1:
		method, path, key = http.MethodPost, "/users/natural", lc.key
		body = map[string]any{"external_user_id": fmt.Sprintf("load-%d", c), "user_category": "PAYER",
			"first_name": "Load", "last_name": fmt.Sprintf("Client %d", c), "email": fmt.Sprintf("load%d@example.com", c)}
	case n%4 == 2:
		method, path = http.MethodGet, "/users/"+lc.userID
	default:
		method, path, key = http.MethodPost, "/users/"+lc.userID+"/wallets", fmt.Sprintf("load-w-%d-%d-%d", time.Now().UnixNano(), c, n)
		body = map[string]any{"description": "load", "currency": "EUR"}
	}
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, stack.APIURL+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Load-Client", fmt.Sprint(c))
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	return req, nil
}

func clientOf(req *http.Request) int {
	var c int
	fmt.Sscan(req.Header.Get("X-Load-Client"), &c)
	return c
}

func idOf(body []byte) string {
	var r struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(body, &r)
	return r.ID
}

func (o *loadOutcome) fail(format string, args ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.mismatch = append(o.mismatch, fmt.Sprintf(format, args...))
}

// record keeps what each create answered and checks replays.
func (o *loadOutcome) record(req *http.Request, status int, body []byte) {
	route := req.Method + " " + routeOf(req.URL.Path)
	key, id := req.Header.Get("Idempotency-Key"), idOf(body)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.byRoute[route] == nil {
		o.byRoute[route] = map[int]int{}
	}
	o.byRoute[route][status]++
	if req.Method != http.MethodPost || status/100 != 2 {
		return
	}
	seen := o.users
	if strings.HasSuffix(req.URL.Path, "/wallets") {
		seen = o.wallets
	}
	if first, ok := seen[key]; ok {
		if first != id {
			o.mismatch = append(o.mismatch, fmt.Sprintf("key %s answered %s then %s", key, first, id))
		}
		o.replays++
		return
	}
	seen[key] = id
}

func routeOf(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if strings.Contains(p, "_") {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

// writeLoadReport writes the run's figures for RELIABILITY.md.
func writeLoadReport(t *testing.T, rep load.Report, o *loadOutcome, users, wallets int) {
	dir := os.Getenv("CHAOS_REPORT_DIR")
	if dir == "" {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## 4. Load: %d concurrent HTTP clients for %s\n\n", rep.Clients, rep.Duration.Round(time.Second))
	fmt.Fprintf(&b, "`internal/local` `TestLoad` against the local stack of `make run` (real bootstrap binaries through the local Runtime API, up to 4 processes per function, moto, the fake Mangopay), loopback only. Each client creates a user, then in turn replays that create with its Idempotency-Key, reads the user, creates a wallet and creates another user.\n\n")
	fmt.Fprintf(&b, "| figure | value |\n|---|---|\n| requests | %d (%.0f/s) |\n| 5xx answers | %d |\n| requests without an answer | %d |\n| latency p50 / p90 / p99 / max | %s / %s / %s / %s |\n| users created (answers / objects at Mangopay) | %d / %d |\n| wallets created (answers / objects at Mangopay) | %d / %d |\n| replayed creates answered with the first record | %d |\n| mismatches | %d |\n\n",
		rep.Requests, rep.PerSecond(), rep.ServerErrors(), rep.Errors,
		rep.Latency.P50.Round(time.Millisecond), rep.Latency.P90.Round(time.Millisecond), rep.Latency.P99.Round(time.Millisecond), rep.Latency.Max.Round(time.Millisecond),
		len(o.users), users, len(o.wallets), wallets, o.replays, len(o.mismatch))
	b.WriteString("| route | answers by status |\n|---|---|\n")
	routes := make([]string, 0, len(o.byRoute))
	for r := range o.byRoute {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, r := range routes {
		fmt.Fprintf(&b, "| `%s` | %v |\n", r, o.byRoute[r])
	}
	if err := os.WriteFile(filepath.Join(dir, "40-load.md"), []byte(b.String()+"\n"), 0o644); err != nil {
		t.Error(err)
	}
}
