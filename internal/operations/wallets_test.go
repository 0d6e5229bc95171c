package operations_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// createWallet posts a wallet for user through the HTTP face.
func createWallet(e *testenv.Env, userID string, body any, headers map[string]string) events.APIGatewayV2HTTPResponse {
	h := api.HTTP(e.Deps.Service.CreateWalletOp(), e.Deps.API)
	resp, _ := h(e.Ctx, testenv.Request("POST", "/users/"+userID+"/wallets", map[string]string{"user_id": userID}, body, headers))
	return resp
}

// getWallet reads a wallet through the HTTP face.
func getWallet(e *testenv.Env, id string) events.APIGatewayV2HTTPResponse {
	h := api.HTTP(e.Deps.Service.GetWalletOp(), e.Deps.API)
	resp, _ := h(e.Ctx, testenv.Request("GET", "/wallets/"+id, map[string]string{"wallet_id": id}, nil, nil))
	return resp
}

// checkWalletRecord checks a created wallet against what was asked.
func checkWalletRecord(t *testing.T, e *testenv.Env, rec, user *records.Record, description, currency, tag string) {
	t.Helper()
	w := rec.Wallet
	if rec.Kind != records.KindWallet || rec.SyncState != records.SyncSynced || rec.MangopayID == "" ||
		rec.OwnerRef != user.OwnerRef || rec.ParentID != user.ID || rec.Tag != tag || w == nil {
		t.Fatalf("record %+v", rec)
	}
	if w.Description != description || w.Currency != currency || w.FundsType != "DEFAULT" ||
		w.Balance != (records.Money{Amount: 0, Currency: currency}) || w.BalanceReadAt == nil {
		t.Fatalf("wallet part %+v", w)
	}
	obj, ok := e.Fake.Object("wallets", rec.MangopayID)
	if !ok || !containsAll(string(obj), `"Description":"`+description+`"`, `"Currency":"`+currency+`"`, `"Owners":["`+user.MangopayID+`"]`) {
		t.Fatalf("Mangopay holds %s", obj)
	}
	stored, err := e.Deps.Service.Records.Get(e.Ctx, rec.ID)
	if err != nil || stored.Wallet.Description != description || stored.Wallet.Currency != currency || len(stored.Raw) == 0 {
		t.Fatalf("stored %+v %v", stored, err)
	}
}

func TestCreateWalletOverHTTPAndQueue(t *testing.T) {
	e := testenv.New(t)
	user := acctUser(t, e, "seller-1")
	rec := record(t, createWallet(e, user.ID, map[string]any{"description": "Sales in euros", "currency": "EUR", "tag": "w-http"}, nil), http.StatusCreated)
	checkWalletRecord(t, e, rec, user, "Sales in euros", "EUR", "w-http")
	reqs := e.Fake.Requests()
	if last := reqs[len(reqs)-1]; last.IdempotencyKey != records.IdempotencyKey(rec.ID) || !strings.HasSuffix(last.Path, "/wallets") {
		t.Fatalf("Mangopay call %s %s key %q, want a key derived from %s", last.Method, last.Path, last.IdempotencyKey, rec.ID)
	}

	msg := map[string]any{"user_id": user.ID, "description": "Sales in pounds", "currency": "GBP", "tag": "w-sqs"}
	out, err := api.SQS(e.Deps.Service.CreateWalletOp(), e.Deps.API)(e.Ctx, events.SQSEvent{Records: []events.SQSMessage{testenv.Message("m-1", msg, nil)}})
	if err != nil || len(out.BatchItemFailures) != 0 {
		t.Fatalf("queue: %+v %v", out, err)
	}
	checkWalletRecord(t, e, recordByTag(t, e, user.OwnerRef, records.KindWallet, "w-sqs"), user, "Sales in pounds", "GBP", "w-sqs")
	if n := e.Fake.Count("wallets"); n != 2 {
		t.Fatalf("Mangopay has %d wallets, want 2", n)
	}
}

func TestCreateWalletRejectsBadInputWritingNothing(t *testing.T) {
	e := testenv.New(t)
	user := acctUser(t, e, "seller-1")
	good := map[string]any{"description": "Sales", "currency": "EUR"}
	tests := []struct {
		name   string
		userID string
		body   map[string]any
		fields []string
	}{
		{"unknown currency", "", withField(good, "currency", "XYZ"), []string{"currency"}},
		{"lowercase currency", "", withField(good, "currency", "eur"), []string{"currency"}},
		{"missing fields", "", map[string]any{}, []string{"description", "currency"}},
		{"description too long", "", withField(good, "description", strings.Repeat("x", 256)), []string{"description"}},
		{"unknown field", "", withField(good, "owners", []string{"x"}), []string{"owners"}},
		{"path traversal id", "../x", good, []string{"user_id"}},
		{"id of another kind", "bnk_01JEXAMPLEEXAMPLEEXAMPLEX", good, []string{"user_id"}},
	}
	var ev events.SQSEvent
	for _, tt := range tests {
		id := tt.userID
		if id == "" {
			id = user.ID
		}
		t.Run(tt.name, func(t *testing.T) {
			wantFields(t, problemFields(t, createWallet(e, id, tt.body, nil), http.StatusBadRequest), tt.fields...)
		})
		ev.Records = append(ev.Records, testenv.Message("m-"+tt.name, withField(tt.body, "user_id", id), nil))
	}
	out, err := api.SQS(e.Deps.Service.CreateWalletOp(), e.Deps.API)(e.Ctx, ev)
	if err != nil || len(out.BatchItemFailures) != 0 {
		t.Fatalf("queue: %+v %v", out, err)
	}
	dead := e.Messages(t, e.DLQ)
	if len(dead) != len(tests) {
		t.Fatalf("%d dead letters, want %d", len(dead), len(tests))
	}
	for _, m := range dead {
		if r := aws.ToString(m.MessageAttributes[api.AttrFailureReason].StringValue); !strings.HasPrefix(r, "400 ") {
			t.Fatalf("dead letter reason %q", r)
		}
	}
	if n := e.Fake.Count("wallets"); n != 0 {
		t.Fatalf("Mangopay got %d wallets", n)
	}
	if n := countRecords(t, e, user.OwnerRef, records.KindWallet); n != 0 {
		t.Fatalf("%d wallet records written", n)
	}
}

func TestCreateWalletNeedsAUserKnownAtMangopay(t *testing.T) {
	e := testenv.New(t)
	createUser := api.HTTP(e.Deps.Service.CreateNaturalUserOp(), e.Deps.API)
	person := map[string]any{"user_category": "PAYER", "first_name": "Sam", "last_name": "Doe", "email": "sam@example.com"}
	// A user whose create was handed to the queue and not yet done.
	pending := record(t, call(t, createUser, testenv.Request("POST", "/users/natural", nil, withField(person, "external_user_id", "buyer-pending"),
		map[string]string{"prefer": "respond-async"})), http.StatusAccepted)
	// A user Mangopay refused.
	e.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/users/natural", Status: 400, Times: 1})
	problemFields(t, call(t, createUser, testenv.Request("POST", "/users/natural", nil, withField(person, "external_user_id", "buyer-failed"), nil)), http.StatusUnprocessableEntity)
	failed := recordByTag(t, e, "buyer-failed", records.KindUserNatural, "")
	if failed.SyncState != records.SyncFailed {
		t.Fatalf("user %+v", failed)
	}

	body := map[string]any{"description": "Purse", "currency": "EUR"}
	problemFields(t, createWallet(e, "usn_01JZZZZZZZZZZZZZZZZZZZZZZZ", body, nil), http.StatusNotFound)
	problemFields(t, createWallet(e, pending.ID, body, nil), http.StatusConflict)
	problemFields(t, createWallet(e, failed.ID, body, nil), http.StatusConflict)

	ev := events.SQSEvent{Records: []events.SQSMessage{testenv.Message("m-unknown", withField(body, "user_id", "usl_01JZZZZZZZZZZZZZZZZZZZZZZZ"), nil)}}
	if out, _ := api.SQS(e.Deps.Service.CreateWalletOp(), e.Deps.API)(e.Ctx, ev); len(out.BatchItemFailures) != 0 {
		t.Fatalf("queue: %+v", out)
	}
	if dead := e.Messages(t, e.DLQ); len(dead) != 1 || !strings.HasPrefix(aws.ToString(dead[0].MessageAttributes[api.AttrFailureReason].StringValue), "404 ") {
		t.Fatalf("dead letters %+v", dead)
	}
	if n := e.Fake.Count("wallets"); n != 0 {
		t.Fatalf("Mangopay got %d wallets", n)
	}
	for _, owner := range []string{"buyer-pending", "buyer-failed"} {
		if n := countRecords(t, e, owner, records.KindWallet); n != 0 {
			t.Fatalf("%d wallet records for %s", n, owner)
		}
	}
}

// fund moves money into a wallet at the fake: a bank-wire pay-in declared
// through our client, then the wire received.
func fund(t *testing.T, e *testenv.Env, user, wallet *records.Record, amount int64) {
	t.Helper()
	p, err := e.Deps.Service.MP.CreateBankWireDirectPayIn(e.Ctx, &mangopay.BankWireDirectPayInCreate{
		AuthorID: user.MangopayID, CreditedWalletID: wallet.MangopayID,
		DeclaredDebitedFunds: mangopay.Money{Currency: "EUR", Amount: amount}, DeclaredFees: mangopay.Money{Currency: "EUR"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Fake.ReceiveBankWire(p.ID, amount); err != nil {
		t.Fatal(err)
	}
}

func TestGetWalletReadsTheBalanceFromMangopay(t *testing.T) {
	e := testenv.New(t)
	user := acctUser(t, e, "seller-1")
	wallet := record(t, createWallet(e, user.ID, map[string]any{"description": "Sales", "currency": "EUR"}, nil), http.StatusCreated)
	clock := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	e.Deps.Service.Now = func() time.Time { return clock }

	for i, amount := range []int64{2500, 1000} {
		fund(t, e, user, wallet, amount)
		want, _, err := e.Fake.Balance(wallet.MangopayID)
		if err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Minute)
		before := mpRequests(e, "GET", "/wallets/"+wallet.MangopayID)
		got := record(t, getWallet(e, wallet.ID), http.StatusOK)
		if got.Wallet.Balance != (records.Money{Amount: want, Currency: "EUR"}) || got.Wallet.BalanceReadAt == nil || !got.Wallet.BalanceReadAt.Equal(clock) {
			t.Fatalf("read %d: balance %+v read at %v, want %d at %v", i, got.Wallet.Balance, got.Wallet.BalanceReadAt, want, clock)
		}
		if n := mpRequests(e, "GET", "/wallets/"+wallet.MangopayID) - before; n != 1 {
			t.Fatalf("read %d: %d Mangopay reads, want 1", i, n)
		}
		stored, _ := e.Deps.Service.Records.Get(e.Ctx, wallet.ID)
		if stored.Wallet.Balance.Amount != want || !stored.Wallet.BalanceReadAt.Equal(clock) || stored.Wallet.Description != "Sales" {
			t.Fatalf("read %d: stored %+v", i, stored.Wallet)
		}
	}
	if want := int64(3500); mustBalance(t, e, wallet.MangopayID) != want {
		t.Fatalf("the fake's balance is not %d", want)
	}

	wantFields(t, problemFields(t, getWallet(e, "../x"), http.StatusBadRequest), "wallet_id")
	wantFields(t, problemFields(t, getWallet(e, user.ID), http.StatusBadRequest), "wallet_id")
	problemFields(t, getWallet(e, "wlt_01JZZZZZZZZZZZZZZZZZZZZZZZ"), http.StatusNotFound)
	pending := record(t, createWallet(e, user.ID, map[string]any{"description": "Later", "currency": "EUR"},
		map[string]string{"prefer": "respond-async"}), http.StatusAccepted)
	problemFields(t, getWallet(e, pending.ID), http.StatusConflict)
}

func mustBalance(t *testing.T, e *testenv.Env, mpID string) int64 {
	t.Helper()
	b, _, err := e.Fake.Balance(mpID)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGetWalletIs503WhenMangopayIsDown(t *testing.T) {
	e := testenv.New(t)
	user := acctUser(t, e, "seller-1")
	wallet := record(t, createWallet(e, user.ID, map[string]any{"description": "Sales", "currency": "EUR"}, nil), http.StatusCreated)
	fund(t, e, user, wallet, 700)
	e.Fake.InjectFault(mangopaytest.Fault{Method: "GET", Path: "/wallets/", Status: 503})
	resp := getWallet(e, wallet.ID)
	problemFields(t, resp, http.StatusServiceUnavailable)
	if resp.Headers["Retry-After"] == "" {
		t.Fatalf("503 without Retry-After: %v", resp.Headers)
	}
	stored, _ := e.Deps.Service.Records.Get(e.Ctx, wallet.ID)
	if stored.Version != wallet.Version || stored.Wallet.Balance.Amount != 0 || !stored.Wallet.BalanceReadAt.Equal(*wallet.Wallet.BalanceReadAt) {
		t.Fatalf("the record changed while Mangopay was down: %+v", stored.Wallet)
	}
	e.Fake.ClearFaults()
	if got := record(t, getWallet(e, wallet.ID), http.StatusOK); got.Wallet.Balance.Amount != 700 {
		t.Fatalf("after the outage: %+v", got.Wallet)
	}
}

func TestCreateWalletIdempotencyKey(t *testing.T) {
	e := testenv.New(t)
	user := acctUser(t, e, "seller-1")
	key := map[string]string{"Idempotency-Key": "seller-1-eur-wallet"}
	body := map[string]any{"description": "Sales", "currency": "EUR"}
	first := createWallet(e, user.ID, body, key)
	again := createWallet(e, user.ID, body, key)
	if first.StatusCode != http.StatusCreated || again.Body != first.Body || again.Headers["Idempotent-Replayed"] != "true" {
		t.Fatalf("replay: %d %s / %d %v %s", first.StatusCode, first.Body, again.StatusCode, again.Headers, again.Body)
	}
	problemFields(t, createWallet(e, user.ID, withField(body, "currency", "GBP"), key), http.StatusConflict)
	if n := e.Fake.Count("wallets"); n != 1 {
		t.Fatalf("Mangopay has %d wallets, want 1", n)
	}
}

func TestWalletQueueBatchDeadLettersTheBadMessage(t *testing.T) {
	e := testenv.New(t)
	user := acctUser(t, e, "seller-1")
	ev := events.SQSEvent{Records: []events.SQSMessage{
		testenv.Message("m-good", map[string]any{"user_id": user.ID, "description": "Sales", "currency": "EUR", "tag": "good"}, nil),
		testenv.Message("m-bad", map[string]any{"user_id": user.ID, "description": "Sales", "currency": "AZN", "tag": "bad"}, nil),
	}}
	out, err := api.SQS(e.Deps.Service.CreateWalletOp(), e.Deps.API)(e.Ctx, ev)
	if err != nil || len(out.BatchItemFailures) != 0 {
		t.Fatalf("batch: %+v %v", out, err)
	}
	checkWalletRecord(t, e, recordByTag(t, e, user.OwnerRef, records.KindWallet, "good"), user, "Sales", "EUR", "good")
	dead := e.Messages(t, e.DLQ)
	if len(dead) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dead))
	}
	attrs := dead[0].MessageAttributes
	if r := aws.ToString(attrs[api.AttrFailureReason].StringValue); !strings.Contains(r, "; currency: ") ||
		aws.ToString(attrs["Source-Message-Id"].StringValue) != "m-bad" || aws.ToString(attrs[api.AttrOperation].StringValue) != "create-wallet" {
		t.Fatalf("dead letter attributes %+v (reason %q)", attrs, r)
	}
	if n := e.Fake.Count("wallets"); n != 1 {
		t.Fatalf("Mangopay has %d wallets, want 1", n)
	}
}
