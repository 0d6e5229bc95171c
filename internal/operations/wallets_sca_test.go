package operations_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/leakcheck"
	"github.com/lambda-mangopay/lambda-mangopay/internal/problem"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
)

// getWalletQuery reads a wallet through the HTTP face with query
// parameters.
func getWalletQuery(e *testenv.Env, id string, query map[string]string) events.APIGatewayV2HTTPResponse {
	h := api.HTTP(e.Deps.Service.GetWalletOp(), e.Deps.API)
	req := testenv.Request("GET", "/wallets/"+id, map[string]string{"wallet_id": id}, nil, nil)
	req.QueryStringParameters = query
	resp, _ := h(e.Ctx, req)
	return resp
}

// walletReads returns the wallet reads the fake received since request
// number from, and how many requests it received in all.
func walletReads(e *testenv.Env, from int, mangopayID string) ([]mangopaytest.RecordedRequest, int) {
	all := e.Fake.Requests()
	var out []mangopaytest.RecordedRequest
	for _, r := range all[from:] {
		if r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/wallets/"+mangopayID) {
			out = append(out, r)
		}
	}
	return out, len(all) - from
}

// TestGetWalletOfOwnerNeedingSCA: an OWNER whose wallets need SCA.
// get-wallet reads as a backend (USER_NOT_PRESENT) and answers 200; asked
// with sca_context=USER_PRESENT, Mangopay's challenge becomes a 403
// problem with redirect_url, after one Mangopay request and no token
// request (the old client answered 503 "refused our credentials" after
// dropping its token); once the user visited the URL, 200. The redirect
// token never reaches the logs (debug logging of Mangopay calls on).
func TestGetWalletOfOwnerNeedingSCA(t *testing.T) {
	e := testenv.NewDebug(t)
	user := acctUser(t, e, "seller-sca")
	w := record(t, createWallet(e, user.ID, map[string]any{"description": "Sales", "currency": "EUR"}, nil), http.StatusCreated)
	if err := e.Fake.RequireWalletSCA(user.MangopayID); err != nil {
		t.Fatal(err)
	}
	toks := e.Fake.TokenRequests()

	// Default: a backend read, allowed without the user.
	n := len(e.Fake.Requests())
	got := record(t, getWallet(e, w.ID), http.StatusOK)
	reads, all := walletReads(e, n, w.MangopayID)
	if len(reads) != 1 || all != 1 || reads[0].Query.Get("ScaContext") != "USER_NOT_PRESENT" || reads[0].Status != http.StatusOK {
		t.Fatalf("Mangopay received %d wallet reads of %d requests: %+v; want one with ScaContext=USER_NOT_PRESENT", len(reads), all, reads)
	}
	if got.ID != w.ID || got.Wallet == nil || got.Wallet.BalanceReadAt == nil {
		t.Fatalf("record %+v", got)
	}

	// The user is present: Mangopay asks for SCA.
	n = len(e.Fake.Requests())
	resp := getWalletQuery(e, w.ID, map[string]string{"sca_context": "USER_PRESENT"})
	if resp.StatusCode != http.StatusForbidden || resp.Headers["Content-Type"] != problem.ContentType {
		t.Fatalf("user present: %d %v %s, want 403 problem+json", resp.StatusCode, resp.Headers, resp.Body)
	}
	var d problem.Details
	testenv.Decode(t, resp.Body, &d)
	redirect, err := url.Parse(d.RedirectURL)
	if err != nil || redirect.Hostname() != "127.0.0.1" || redirect.Path != "/sca" || redirect.Query().Get("token") == "" {
		t.Fatalf("redirect_url %q (%v)", d.RedirectURL, err)
	}
	token := redirect.Query().Get("token")
	if d.Title != "Strong customer authentication required" || d.Status != http.StatusForbidden ||
		!strings.Contains(d.Detail, "redirect_url") || strings.Contains(d.Detail, token) {
		t.Fatalf("problem %+v", d)
	}
	reads, all = walletReads(e, n, w.MangopayID)
	if len(reads) != 1 || all != 1 || reads[0].Query.Get("ScaContext") != "USER_PRESENT" || reads[0].Status != http.StatusUnauthorized {
		t.Fatalf("Mangopay received %d wallet reads of %d requests: %+v; want exactly one, USER_PRESENT, answered 401", len(reads), all, reads)
	}
	if n := e.Fake.TokenRequests(); n != toks {
		t.Fatalf("%d token requests after the SCA answer: it is not a credentials problem", n-toks)
	}

	// The user completes SCA at the URL; the same request passes.
	page, err := http.Get(d.RedirectURL)
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != http.StatusOK {
		t.Fatalf("SCA page: %d", page.StatusCode)
	}
	record(t, getWalletQuery(e, w.ID, map[string]string{"sca_context": "USER_PRESENT"}), http.StatusOK)
	if n := e.Fake.TokenRequests(); n != toks {
		t.Fatalf("%d token requests in all since the first read, want none", n-toks)
	}

	logs := e.Logs()
	if !strings.Contains(logs, `"status":403`) || !strings.Contains(logs, `"status":401`) {
		t.Fatalf("the 403 answer or the debug line of Mangopay's 401 is missing from the logs:\n%s", logs)
	}
	if strings.Contains(logs, token) || strings.Contains(logs, d.RedirectURL) {
		t.Fatalf("the logs hold the SCA redirect token:\n%s", logs)
	}
	if found := leakcheck.Scan([]byte(logs), e.Fake.Secrets()...); len(found) > 0 {
		t.Fatalf("leaks in the logs: %v", found)
	}
}

// TestGetWalletRejectsBadScaContext: a value outside the enum is a 400
// naming sca_context, before any Mangopay call.
func TestGetWalletRejectsBadScaContext(t *testing.T) {
	e := testenv.New(t)
	user := acctUser(t, e, "seller-sca-bad")
	w := record(t, createWallet(e, user.ID, map[string]any{"description": "Sales", "currency": "EUR"}, nil), http.StatusCreated)
	for _, v := range []string{"user_present", "MAYBE", "USER_PRESENT ", "true"} {
		t.Run(v, func(t *testing.T) {
			n := len(e.Fake.Requests())
			wantFields(t, problemFields(t, getWalletQuery(e, w.ID, map[string]string{"sca_context": v}), http.StatusBadRequest), "sca_context")
			if len(e.Fake.Requests()) != n {
				t.Fatal("a bad sca_context reached Mangopay")
			}
		})
	}
	// Both values of the enum pass (this OWNER needs no SCA).
	for _, v := range []string{"USER_PRESENT", "USER_NOT_PRESENT"} {
		record(t, getWalletQuery(e, w.ID, map[string]string{"sca_context": v}), http.StatusOK)
	}
}
