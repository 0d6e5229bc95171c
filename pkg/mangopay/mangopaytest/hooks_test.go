package mangopaytest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// receiver is a hook endpoint on 127.0.0.1 that records the calls and
// answers the statuses queued in fail (then 200).
type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	calls []*http.Request
	fails atomic.Int32
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.calls = append(r.calls, req)
		r.mu.Unlock()
		if r.fails.Add(-1) >= 0 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) got() []*http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*http.Request(nil), r.calls...)
}

func TestHookDelivery(t *testing.T) {
	a := newAPI(t)
	rcv := newReceiver(t)
	h := a.must(200, "POST", "/hooks", obj{"EventType": "PAYIN_NORMAL_SUCCEEDED", "Url": rcv.URL + "/hook?src=fake"})
	if h["Status"] != "ENABLED" || h["Validity"] != "VALID" || !strings.HasPrefix(str(h["Id"]), "hook_m_") {
		t.Fatalf("hook: %v", h)
	}
	a.apiErr(400, "param_error", "POST", "/hooks", obj{"EventType": "PAYIN_NORMAL_SUCCEEDED", "Url": rcv.URL}, "EventType")
	a.apiErr(400, "param_error", "POST", "/hooks", obj{"EventType": "NOT_AN_EVENT", "Url": "nope"}, "EventType", "Url")

	u := a.payer()
	w := a.wallet(u, "EUR")
	p := a.payIn(u, w, a.card(u, frictionlessPAN), 1000, 0)
	a.s.WaitHooks()
	calls := rcv.got()
	if len(calls) != 1 {
		t.Fatalf("calls: %d", len(calls))
	}
	q := calls[0].URL.Query()
	if calls[0].Method != "GET" || q.Get("EventType") != "PAYIN_NORMAL_SUCCEEDED" || q.Get("RessourceId") != p["Id"] ||
		q.Get("Date") == "" || q.Get("src") != "fake" || calls[0].ContentLength > 0 {
		t.Errorf("hook call: %s %s", calls[0].Method, calls[0].URL)
	}
	d := a.s.HookDeliveries()
	if len(d) != 1 || d[0].Status != 200 || d[0].Err != "" || d[0].RessourceId != p["Id"] {
		t.Errorf("deliveries: %+v", d)
	}

	// Disabled: no call. Re-enabled: called again.
	a.must(200, "PUT", "/hooks/"+str(h["Id"]), obj{"Status": "DISABLED"})
	a.payIn(u, w, a.card(u, frictionlessPAN), 1000, 0)
	a.s.WaitHooks()
	if n := len(rcv.got()); n != 1 {
		t.Errorf("a disabled hook was called: %d", n)
	}
	if l, _ := a.list("/hooks?Status=DISABLED"); len(l) != 1 {
		t.Errorf("disabled hooks: %d", len(l))
	}
}

func TestHookRetries(t *testing.T) {
	a := newAPI(t)
	rcv := newReceiver(t)
	rcv.fails.Store(2)
	a.must(200, "POST", "/hooks", obj{"EventType": "TRANSFER_NORMAL_SUCCEEDED", "Url": rcv.URL})
	u, o := a.payer(), a.owner()
	from, to := a.wallet(u, "EUR"), a.wallet(o, "EUR")
	a.payIn(u, from, a.card(u, frictionlessPAN), 100, 0)
	a.must(200, "POST", "/transfers", obj{"AuthorId": u, "DebitedWalletId": from, "CreditedWalletId": to, "DebitedFunds": eur(10), "Fees": eur(0)})
	a.s.WaitHooks()
	a.advance(9 * time.Minute)
	a.s.WaitHooks()
	if n := len(rcv.got()); n != 1 {
		t.Fatalf("calls before the first retry: %d", n)
	}
	a.advance(time.Minute)
	a.s.WaitHooks()
	a.advance(10 * time.Minute)
	a.s.WaitHooks()
	d := a.s.HookDeliveries()
	if len(d) != 3 || d[0].Status != 500 || d[1].Status != 500 || d[2].Status != 200 || d[0].Date != d[2].Date {
		t.Errorf("deliveries: %+v", d)
	}
	a.advance(72 * time.Hour)
	a.s.WaitHooks()
	if n := len(rcv.got()); n != 3 {
		t.Errorf("calls after a success: %d", n)
	}
}

func TestHookSafetyAndInvalidity(t *testing.T) {
	a := newAPI(t)
	h := a.must(200, "POST", "/hooks", obj{"EventType": "KYC_CREATED", "Url": "https://example.com/hook"})
	u := a.owner()
	for range 100 {
		a.must(200, "POST", "/users/"+u+"/kyc/documents", obj{"Type": "IDENTITY_PROOF"})
	}
	a.s.WaitHooks()
	d := a.s.HookDeliveries()
	if len(d) != 100 || d[0].Status != 0 || !strings.Contains(d[0].Err, "loopback") {
		t.Fatalf("non-loopback deliveries: %d, first %+v", len(d), d[0])
	}
	got := a.must(200, "GET", "/hooks/"+str(h["Id"]), nil)
	if got["Validity"] != "INVALID" {
		t.Errorf("after 100 failures: %v", got)
	}
	a.must(200, "POST", "/users/"+u+"/kyc/documents", obj{"Type": "IDENTITY_PROOF"})
	a.s.WaitHooks()
	if n := len(a.s.HookDeliveries()); n != 100 {
		t.Errorf("an INVALID hook was called: %d", n)
	}
	if got := a.must(200, "PUT", "/hooks/"+str(h["Id"]), obj{"Validity": "VALID"}); got["Validity"] != "VALID" {
		t.Errorf("reset: %v", got)
	}
}

func TestSlowHookDoesNotBlock(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the 2 s hook timeout")
	}
	a := newAPI(t)
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	a.must(200, "POST", "/hooks", obj{"EventType": "KYC_CREATED", "Url": slow.URL})
	u := a.owner()
	start := time.Now()
	a.must(200, "POST", "/users/"+u+"/kyc/documents", obj{"Type": "IDENTITY_PROOF"})
	a.must(200, "GET", "/users/"+u, nil)
	if el := time.Since(start); el > time.Second {
		t.Errorf("API calls took %v with a slow hook receiver", el)
	}
	a.s.WaitHooks()
	d := a.s.HookDeliveries()
	if el := time.Since(start); len(d) != 1 || d[0].Err == "" || el < 2*time.Second || el > 4*time.Second {
		t.Errorf("slow delivery after %v: %+v", el, d)
	}
}
