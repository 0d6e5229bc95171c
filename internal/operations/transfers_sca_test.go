package operations_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/leakcheck"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// TestTransferBetweenOwnersWaitsForSCA: a transfer between two OWNER users
// whose author needs SCA, with sca_context=USER_PRESENT, answers 201 with
// redirect_url and a CREATED record due for re-check, nothing moved. The
// user completes SCA there (or not, within 10 minutes); a hook, or the
// forced re-check, brings the record to its final status with exactly one
// outcome event. The token never reaches the logs (debug logging on).
func TestTransferBetweenOwnersWaitsForSCA(t *testing.T) {
	e := testenv.NewDebug(t)
	h := newHooks(t, e)
	if _, err := h.RegisterHooks(e.Ctx, hookReceiver(t, e, h)); err != nil {
		t.Fatal(err)
	}
	a, b := txNewPerson(t, e, "seller-a", "OWNER", "EUR"), txNewPerson(t, e, "seller-b", "OWNER", "EUR")
	txPayIn(t, e, a, 10000, 0)
	if err := e.Fake.RequireTransferSCA(a.user.MangopayID); err != nil {
		t.Fatal(err)
	}
	processQueue(t, e, h)
	e.Outcomes(t)

	tests := []struct {
		name     string
		complete bool   // visit the redirect URL; false: let 10 minutes pass
		via      string // "hook" or "recheck"
		status   string
		code     string
		event    string
	}{
		{"completed, hook", true, "hook", "SUCCEEDED", "000000", records.TransferSucceeded},
		{"completed, re-check", true, "recheck", "SUCCEEDED", "000000", records.TransferSucceeded},
		{"expired, re-check", false, "recheck", "FAILED", "007102", records.TransferFailed},
	}
	balA, balB := int64(10000), int64(0)
	var tokens []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fees0 := e.Fake.FeesBalance("EUR")
			body := transferBody(a.wallet, b.wallet, 1000, 100)
			body["sca_context"] = "USER_PRESENT"
			resp := call(t, createTransfer(e), testenv.Request("POST", "/transfers", nil, body, nil))
			rec := record(t, resp, http.StatusCreated)
			var ans struct {
				RedirectURL string `json:"redirect_url"`
			}
			testenv.Decode(t, resp.Body, &ans)
			u, err := url.Parse(ans.RedirectURL)
			if err != nil || u.Hostname() != "127.0.0.1" || u.Path != "/sca" || u.Query().Get("token") == "" {
				t.Fatalf("redirect_url %q (%v) in %s", ans.RedirectURL, err, resp.Body)
			}
			tokens = append(tokens, u.Query().Get("token"))
			if rec.Status != "CREATED" || rec.SyncState != records.SyncSynced || rec.RecheckAt == nil || !dueForRecheck(t, e, rec.ID) {
				t.Fatalf("record %+v: want CREATED, synced, due for re-check", rec)
			}
			stored, err := e.Deps.Service.Records.Get(e.Ctx, rec.ID)
			if err != nil || strings.Contains(string(stored.Raw), tokens[len(tokens)-1]) {
				t.Fatalf("stored record %+v %v: it must not keep the token", stored, err)
			}
			// A caller that lost the answer finds the URL again with a refresh.
			var again struct {
				Status      string `json:"status"`
				RedirectURL string `json:"redirect_url"`
			}
			testenv.Decode(t, txGet(t, api.HTTP(e.Deps.Service.GetTransferOp(), e.Deps.API), "/transfers/", "transfer_id", rec.ID, true).Body, &again)
			if again.Status != "CREATED" || again.RedirectURL != ans.RedirectURL {
				t.Fatalf("get-transfer?refresh=true: %+v, want CREATED and %q", again, ans.RedirectURL)
			}
			txWantBalance(t, e, a.wallet, balA)
			txWantBalance(t, e, b.wallet, balB)
			if evs := e.Outcomes(t); len(evs) != 0 {
				t.Fatalf("a CREATED transfer published %+v", evs)
			}

			if tt.complete {
				page, err := http.Get(ans.RedirectURL)
				if err != nil {
					t.Fatal(err)
				}
				page.Body.Close()
				if page.StatusCode != http.StatusOK {
					t.Fatalf("SCA page: %d", page.StatusCode)
				}
			} else {
				e.Fake.Advance(10 * time.Minute)
			}
			e.Fake.WaitHooks()
			switch tt.via {
			case "hook":
				if n := processQueue(t, e, h); n == 0 {
					t.Fatal("no hook notification queued")
				}
			case "recheck":
				clock := e.Deps.Service.Now
				rcRun(t, e, records.BucketTransaction, time.Now().Add(time.Minute), operations.RecheckBudget{})
				e.Deps.Service.Now = clock
				processQueue(t, e, h) // the hooks find it final: nothing more
			}
			after, err := e.Deps.Service.Records.Get(e.Ctx, rec.ID)
			if err != nil || after.Status != tt.status || after.ResultCode != tt.code || after.NeedsPolling() || dueForRecheck(t, e, rec.ID) {
				t.Fatalf("record after: %+v %v; want %s %s, no longer due", after, err, tt.status, tt.code)
			}
			d := oneEvent(t, e.Outcomes(t), tt.event, rec.ID)
			if d["result_code"] != tt.code || d["mangopay_id"] != rec.MangopayID {
				t.Fatalf("event detail %+v", d)
			}
			if tt.status == "SUCCEEDED" {
				balA, balB = balA-1000, balB+900
			}
			txWantBalance(t, e, a.wallet, balA)
			txWantBalance(t, e, b.wallet, balB)
			wantFees := int64(0)
			if tt.status == "SUCCEEDED" {
				wantFees = 100
			}
			if got := e.Fake.FeesBalance("EUR") - fees0; got != wantFees {
				t.Fatalf("fees wallet got %d, want %d", got, wantFees)
			}
		})
	}

	logs := e.Logs()
	if !strings.Contains(logs, `"ScaContext":"USER_PRESENT"`) || !strings.Contains(logs, "RedirectUrl") {
		t.Fatalf("the debug lines of the transfers (ScaContext sent, RedirectUrl answered) are missing from the logs:\n%s", logs)
	}
	for _, tok := range tokens {
		if strings.Contains(logs, tok) {
			t.Fatalf("the logs hold an SCA token:\n%s", logs)
		}
	}
	if found := leakcheck.Scan([]byte(logs), e.Fake.Secrets()...); len(found) > 0 {
		t.Fatalf("leaks in the logs: %v", found)
	}
}

// TestTransferRejectsBadScaContext: a value outside the enum is a 400
// naming sca_context, with nothing sent or written.
func TestTransferRejectsBadScaContext(t *testing.T) {
	e := testenv.New(t)
	a, b := txNewPerson(t, e, "seller-a", "OWNER", "EUR"), txNewPerson(t, e, "seller-b", "OWNER", "EUR")
	for _, v := range []string{"user_present", "MAYBE", "USER_PRESENT ", "true"} {
		t.Run(v, func(t *testing.T) {
			body := transferBody(a.wallet, b.wallet, 100, 0)
			body["sca_context"] = v
			n := len(e.Fake.Requests())
			wantFields(t, problemFields(t, call(t, createTransfer(e), testenv.Request("POST", "/transfers", nil, body, nil)), http.StatusBadRequest), "sca_context")
			if len(e.Fake.Requests()) != n {
				t.Fatal("a bad sca_context reached Mangopay")
			}
		})
	}
	if n := len(txRecords(t, e, "seller-a", records.KindTransfer)); n != 0 {
		t.Fatalf("%d transfer records written", n)
	}
}
