package mangopaytest_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

func TestFaults(t *testing.T) {
	a := newAPI(t)
	u := a.owner()
	body := obj{"Owners": []string{u}, "Description": "w", "Currency": "EUR"}
	for _, tc := range []struct {
		name   string
		fault  mangopaytest.Fault
		status int
		text   string
	}{
		{"500", mangopaytest.Fault{Method: "POST", Path: "/WALLETS", Status: 500, Times: 1}, 500, `"Type":"other"`},
		{"502 plain text", mangopaytest.Fault{Path: "/wallets", Status: 502, Times: 1}, 502, "Bad Gateway"},
		{"503", mangopaytest.Fault{Status: 503, Times: 1}, 503, "Service Unavailable"},
		{"429", mangopaytest.Fault{Path: "wallets", Status: 429, Times: 1}, 429, `"Type":"rate_limit"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := a.s.Count("wallets")
			a.s.InjectFault(tc.fault)
			resp, b := a.call("POST", "/wallets", body, "Idempotency-Key", "fault-key-"+strconv.Itoa(tc.fault.Status)+"-000000")
			if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.text) {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
			if resp.Header.Get("X-RateLimit-Reset") == "" {
				t.Errorf("no rate-limit headers on a fault")
			}
			if a.s.Count("wallets") != before {
				t.Errorf("a faulted request was processed")
			}
			// Times: 1 -> the retry with the same key goes through.
			a.must(200, "POST", "/wallets", body, "Idempotency-Key", "fault-key-"+strconv.Itoa(tc.fault.Status)+"-000000")
		})
	}

	// Method/path filters and Times: 0 until cleared.
	a.s.InjectFault(mangopaytest.Fault{Method: "GET", Path: "/users", Status: 503})
	for range 2 {
		if resp, _ := a.call("GET", "/users/"+u, nil); resp.StatusCode != 503 {
			t.Errorf("GET /users: %d", resp.StatusCode)
		}
	}
	if resp, _ := a.call("GET", "/wallets/x", nil); resp.StatusCode != 404 {
		t.Errorf("an unmatched path was faulted: %d", resp.StatusCode)
	}
	a.s.ClearFaults()
	a.must(200, "GET", "/users/"+u, nil)

	// The token endpoint can be faulted too.
	a.s.InjectFault(mangopaytest.Fault{Path: "/oauth/token", Status: 500, Times: 1})
	resp, _ := a.raw("POST", a.s.URL+"/v2.01/oauth/token", strings.NewReader("grant_type=client_credentials"),
		"Authorization", basic(a.s.ClientID, a.s.APIKey), "Content-Type", "application/x-www-form-urlencoded")
	if resp.StatusCode != 500 {
		t.Errorf("token fault: %d", resp.StatusCode)
	}

	// Latency delays, then processes.
	a.s.InjectFault(mangopaytest.Fault{Path: "/users/", Latency: 150 * time.Millisecond, Times: 1})
	start := time.Now()
	a.must(200, "GET", "/users/"+u, nil)
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Errorf("latency fault: %v", el)
	}
}

func TestWithLatency(t *testing.T) {
	a := newAPI(t, mangopaytest.WithLatency(50*time.Millisecond))
	start := time.Now()
	a.must(200, "GET", "/users", nil)
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Errorf("latency: %v", el)
	}
}

func TestConcurrentClients(t *testing.T) {
	a := newAPI(t)
	u, o := a.payer(), a.owner()
	from, to := a.wallet(u, "EUR"), a.wallet(o, "EUR")
	a.payIn(u, from, a.card(u, frictionlessPAN), 10000, 0)
	done := make(chan struct{})
	for range 20 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 10 {
				resp, _ := a.call("POST", "/transfers", obj{"AuthorId": u, "DebitedWalletId": from, "CreditedWalletId": to,
					"DebitedFunds": eur(60), "Fees": eur(10)})
				if resp.StatusCode != 200 {
					t.Errorf("transfer: %d", resp.StatusCode)
				}
			}
		}()
	}
	for range 20 {
		<-done
	}
	// 200 transfers of 60 > 10000: exactly 166 succeed.
	if a.balance(from) != 10000-166*60 || a.balance(to) != 166*50 || a.s.FeesBalance("EUR") != 166*10 {
		t.Errorf("balances %d %d %d", a.balance(from), a.balance(to), a.s.FeesBalance("EUR"))
	}
}
