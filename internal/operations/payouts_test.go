package operations_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// seller is an OWNER with KYC level REGULAR (at Mangopay and in our
// record), 10000 EUR on a wallet and an active bank account.
type seller struct {
	txPerson
	bank *records.Record
}

func newSeller(t *testing.T, e *testenv.Env, ext string) seller {
	t.Helper()
	p := txNewPerson(t, e, ext, "OWNER", "EUR")
	txSetKYC(t, e, p.user, "REGULAR", true)
	txPayIn(t, e, p, 10000, 0)
	return seller{txPerson: p, bank: txBankAccount(t, e, p.user)}
}

func createPayout(e *testenv.Env) api.HTTPHandler {
	return api.HTTP(e.Deps.Service.CreatePayoutOp(), e.Deps.API)
}

func payoutBody(s seller, debited, fees int64) map[string]any {
	return map[string]any{"debited_wallet_id": s.wallet.ID, "bank_account_id": s.bank.ID, "debited_funds": txEUR(debited), "fees": txEUR(fees)}
}

// onePayout checks that exactly one payout reached Mangopay, that the
// seller has exactly one payout record, and that the wallet was debited
// once, to the cent.
func onePayout(t *testing.T, e *testenv.Env, s seller, debited int64) *records.Record {
	t.Helper()
	if n := e.Fake.Count("payouts"); n != 1 {
		t.Fatalf("payouts at Mangopay = %d, want 1", n)
	}
	recs := txRecords(t, e, s.user.OwnerRef, records.KindPayout)
	if len(recs) != 1 {
		t.Fatalf("payout records = %d, want 1", len(recs))
	}
	txWantBalance(t, e, s.wallet, 10000-debited)
	return &recs[0]
}

func TestPayoutCreatedThenSettled(t *testing.T) {
	e := testenv.New(t)
	s := newSeller(t, e, "seller-1")
	fees0 := e.Fake.FeesBalance("EUR")
	body := payoutBody(s, 4000, 150)
	body["bank_wire_ref"], body["tag"] = "INV-42", "payout-42"
	rec := record(t, call(t, createPayout(e), testenv.Request("POST", "/payouts", nil, body, nil)), http.StatusCreated)
	x := rec.Transaction
	if rec.Kind != records.KindPayout || rec.Status != "CREATED" || rec.SyncState != records.SyncSynced || rec.ParentID != s.wallet.ID ||
		rec.OwnerRef != "seller-1" || rec.Tag != "payout-42" || rec.RecheckAt == nil || rec.RecheckAt.After(time.Now()) {
		t.Fatalf("payout record %+v", rec)
	}
	if x.AuthorID != s.user.MangopayID || x.DebitedWalletID != s.wallet.MangopayID || x.BankAccountID != s.bank.MangopayID ||
		x.BankWireRef != "INV-42" || x.DebitedFunds.Amount != 4000 || x.Fees.Amount != 150 || x.CreditedFunds.Amount != 3850 ||
		x.PaymentType != "BANK_WIRE" || x.ModeApplied != "STANDARD" || x.ExecutionDate != nil {
		t.Fatalf("payout transaction %+v", x)
	}
	if !dueForRecheck(t, e, rec.ID) {
		t.Fatal("a CREATED payout is not in the re-check index")
	}
	onePayout(t, e, s, 4000)

	if err := e.Fake.SettlePayout(rec.MangopayID, true, ""); err != nil {
		t.Fatal(err)
	}
	get := api.HTTP(e.Deps.Service.GetPayoutOp(), e.Deps.API)
	if plain := record(t, txGet(t, get, "/payouts/", "payout_id", rec.ID, false), http.StatusOK); plain.Status != "CREATED" {
		t.Fatalf("a plain GET answers from the record: %s", plain.Status)
	}
	done := record(t, txGet(t, get, "/payouts/", "payout_id", rec.ID, true), http.StatusOK)
	raw, _ := e.Fake.Object("payouts", rec.MangopayID)
	var obj struct{ ExecutionDate int64 }
	_ = json.Unmarshal(raw, &obj)
	if done.Status != "SUCCEEDED" || done.ResultCode != "000000" || done.RecheckAt != nil || done.Transaction.ExecutionDate == nil ||
		done.Transaction.ExecutionDate.Unix() != obj.ExecutionDate || done.Transaction.ModeApplied != "STANDARD" {
		t.Fatalf("after settlement %+v %+v", done, done.Transaction)
	}
	if dueForRecheck(t, e, rec.ID) {
		t.Fatal("a SUCCEEDED payout is still in the re-check index")
	}
	onePayout(t, e, s, 4000)
	if got := e.Fake.FeesBalance("EUR") - fees0; got != 150 {
		t.Fatalf("fees wallet got %d, want 150", got)
	}
	wantFields(t, problemFields(t, txGet(t, get, "/payouts/", "payout_id", s.wallet.ID, false), http.StatusBadRequest), "payout_id")
}

// dueForRecheck reports whether the record is in the TRANSACTION bucket of
// the re-check index, due now.
func dueForRecheck(t *testing.T, e *testenv.Env, id string) bool {
	t.Helper()
	token := ""
	for {
		page, err := e.Deps.Service.Records.DueForRecheck(e.Ctx, records.BucketTransaction, time.Now().Add(time.Second), 100, token)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Records {
			if r.ID == id {
				return true
			}
		}
		if page.Next == "" {
			return false
		}
		token = page.Next
	}
}

func TestPayoutChecksComeFirst(t *testing.T) {
	e := testenv.New(t)
	s := newSeller(t, e, "seller-1")
	other := newSeller(t, e, "seller-2")
	closed := txBankAccount(t, e, s.user)
	if _, err := e.Deps.Service.MP.DeactivateBankAccount(e.Ctx, s.user.MangopayID, closed.MangopayID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Deps.Service.Records.Update(e.Ctx, closed.ID, func(r *records.Record) error {
		r.BankAccount.Active = false
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	gbp := txWallet(t, e, s.user, "GBP")
	light := txNewPerson(t, e, "light-1", "OWNER", "EUR") // LIGHT at Mangopay and in our record
	lightBank := txBankAccount(t, e, light.user)
	payer := txNewPerson(t, e, "payer-1", "PAYER", "EUR")
	payerBank := txBankAccount(t, e, payer.user)
	with := func(b map[string]any, kv ...any) map[string]any {
		for i := 0; i+1 < len(kv); i += 2 {
			b[kv[i].(string)] = kv[i+1]
		}
		return b
	}
	tests := []struct {
		name   string
		body   map[string]any
		status int
		fields []string
	}{
		{"another user's bank account", with(payoutBody(s, 1000, 0), "bank_account_id", other.bank.ID), 400, []string{"bank_account_id"}},
		{"inactive bank account", with(payoutBody(s, 1000, 0), "bank_account_id", closed.ID), 409, nil},
		{"funds in another currency than the wallet", with(payoutBody(s, 1000, 0), "debited_funds", txMoney(1000, "GBP"), "fees", txMoney(0, "GBP")),
			400, []string{"debited_funds.currency"}},
		{"a wallet in another currency", with(payoutBody(s, 1000, 0), "debited_wallet_id", gbp.ID), 400, []string{"debited_funds.currency"}},
		{"fees in another currency", with(payoutBody(s, 1000, 0), "fees", txMoney(0, "GBP")), 400, []string{"fees.currency"}},
		{"fees above the debited funds", payoutBody(s, 1000, 1001), 400, []string{"fees.amount"}},
		{"LIGHT user", map[string]any{"debited_wallet_id": light.wallet.ID, "bank_account_id": lightBank.ID, "debited_funds": txEUR(100), "fees": txEUR(0)}, 409, nil},
		{"PAYER", map[string]any{"debited_wallet_id": payer.wallet.ID, "bank_account_id": payerBank.ID, "debited_funds": txEUR(100), "fees": txEUR(0)}, 409, nil},
		{"not a bank account id", with(payoutBody(s, 1000, 0), "bank_account_id", s.wallet.ID), 400, []string{"bank_account_id"}},
		{"unknown bank account", with(payoutBody(s, 1000, 0), "bank_account_id", "bnk_01JZZZZZZZZZZZZZZZZZZZZZZZ"), 400, []string{"bank_account_id"}},
		{"missing fields", map[string]any{"bank_wire_ref": "x"}, 400, []string{"debited_wallet_id", "bank_account_id", "debited_funds", "fees"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := call(t, createPayout(e), testenv.Request("POST", "/payouts", nil, tt.body, nil))
			wantFields(t, problemFields(t, resp, tt.status), tt.fields...)
		})
	}
	if n := e.Fake.Count("payouts"); n != 0 {
		t.Fatalf("%d payouts reached Mangopay", n)
	}
	for _, owner := range []string{"seller-1", "light-1", "payer-1"} {
		if n := len(txRecords(t, e, owner, records.KindPayout)); n != 0 {
			t.Fatalf("%d payout records written for %s", n, owner)
		}
	}
	// The LIGHT user was read from Mangopay once before being refused.
	if n := txCalls(e, "GET", "/users/"+light.user.MangopayID); n != 1 {
		t.Fatalf("the LIGHT user was read %d times from Mangopay, want 1", n)
	}
	txWantBalance(t, e, s.wallet, 10000)
}

func TestStaleLightRecordDoesNotBlockAPayout(t *testing.T) {
	e := testenv.New(t)
	p := txNewPerson(t, e, "seller-1", "OWNER", "EUR")
	txSetKYC(t, e, p.user, "REGULAR", false) // REGULAR at Mangopay, LIGHT in our record
	txPayIn(t, e, p, 10000, 0)
	s := seller{txPerson: p, bank: txBankAccount(t, e, p.user)}
	rec := record(t, call(t, createPayout(e), testenv.Request("POST", "/payouts", nil, payoutBody(s, 2500, 0), nil)), http.StatusCreated)
	if rec.Status != "CREATED" {
		t.Fatalf("payout %+v", rec)
	}
	onePayout(t, e, s, 2500)
	if u, _ := e.Deps.Service.Records.Get(e.Ctx, p.user.ID); u.User.KYCLevel != "REGULAR" {
		t.Fatalf("the user record was not refreshed: %s", u.User.KYCLevel)
	}
}

func TestPayoutMessageDeliveredThreeTimesPaysOnce(t *testing.T) {
	e := testenv.New(t)
	s := newSeller(t, e, "seller-1")
	h := api.SQS(e.Deps.Service.CreatePayoutOp(), e.Deps.API)
	msg := testenv.Message("m-payout-1", payoutBody(s, 3000, 100), nil)
	for range 3 {
		txSQS(t, h, e, msg)
	}
	rec := onePayout(t, e, s, 3000)
	if rec.Status != "CREATED" || rec.SyncState != records.SyncSynced {
		t.Fatalf("record %+v", rec)
	}
}

func TestPayoutMessagesWithOneIdempotencyKeyPayOnce(t *testing.T) {
	e := testenv.New(t)
	s := newSeller(t, e, "seller-1")
	h := api.SQS(e.Deps.Service.CreatePayoutOp(), e.Deps.API)
	body := payoutBody(s, 3000, 100)
	body["idempotency_key"] = "payout-order-42"
	txSQS(t, h, e, testenv.Message("m-payout-1", body, nil), testenv.Message("m-payout-1", body, nil))
	txSQS(t, h, e, testenv.Message("m-payout-2", body, nil))
	// The same key as a message attribute.
	delete(body, "idempotency_key")
	txSQS(t, h, e, testenv.Message("m-payout-3", body, map[string]string{api.AttrIdempotencyKey: "payout-order-42"}))
	onePayout(t, e, s, 3000)
}

func TestConcurrentPayoutDuplicatesPayOnce(t *testing.T) {
	e := testenv.New(t)
	s := newSeller(t, e, "seller-1")
	h := api.HTTP(e.Deps.Service.CreatePayoutOp(), e.Deps.API)
	req := testenv.Request("POST", "/payouts", nil, payoutBody(s, 5000, 0), map[string]string{"idempotency-key": "payout-20x-same"})
	var wg sync.WaitGroup
	codes := make(chan int, 20)
	for range 20 {
		wg.Go(func() { codes <- call(t, h, req).StatusCode })
	}
	wg.Wait()
	close(codes)
	created := 0
	for c := range codes {
		switch c {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
		default:
			t.Fatalf("status %d", c)
		}
	}
	if created == 0 {
		t.Fatal("no request answered 201")
	}
	rec := onePayout(t, e, s, 5000)
	final := record(t, call(t, h, req), http.StatusCreated)
	if final.ID != rec.ID || final.MangopayID != rec.MangopayID {
		t.Fatalf("replay %+v, want record %s", final, rec.ID)
	}
}

func TestPayoutLostAnswerAndFailedWriteRecoveredOnRetry(t *testing.T) {
	e := testenv.New(t)
	s := newSeller(t, e, "seller-1")
	// Mangopay executes the payout but its answer is lost, and our write of
	// the answer fails once: the retry must find the first payout through
	// the same Idempotency-Key, not make a second one.
	e.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/payouts", DropAfterCommit: true, Times: 1})
	e.Faults.Arm("DynamoDB", "PutItem", awstest.FaultHook{Fail: func(in any) error {
		item := in.(*dynamodb.PutItemInput).Item
		kind, _ := item["kind"].(*ddbtypes.AttributeValueMemberS)
		state, _ := item["sync_state"].(*ddbtypes.AttributeValueMemberS)
		if kind != nil && kind.Value == string(records.KindPayout) && state != nil && state.Value == "SYNCED" {
			return awstest.ErrInjected
		}
		return nil
	}})
	req := testenv.Request("POST", "/payouts", nil, payoutBody(s, 6000, 200), map[string]string{"idempotency-key": "payout-crash-1"})
	first := call(t, createPayout(e), req)
	if first.StatusCode != http.StatusServiceUnavailable && first.StatusCode != http.StatusInternalServerError {
		t.Fatalf("first attempt: %d %s", first.StatusCode, first.Body)
	}
	if n := e.Fake.Count("payouts"); n != 1 {
		t.Fatalf("payouts at Mangopay after the first attempt = %d", n)
	}
	pending := txRecords(t, e, "seller-1", records.KindPayout)
	if len(pending) != 1 || pending[0].SyncState != records.SyncPending {
		t.Fatalf("records after the first attempt %+v", pending)
	}
	rec := record(t, call(t, createPayout(e), req), http.StatusCreated)
	if rec.ID != pending[0].ID || rec.SyncState != records.SyncSynced || rec.Status != "CREATED" || rec.MangopayID == "" {
		t.Fatalf("retry %+v", rec)
	}
	onePayout(t, e, s, 6000)
	keys := map[string]bool{}
	for _, r := range e.Fake.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/payouts/bankwire") {
			keys[r.IdempotencyKey] = true
		}
	}
	if len(keys) != 1 || !keys[records.IdempotencyKey(rec.ID)] {
		t.Fatalf("payout requests were sent with keys %v, want only %s", keys, records.IdempotencyKey(rec.ID))
	}
}

func TestPayoutAsyncFinishesThroughTheQueue(t *testing.T) {
	e := testenv.New(t)
	s := newSeller(t, e, "seller-1")
	op := e.Deps.Service.CreatePayoutOp()
	hdr := map[string]string{"prefer": "respond-async", "idempotency-key": "async-payout-01"}
	pending := record(t, call(t, api.HTTP(op, e.Deps.API), testenv.Request("POST", "/payouts", nil, payoutBody(s, 1000, 0), hdr)), http.StatusAccepted)
	if pending.SyncState != records.SyncPending || e.Fake.Count("payouts") != 0 {
		t.Fatalf("202 answer %+v", pending)
	}
	msgs := e.Messages(t, e.Queue)
	if len(msgs) != 1 {
		t.Fatalf("%d messages queued", len(msgs))
	}
	// The state the checks read changes meanwhile (our record of the bank
	// account now says inactive): the worker goes on with the request
	// accepted, as its record holds it, and does not check it again.
	if _, err := e.Deps.Service.Records.Update(e.Ctx, s.bank.ID, func(r *records.Record) error {
		r.BankAccount.Active = false
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		out, err := api.SQS(op, e.Deps.API)(e.Ctx, testenv.SQSEvent(msgs...))
		if err != nil || len(out.BatchItemFailures) != 0 {
			t.Fatalf("worker: %+v %v", out, err)
		}
	}
	rec := onePayout(t, e, s, 1000)
	if rec.ID != pending.ID || rec.SyncState != records.SyncSynced {
		t.Fatalf("record %+v", rec)
	}
}
