package mangopaytest_test

import (
	"net/url"
	"testing"
	"time"
)

// transferRedirect checks the PendingUserAction of a transfer waiting for
// SCA and returns its redirect URL.
func transferRedirect(t *testing.T, tr obj) string {
	t.Helper()
	pua, _ := tr["PendingUserAction"].(map[string]any)
	redirect := str(pua["RedirectUrl"])
	u, err := url.Parse(redirect)
	if tr["Status"] != "CREATED" || tr["ResultCode"] != nil || err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" ||
		u.Path != "/sca" || u.Query().Get("token") == "" {
		t.Fatalf("transfer %v: want CREATED with PendingUserAction.RedirectUrl http://127.0.0.1:<port>/sca?token=...", tr)
	}
	return redirect
}

// eventsOf counts the events of a type about a resource.
func eventsOf(a *api, eventType, id string) int {
	a.t.Helper()
	l, _ := a.list("/events?EventType=" + eventType + "&per_page=100")
	n := 0
	for _, e := range l {
		if e["ResourceId"] == id {
			n++
		}
	}
	return n
}

// TestTransferSCA: the life of a transfer between two OWNER users whose
// author needs SCA.
func TestTransferSCA(t *testing.T) {
	const funds, debited, fees = 10000, 3000, 300
	tests := []struct {
		name       string
		author     string // "owner" or "payer"
		scaContext any    // nil: not sent
		mark       bool   // RequireTransferSCA on the author
		// then: "visit" the redirect URL, or "expire" (10 min), or "" for
		// a transfer settled at once.
		then       string
		status     string
		resultCode string
	}{
		{"user present, SCA completed", "owner", "USER_PRESENT", true, "visit", "SUCCEEDED", "000000"},
		{"no ScaContext taken as user present", "owner", nil, true, "visit", "SUCCEEDED", "000000"},
		{"user present, SCA not done in 10 min", "owner", "USER_PRESENT", true, "expire", "FAILED", "007102"},
		{"user not present: pending SCA", "owner", "USER_NOT_PRESENT", true, "", "FAILED", "002704"},
		{"author not marked", "owner", "USER_PRESENT", false, "", "SUCCEEDED", "000000"},
		{"PAYER to OWNER unaffected", "payer", "USER_PRESENT", false, "", "SUCCEEDED", "000000"},
		{"PAYER to OWNER, user not present", "payer", "USER_NOT_PRESENT", false, "", "SUCCEEDED", "000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t)
			var author string
			if tt.author == "payer" {
				author = a.payer()
			} else {
				author = a.owner()
			}
			seller := a.owner()
			from, to := a.wallet(author, "EUR"), a.wallet(seller, "EUR")
			a.payIn(author, from, a.card(author, frictionlessPAN), funds, 0)
			if tt.mark {
				a.ctl("POST", "/users/"+author+"/transfer-sca", "", 200)
			}
			fees0 := a.s.FeesBalance("EUR")
			body := obj{"AuthorId": author, "DebitedWalletId": from, "CreditedWalletId": to, "DebitedFunds": eur(debited), "Fees": eur(fees)}
			if tt.scaContext != nil {
				body["ScaContext"] = tt.scaContext
			}
			tr := a.must(200, "POST", "/transfers", body)
			id := str(tr["Id"])
			if tt.then != "" {
				redirect := transferRedirect(t, tr)
				// Nothing moves while SCA is pending; GET shows the same URL.
				if a.balance(from) != funds || a.balance(to) != 0 {
					t.Fatalf("balances %d/%d while SCA is pending", a.balance(from), a.balance(to))
				}
				if got := transferRedirect(t, a.must(200, "GET", "/transfers/"+id, nil)); got != redirect {
					t.Fatalf("GET redirect %q, want %q", got, redirect)
				}
				a.advance(9 * time.Minute)
				if tr := a.must(200, "GET", "/transfers/"+id, nil); tr["Status"] != "CREATED" {
					t.Fatalf("after 9 min: %v", tr)
				}
				switch tt.then {
				case "visit":
					if resp, b := a.raw("GET", redirect, nil); resp.StatusCode != 200 {
						t.Fatalf("SCA page: %d %s", resp.StatusCode, b)
					}
				case "expire":
					a.advance(time.Minute)
				}
				// The token is dead either way.
				if resp, _ := a.raw("GET", redirect, nil); resp.StatusCode != 404 {
					t.Fatalf("SCA page after the end: %d, want 404", resp.StatusCode)
				}
				tok, _ := url.Parse(redirect)
				found := false
				for _, s := range a.s.Secrets() {
					found = found || s == tok.Query().Get("token")
				}
				if !found {
					t.Error("Secrets() does not list the transfer's SCA token")
				}
				tr = a.must(200, "GET", "/transfers/"+id, nil)
			}
			if tr["Status"] != tt.status || tr["ResultCode"] != tt.resultCode || tr["PendingUserAction"] != nil {
				t.Fatalf("transfer %v, want %s %s without PendingUserAction", tr, tt.status, tt.resultCode)
			}
			if tt.scaContext != nil && tr["ScaContext"] != tt.scaContext {
				t.Errorf("ScaContext %v, want %v", tr["ScaContext"], tt.scaContext)
			}
			wantFrom, wantTo, wantFees := int64(funds), int64(0), int64(0)
			if tt.status == "SUCCEEDED" {
				wantFrom, wantTo, wantFees = funds-debited, debited-fees, fees
			}
			if a.balance(from) != wantFrom || a.balance(to) != wantTo || a.s.FeesBalance("EUR")-fees0 != wantFees {
				t.Fatalf("balances %d/%d, fees +%d; want %d/%d, +%d", a.balance(from), a.balance(to), a.s.FeesBalance("EUR")-fees0,
					wantFrom, wantTo, wantFees)
			}
			succeeded, failed := eventsOf(a, "TRANSFER_NORMAL_SUCCEEDED", id), eventsOf(a, "TRANSFER_NORMAL_FAILED", id)
			if tt.status == "SUCCEEDED" && (succeeded != 1 || failed != 0) || tt.status == "FAILED" && (succeeded != 0 || failed != 1) {
				t.Fatalf("events: %d SUCCEEDED, %d FAILED for a %s transfer", succeeded, failed, tt.status)
			}
			if eventsOf(a, "TRANSFER_NORMAL_CREATED", id) != 1 {
				t.Error("no TRANSFER_NORMAL_CREATED event")
			}
		})
	}
}

// TestTransferSCAControls: only OWNER users can be marked; a bad ScaContext
// is a param_error; a transfer that would fail anyway fails at once, with
// no SCA; the balance is checked again when SCA completes.
func TestTransferSCAControls(t *testing.T) {
	a := newAPI(t)
	owner, payer, seller := a.owner(), a.payer(), a.owner()
	if err := a.s.RequireTransferSCA(payer); err == nil {
		t.Error("RequireTransferSCA accepted a PAYER")
	}
	if err := a.s.RequireTransferSCA("user_m_nobody"); err == nil {
		t.Error("RequireTransferSCA accepted an unknown user")
	}
	a.ctl("POST", "/users/"+payer+"/transfer-sca", "", 400)
	if err := a.s.RequireTransferSCA(owner); err != nil {
		t.Fatal(err)
	}
	from, to, own2 := a.wallet(owner, "EUR"), a.wallet(seller, "EUR"), a.wallet(owner, "EUR")
	a.payIn(owner, from, a.card(owner, frictionlessPAN), 1000, 0)
	for _, v := range []string{"user_present", "MAYBE", "USER_PRESENT "} {
		a.apiErr(400, "param_error", "POST", "/transfers", obj{"AuthorId": owner, "DebitedWalletId": from, "CreditedWalletId": to,
			"DebitedFunds": eur(10), "Fees": eur(0), "ScaContext": v}, "ScaContext")
	}
	// Too little money: FAILED at once, no SCA asked.
	poor := a.must(200, "POST", "/transfers", obj{"AuthorId": owner, "DebitedWalletId": from, "CreditedWalletId": to,
		"DebitedFunds": eur(5000), "Fees": eur(0), "ScaContext": "USER_PRESENT"})
	if poor["Status"] != "FAILED" || poor["ResultCode"] != "001001" || poor["PendingUserAction"] != nil {
		t.Fatalf("insufficient transfer: %v", poor)
	}
	// Between two wallets of the same OWNER: no SCA.
	self := a.must(200, "POST", "/transfers", obj{"AuthorId": owner, "DebitedWalletId": from, "CreditedWalletId": own2,
		"DebitedFunds": eur(100), "Fees": eur(0), "ScaContext": "USER_PRESENT"})
	if self["Status"] != "SUCCEEDED" {
		t.Fatalf("transfer between one owner's wallets: %v", self)
	}
	// Two transfers wait; the first completed takes the money, the second
	// finds too little when its SCA completes.
	body := obj{"AuthorId": owner, "DebitedWalletId": from, "CreditedWalletId": to, "DebitedFunds": eur(600), "Fees": eur(0), "ScaContext": "USER_PRESENT"}
	r1 := transferRedirect(t, a.must(200, "POST", "/transfers", body))
	second := a.must(200, "POST", "/transfers", body)
	r2 := transferRedirect(t, second)
	if r1 == r2 {
		t.Fatal("two transfers share an SCA token")
	}
	a.raw("GET", r1, nil)
	a.raw("GET", r2, nil)
	if got := a.must(200, "GET", "/transfers/"+str(second["Id"]), nil); got["Status"] != "FAILED" || got["ResultCode"] != "001001" {
		t.Fatalf("second transfer after SCA: %v", got)
	}
	if a.balance(from) != 300 || a.balance(to) != 600 {
		t.Fatalf("balances %d/%d, want 300/600", a.balance(from), a.balance(to))
	}
	// Lifted: the next transfer settles at once.
	a.s.ClearTransferSCA(owner)
	if tr := a.must(200, "POST", "/transfers", obj{"AuthorId": owner, "DebitedWalletId": from, "CreditedWalletId": to,
		"DebitedFunds": eur(100), "Fees": eur(0), "ScaContext": "USER_PRESENT"}); tr["Status"] != "SUCCEEDED" {
		t.Fatalf("after ClearTransferSCA: %v", tr)
	}
}
