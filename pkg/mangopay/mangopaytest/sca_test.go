package mangopaytest_test

import (
	"net/url"
	"strings"
	"testing"
)

// scaRedirect checks a PendingUserAction challenge (401, no body, the
// header) and returns its redirect URL.
func scaRedirect(t *testing.T, a *api, path string) string {
	t.Helper()
	resp, b := a.call("GET", path, nil)
	if resp.StatusCode != 401 || len(b) != 0 {
		t.Fatalf("GET %s: %d %q, want 401 with no body", path, resp.StatusCode, b)
	}
	h := resp.Header.Get("WWW-Authenticate")
	rest, ok := strings.CutPrefix(h, "PendingUserAction redirectUrl=")
	if !ok {
		t.Fatalf("GET %s: WWW-Authenticate %q", path, h)
	}
	u, err := url.Parse(rest)
	if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Path != "/sca" || u.Query().Get("token") == "" {
		t.Fatalf("GET %s: redirect URL %q (%v): want http://127.0.0.1:<port>/sca?token=...", path, rest, err)
	}
	return rest
}

func TestWalletSCA(t *testing.T) {
	a := newAPI(t)
	owner, payer := a.owner(), a.payer()
	w, pw := a.wallet(owner, "EUR"), a.wallet(payer, "EUR")
	if err := a.s.RequireWalletSCA(payer); err == nil {
		t.Error("RequireWalletSCA accepted a PAYER")
	}
	if err := a.s.RequireWalletSCA("user_m_nobody"); err == nil {
		t.Error("RequireWalletSCA accepted an unknown user")
	}
	// Through the control, as a standalone fake's user would.
	a.ctl("POST", "/users/"+owner+"/wallet-sca", "", 200)
	a.ctl("POST", "/users/"+payer+"/wallet-sca", "", 400)
	if !a.s.WalletSCAPending(owner) {
		t.Fatal("SCA not pending after the control")
	}

	reads := []string{"/wallets/" + w, "/users/" + owner + "/wallets", "/wallets/" + w + "/transactions"}
	var redirect string
	for _, path := range reads {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		for _, q := range []string{"", sep + "ScaContext=USER_PRESENT"} {
			got := scaRedirect(t, a, path+q)
			if redirect != "" && got != redirect {
				t.Errorf("GET %s: redirect %q, want the pending one %q", path+q, got, redirect)
			}
			redirect = got
		}
		// The backend read, without the user, is allowed (our reading of §7).
		a.must(200, "GET", path+sep+"ScaContext=USER_NOT_PRESENT", nil)
	}

	// A value outside the enum is a param_error naming ScaContext, for
	// every user and before anything else.
	for _, path := range append(reads, "/wallets/"+pw, "/users/"+payer+"/wallets", "/wallets/wlt_m_unknown") {
		for _, v := range []string{"user_present", "MAYBE", ""} {
			a.apiErr(400, "param_error", "GET", path+"?ScaContext="+v, nil, "ScaContext")
		}
	}

	// PAYER users are unaffected.
	a.must(200, "GET", "/wallets/"+pw, nil)
	a.list("/users/" + payer + "/wallets")

	// The challenge says nothing to a request that is not authenticated.
	resp, _ := a.raw("GET", a.url("/wallets/"+w), nil)
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != "" {
		t.Errorf("no bearer: %d %q, want the plain invalid_credentials 401", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}

	// Visiting the redirect URL completes SCA; it works once.
	resp, body := a.raw("GET", redirect, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "completed") {
		t.Fatalf("SCA page: %d %s", resp.StatusCode, body)
	}
	if a.s.WalletSCAPending(owner) {
		t.Fatal("SCA still pending after the visit")
	}
	for _, path := range reads {
		a.must(200, "GET", path, nil)
	}
	if resp, _ := a.raw("GET", redirect, nil); resp.StatusCode != 404 {
		t.Errorf("used SCA token: %d, want 404", resp.StatusCode)
	}
	if resp, _ := a.raw("GET", a.s.URL+"/sca?token=nope", nil); resp.StatusCode != 404 {
		t.Errorf("unknown SCA token: %d, want 404", resp.StatusCode)
	}

	// Asked again, a new token; the old one stays dead.
	if err := a.s.RequireWalletSCA(owner); err != nil {
		t.Fatal(err)
	}
	again := scaRedirect(t, a, "/wallets/"+w)
	if again == redirect {
		t.Error("a new SCA request reuses the completed token")
	}
	tok, _ := url.Parse(again)
	found := false
	for _, s := range a.s.Secrets() {
		found = found || s == tok.Query().Get("token")
	}
	if !found {
		t.Error("Secrets() does not list the SCA token")
	}
}
