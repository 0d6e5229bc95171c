package peer

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

// The report's calls are the fake's recorded requests: one run must make
// exactly the calls CallsPerIteration claims, plus one token, and leave
// what the sequence says (a payout per iteration).
func TestRunMakesTheCallsItClaims(t *testing.T) {
	for _, n := range []int{1, 3} {
		srv := mangopaytest.NewServer(t)
		var out bytes.Buffer
		arg := strings.Join([]string{srv.URL, srv.ClientID, srv.APIKey, string(rune('0' + n))}, ",")
		if err := Main(context.Background(), arg, &out); err != nil {
			t.Fatal(err)
		}
		var res struct {
			Iterations int     `json:"iterations"`
			Seconds    float64 `json:"seconds"`
			VmHWM      int64   `json:"vm_hwm_bytes"`
		}
		if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.Iterations != n || res.Seconds <= 0 || res.VmHWM <= 0 {
			t.Fatalf("Main printed %q (%v)", out.String(), err)
		}
		reqs := srv.Requests()
		if got, want := len(reqs), n*CallsPerIteration+1; got != want {
			t.Errorf("n=%d: the fake recorded %d requests, want %d", n, got, want)
			for _, r := range reqs {
				t.Logf("%+v", r)
			}
		}
		if got := srv.Count("payouts"); got != n {
			t.Errorf("n=%d: %d payouts, want %d", n, got, n)
		}
	}
}

func TestMainRefusesBadArguments(t *testing.T) {
	for _, arg := range []string{"", "http://127.0.0.1:1,id,key", "http://127.0.0.1:1,id,key,x"} {
		if err := Main(context.Background(), arg, &bytes.Buffer{}); err == nil {
			t.Errorf("Main(%q) = nil, want an error", arg)
		}
	}
}
