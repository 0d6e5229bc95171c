package operations_test

import (
	"net/http"
	"testing"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

func createTransfer(e *testenv.Env) api.HTTPHandler {
	return api.HTTP(e.Deps.Service.CreateTransferOp(), e.Deps.API)
}

func transferBody(from, to *records.Record, debited, fees int64) map[string]any {
	return map[string]any{"debited_wallet_id": from.ID, "credited_wallet_id": to.ID, "debited_funds": txEUR(debited), "fees": txEUR(fees)}
}

func TestTransferWithPlatformFee(t *testing.T) {
	e := testenv.New(t)
	buyer, seller := txNewPerson(t, e, "buyer-1", "PAYER", "EUR"), txNewPerson(t, e, "seller-1", "OWNER", "EUR")
	txPayIn(t, e, buyer, 10000, 0)
	fees0 := e.Fake.FeesBalance("EUR")

	body := transferBody(buyer.wallet, seller.wallet, 6000, 600)
	body["tag"] = "order-42"
	rec := record(t, call(t, createTransfer(e), testenv.Request("POST", "/transfers", nil, body, nil)), http.StatusCreated)
	x := rec.Transaction
	if rec.Kind != records.KindTransfer || rec.SyncState != records.SyncSynced || rec.Status != "SUCCEEDED" || rec.ResultCode != "000000" ||
		rec.OwnerRef != "buyer-1" || rec.ParentID != buyer.wallet.ID || rec.Tag != "order-42" || rec.RecheckAt != nil {
		t.Fatalf("record %+v", rec)
	}
	if x.AuthorID != buyer.user.MangopayID || x.CreditedUserID != seller.user.MangopayID || x.DebitedWalletID != buyer.wallet.MangopayID ||
		x.CreditedWalletID != seller.wallet.MangopayID || x.DebitedFunds.Amount != 6000 || x.Fees.Amount != 600 ||
		x.CreditedFunds.Amount != 5400 || x.ExecutionDate == nil {
		t.Fatalf("transaction %+v", x)
	}
	// Debited -D, credited +D-F, fees wallet +F: to the cent.
	txWantBalance(t, e, buyer.wallet, 10000-6000)
	txWantBalance(t, e, seller.wallet, 5400)
	if got := e.Fake.FeesBalance("EUR") - fees0; got != 600 {
		t.Fatalf("fees wallet got %d, want 600", got)
	}
	reqs := e.Fake.Requests()
	if last := reqs[len(reqs)-1]; last.IdempotencyKey != records.IdempotencyKey(rec.ID) {
		t.Fatalf("Idempotency-Key %q, want the record's %q", last.IdempotencyKey, records.IdempotencyKey(rec.ID))
	}

	get := api.HTTP(e.Deps.Service.GetTransferOp(), e.Deps.API)
	plain := record(t, txGet(t, get, "/transfers/", "transfer_id", rec.ID, false), http.StatusOK)
	fresh := record(t, txGet(t, get, "/transfers/", "transfer_id", rec.ID, true), http.StatusOK)
	if plain.ID != rec.ID || fresh.Status != "SUCCEEDED" || fresh.Version != rec.Version+1 || !fresh.Transaction.ExecutionDate.Equal(*x.ExecutionDate) {
		t.Fatalf("get: %+v / refreshed %+v", plain, fresh)
	}
	problemFields(t, txGet(t, get, "/transfers/", "transfer_id", "trf_01JZZZZZZZZZZZZZZZZZZZZZZZ", false), http.StatusNotFound)
	wantFields(t, problemFields(t, txGet(t, get, "/transfers/", "transfer_id", buyer.wallet.ID, false), http.StatusBadRequest), "transfer_id")
}

func TestTransferWithTooLittleMoneyIsStoredFailed(t *testing.T) {
	e := testenv.New(t)
	buyer, seller := txNewPerson(t, e, "buyer-1", "PAYER", "EUR"), txNewPerson(t, e, "seller-1", "OWNER", "EUR")
	txPayIn(t, e, buyer, 1000, 0)
	resp := call(t, createTransfer(e), testenv.Request("POST", "/transfers", nil, transferBody(buyer.wallet, seller.wallet, 5000, 0), nil))
	// The transfer exists at Mangopay, FAILED: the faithful answer is 201
	// with the FAILED record and its result code.
	rec := record(t, resp, http.StatusCreated)
	if rec.Status != "FAILED" || rec.ResultCode != "001001" || rec.SyncState != records.SyncSynced || rec.MangopayID == "" || rec.Transaction.ExecutionDate != nil {
		t.Fatalf("record %+v", rec)
	}
	stored, err := e.Deps.Service.Records.Get(e.Ctx, rec.ID)
	if err != nil || stored.Status != "FAILED" || stored.ResultCode != "001001" {
		t.Fatalf("stored %+v %v", stored, err)
	}
	txWantBalance(t, e, buyer.wallet, 1000)
	txWantBalance(t, e, seller.wallet, 0)
}

func TestTransferRefusesBadRequestsAndSendsNothing(t *testing.T) {
	e := testenv.New(t)
	buyer, seller := txNewPerson(t, e, "buyer-1", "PAYER", "EUR"), txNewPerson(t, e, "seller-1", "OWNER", "EUR")
	gbp := txWallet(t, e, seller.user, "GBP")
	txPayIn(t, e, buyer, 10000, 0)
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
		{"same wallet", transferBody(buyer.wallet, buyer.wallet, 100, 0), 400, []string{"credited_wallet_id"}},
		{"fees above debited", transferBody(buyer.wallet, seller.wallet, 100, 101), 400, []string{"fees.amount"}},
		{"fees equal to debited", transferBody(buyer.wallet, seller.wallet, 100, 100), 400, []string{"fees.amount"}},
		{"wallets of two currencies", with(transferBody(buyer.wallet, gbp, 100, 0)), 400, []string{"credited_wallet_id"}},
		{"funds in another currency", with(transferBody(buyer.wallet, seller.wallet, 100, 0), "debited_funds", txMoney(100, "GBP"), "fees", txMoney(0, "GBP")),
			400, []string{"debited_funds.currency"}},
		{"fees in another currency", with(transferBody(buyer.wallet, seller.wallet, 100, 0), "fees", txMoney(0, "GBP")), 400, []string{"fees.currency"}},
		{"negative and unknown", with(transferBody(buyer.wallet, seller.wallet, -5, 0), "fees", txMoney(1, "XXX")), 400, []string{"debited_funds.amount", "fees.currency"}},
		{"missing money", map[string]any{"debited_wallet_id": buyer.wallet.ID, "credited_wallet_id": seller.wallet.ID}, 400, []string{"debited_funds", "fees"}},
		{"not wallet ids", with(transferBody(buyer.wallet, seller.wallet, 100, 0), "debited_wallet_id", buyer.user.ID), 400, []string{"debited_wallet_id"}},
		{"unknown wallet", with(transferBody(buyer.wallet, seller.wallet, 100, 0), "credited_wallet_id", "wlt_01JZZZZZZZZZZZZZZZZZZZZZZZ"), 400, []string{"credited_wallet_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := call(t, createTransfer(e), testenv.Request("POST", "/transfers", nil, tt.body, nil))
			wantFields(t, problemFields(t, resp, tt.status), tt.fields...)
		})
	}
	if n := e.Fake.Count("transfers"); n != 0 {
		t.Fatalf("%d transfers reached Mangopay", n)
	}
	if n := len(txRecords(t, e, "buyer-1", records.KindTransfer)); n != 0 {
		t.Fatalf("%d transfer records written", n)
	}
	txWantBalance(t, e, buyer.wallet, 10000)
}

func TestTransferOverTheQueueRunsOnce(t *testing.T) {
	e := testenv.New(t)
	buyer, seller := txNewPerson(t, e, "buyer-1", "PAYER", "EUR"), txNewPerson(t, e, "seller-1", "OWNER", "EUR")
	txPayIn(t, e, buyer, 10000, 0)
	h := api.SQS(e.Deps.Service.CreateTransferOp(), e.Deps.API)
	msg := testenv.Message("m-transfer-1", transferBody(buyer.wallet, seller.wallet, 2500, 250), nil)
	for range 3 {
		txSQS(t, h, e, msg)
	}
	if n, r := e.Fake.Count("transfers"), len(txRecords(t, e, "buyer-1", records.KindTransfer)); n != 1 || r != 1 {
		t.Fatalf("transfers %d, records %d, want 1 and 1", n, r)
	}
	txWantBalance(t, e, buyer.wallet, 7500)
	txWantBalance(t, e, seller.wallet, 2250)
	// A transfer Mangopay cannot make is stored, not dead-lettered.
	txSQS(t, h, e, testenv.Message("m-transfer-2", transferBody(buyer.wallet, seller.wallet, 999999, 0), nil))
	if len(e.Messages(t, e.DLQ)) != 0 {
		t.Fatal("a FAILED transfer was dead-lettered")
	}
	recs := txRecords(t, e, "buyer-1", records.KindTransfer)
	if len(recs) != 2 || recs[1].Status != "FAILED" || recs[1].ResultCode != "001001" {
		t.Fatalf("records %+v", recs)
	}
	// An invalid message can never succeed: dead-lettered with its reason.
	txSQS(t, h, e, testenv.Message("m-transfer-3", transferBody(buyer.wallet, buyer.wallet, 1, 0), nil))
	if dead := e.Messages(t, e.DLQ); len(dead) != 1 || *dead[0].MessageAttributes[api.AttrFailureReason].StringValue == "" {
		t.Fatalf("dead letters %+v", dead)
	}
}
