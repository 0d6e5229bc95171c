package operations_test

import (
	"net/http"
	"testing"

	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// A keyed transfer reads its two wallets in one call and their owners in
// another, does not look for an earlier attempt of a fresh claim, and
// clears its outbox without re-reading: 7 DynamoDB calls (it was 11). A
// replay of the same key still answers from the claim.
func TestKeyedTransferRoundTrips(t *testing.T) {
	e := testenv.New(t)
	buyer, seller := txNewPerson(t, e, "buyer-1", "PAYER", "EUR"), txNewPerson(t, e, "seller-1", "OWNER", "EUR")
	txPayIn(t, e, buyer, 10000, 0)
	h := createTransfer(e)
	req := testenv.Request("POST", "/transfers", nil, transferBody(buyer.wallet, seller.wallet, 3000, 0), map[string]string{"Idempotency-Key": "trf-reads-1"})
	e.Calls.Reset()
	rec := record(t, call(t, h, req), http.StatusCreated)
	if got := map[string]int{
		"GetItem": e.Calls.Calls("DynamoDB", "GetItem"), "BatchGetItem": e.Calls.Calls("DynamoDB", "BatchGetItem"),
		"PutItem": e.Calls.Calls("DynamoDB", "PutItem"), "UpdateItem": e.Calls.Calls("DynamoDB", "UpdateItem"),
	}; got["GetItem"] != 0 || got["BatchGetItem"] != 2 || got["PutItem"] != 3 || got["UpdateItem"] != 2 {
		t.Fatalf("DynamoDB calls %v (%v), want 2 BatchGetItem, 3 PutItem, 2 UpdateItem and no GetItem", got, e.Calls)
	}
	again := call(t, h, req)
	if again.Headers["Idempotent-Replayed"] != "true" || record(t, again, http.StatusCreated).ID != rec.ID {
		t.Fatalf("replay: %d %v", again.StatusCode, again.Headers)
	}
	if n := countRecords(t, e, "buyer-1", records.KindTransfer); n != 1 {
		t.Fatalf("%d transfers", n)
	}
	if stored, err := e.Deps.Service.Records.Get(e.Ctx, rec.ID); err != nil || len(stored.Outbox) != 0 {
		t.Fatalf("outbox not cleared: %v %v", err, stored)
	}
}
