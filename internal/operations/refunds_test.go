package operations_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

func refundPayIn(t *testing.T, e *testenv.Env, payinID string, body any) events.APIGatewayV2HTTPResponse {
	t.Helper()
	return call(t, api.HTTP(e.Deps.Service.RefundPayInOp(), e.Deps.API),
		testenv.Request("POST", "/payins/"+payinID+"/refunds", map[string]string{"payin_id": payinID}, body, nil))
}

func refundTransfer(t *testing.T, e *testenv.Env, transferID string, body any) events.APIGatewayV2HTTPResponse {
	t.Helper()
	return call(t, api.HTTP(e.Deps.Service.RefundTransferOp(), e.Deps.API),
		testenv.Request("POST", "/transfers/"+transferID+"/refunds", map[string]string{"transfer_id": transferID}, body, nil))
}

func partial(debited, fees int64) map[string]any {
	return map[string]any{"debited_funds": txEUR(debited), "fees": txEUR(fees)}
}

func TestPayInRefundPartialThenTheRemainder(t *testing.T) {
	e := testenv.New(t)
	payer := txNewPerson(t, e, "payer-1", "PAYER", "EUR")
	pay := txPayIn(t, e, payer, 10000, 500) // the wallet gets 9500, the platform 500
	fees0 := e.Fake.FeesBalance("EUR")

	first := record(t, refundPayIn(t, e, pay.ID, partial(2000, -100)), http.StatusCreated)
	x := first.Transaction
	if first.Kind != records.KindRefund || first.Status != "SUCCEEDED" || first.SyncState != records.SyncSynced || first.ParentID != pay.ID ||
		first.OwnerRef != "payer-1" || x.InitialTransactionID != pay.MangopayID || x.InitialTransactionType != "PAYIN" ||
		x.Type != "PAYOUT" || x.Nature != "REFUND" || x.DebitedFunds.Amount != 2000 || x.Fees.Amount != -100 ||
		x.CreditedFunds.Amount != 2100 || x.AuthorID != payer.user.MangopayID || x.ExecutionDate == nil || x.RefundReasonType == "" {
		t.Fatalf("partial refund %+v %+v", first, x)
	}
	txWantBalance(t, e, payer.wallet, 7500)

	// No amounts: everything not refunded yet, fees included.
	rest := record(t, refundPayIn(t, e, pay.ID, nil), http.StatusCreated)
	if rest.Status != "SUCCEEDED" || rest.Transaction.DebitedFunds.Amount != 7500 || rest.Transaction.Fees.Amount != -400 {
		t.Fatalf("remaining refund %+v %+v", rest, rest.Transaction)
	}
	txWantBalance(t, e, payer.wallet, 0)
	if got := fees0 - e.Fake.FeesBalance("EUR"); got != 500 {
		t.Fatalf("fees given back %d, want 500", got)
	}

	again := refundPayIn(t, e, pay.ID, nil)
	problemFields(t, again, http.StatusConflict)
	if n := e.Fake.Count("refunds"); n != 2 {
		t.Fatalf("refunds at Mangopay = %d, want 2", n)
	}
	if n := len(txRecords(t, e, "payer-1", records.KindRefund)); n != 2 {
		t.Fatalf("refund records = %d, want 2", n)
	}
}

func TestOverRefundIsRefused(t *testing.T) {
	e := testenv.New(t)
	payer := txNewPerson(t, e, "payer-1", "PAYER", "EUR")
	pay := txPayIn(t, e, payer, 10000, 500)

	// Refused by our checks: nothing written, nothing sent.
	tests := []struct {
		name   string
		body   map[string]any
		fields []string
	}{
		{"more than the pay-in credited", partial(9501, 0), []string{"debited_funds.amount"}},
		{"more fees back than charged", partial(1000, -501), []string{"fees.amount"}},
		{"fees not below the amount", partial(1000, 1000), []string{"fees.amount"}},
		{"another currency", map[string]any{"debited_funds": txMoney(1000, "GBP"), "fees": txMoney(0, "GBP")}, []string{"debited_funds.currency"}},
		{"amount without fees", map[string]any{"debited_funds": txEUR(1000)}, []string{"fees"}},
		{"fees without amount", map[string]any{"fees": txEUR(0)}, []string{"debited_funds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantFields(t, problemFields(t, refundPayIn(t, e, pay.ID, tt.body), http.StatusBadRequest), tt.fields...)
		})
	}
	if n, r := e.Fake.Count("refunds"), len(txRecords(t, e, "payer-1", records.KindRefund)); n != 0 || r != 0 {
		t.Fatalf("refunds at Mangopay %d, records %d, want none", n, r)
	}

	// Refused by Mangopay, stored: a refund our records do not know (made
	// elsewhere) makes our "everything left" too much; Mangopay fails it
	// with 005403 and the FAILED refund is recorded.
	if _, err := e.Deps.Service.MP.RefundPayIn(e.Ctx, pay.MangopayID, &mangopay.RefundCreate{AuthorID: payer.user.MangopayID,
		DebitedFunds: &mangopay.Money{Amount: 1000, Currency: "EUR"}, Fees: &mangopay.Money{Amount: 0, Currency: "EUR"}}); err != nil {
		t.Fatal(err)
	}
	over := record(t, refundPayIn(t, e, pay.ID, nil), http.StatusCreated)
	if over.Status != "FAILED" || over.ResultCode != "005403" || over.SyncState != records.SyncSynced {
		t.Fatalf("over-refund %+v", over)
	}
	stored, _ := e.Deps.Service.Records.Get(e.Ctx, over.ID)
	if stored.Status != "FAILED" || stored.ResultCode != "005403" {
		t.Fatalf("stored %+v", stored)
	}
	txWantBalance(t, e, payer.wallet, 8500)

	// A 4xx from Mangopay: 422, and the record FAILED with the reason.
	e.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/refunds", Status: 400, Times: 1})
	problemFields(t, refundPayIn(t, e, pay.ID, partial(100, 0)), http.StatusUnprocessableEntity)
	var failed int
	for _, r := range txRecords(t, e, "payer-1", records.KindRefund) {
		if r.SyncState == records.SyncFailed && r.SyncError != "" {
			failed++
		}
	}
	if failed != 1 {
		t.Fatalf("%d refunds recorded as refused by Mangopay, want 1", failed)
	}
	txWantBalance(t, e, payer.wallet, 8500)
}

func TestTransferRefund(t *testing.T) {
	e := testenv.New(t)
	buyer, seller := txNewPerson(t, e, "buyer-1", "PAYER", "EUR"), txNewPerson(t, e, "seller-1", "OWNER", "EUR")
	txPayIn(t, e, buyer, 10000, 0)
	fees0 := e.Fake.FeesBalance("EUR")
	tr := record(t, call(t, createTransfer(e), testenv.Request("POST", "/transfers", nil, transferBody(buyer.wallet, seller.wallet, 6000, 600), nil)), http.StatusCreated)

	rf := record(t, refundTransfer(t, e, tr.ID, nil), http.StatusCreated)
	x := rf.Transaction
	if rf.Kind != records.KindRefund || rf.Status != "SUCCEEDED" || rf.ParentID != tr.ID || rf.OwnerRef != "buyer-1" ||
		x.Type != "TRANSFER" || x.Nature != "REFUND" || x.InitialTransactionType != "TRANSFER" || x.InitialTransactionID != tr.MangopayID ||
		x.DebitedFunds.Amount != 5400 || x.Fees.Amount != -600 || x.DebitedWalletID != seller.wallet.MangopayID || x.CreditedWalletID != buyer.wallet.MangopayID {
		t.Fatalf("transfer refund %+v %+v", rf, x)
	}
	txWantBalance(t, e, buyer.wallet, 10000)
	txWantBalance(t, e, seller.wallet, 0)
	if got := e.Fake.FeesBalance("EUR"); got != fees0 {
		t.Fatalf("fees wallet %d, want %d", got, fees0)
	}
	problemFields(t, refundTransfer(t, e, tr.ID, nil), http.StatusConflict)

	// A partial transfer refund over the queue, delivered twice: once.
	tr2 := record(t, call(t, createTransfer(e), testenv.Request("POST", "/transfers", nil, transferBody(buyer.wallet, seller.wallet, 2000, 0), nil)), http.StatusCreated)
	h := api.SQS(e.Deps.Service.RefundTransferOp(), e.Deps.API)
	body := partial(500, 0)
	body["transfer_id"] = tr2.ID
	msg := testenv.Message("m-refund-1", body, nil)
	txSQS(t, h, e, msg)
	txSQS(t, h, e, msg)
	if n := e.Fake.Count("refunds"); n != 2 {
		t.Fatalf("refunds at Mangopay = %d, want 2", n)
	}
	txWantBalance(t, e, seller.wallet, 1500)
	txWantBalance(t, e, buyer.wallet, 8500)
}

func TestRefundExecutionDateIsMangopays(t *testing.T) {
	mpNow := time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC) // Mangopay's clock, far from ours
	e := testenv.New(t, mangopaytest.WithClock(mpNow))
	payer := txNewPerson(t, e, "payer-1", "PAYER", "EUR")
	pay := txPayIn(t, e, payer, 3000, 0)
	rf := record(t, refundPayIn(t, e, pay.ID, partial(1000, 0)), http.StatusCreated)

	raw, ok := e.Fake.Object("refunds", rf.MangopayID)
	if !ok {
		t.Fatal("refund unknown at the fake")
	}
	var obj struct{ ExecutionDate int64 }
	if err := json.Unmarshal(raw, &obj); err != nil || obj.ExecutionDate == 0 {
		t.Fatalf("fake refund %s: %v", raw, err)
	}
	want := time.Unix(obj.ExecutionDate, 0).UTC()
	if want.Year() != 2024 {
		t.Fatalf("fake clock not used: %v", want)
	}
	get := api.HTTP(e.Deps.Service.GetRefundOp(), e.Deps.API)
	for _, refresh := range []bool{false, true} {
		got := record(t, txGet(t, get, "/refunds/", "refund_id", rf.ID, refresh), http.StatusOK)
		if got.Transaction.ExecutionDate == nil || !got.Transaction.ExecutionDate.Equal(want) {
			t.Fatalf("refresh=%v: execution date %v, want Mangopay's %v", refresh, got.Transaction.ExecutionDate, want)
		}
	}
	if !rf.Transaction.ExecutionDate.Equal(want) {
		t.Fatalf("create answered execution date %v, want %v", rf.Transaction.ExecutionDate, want)
	}
	wantFields(t, problemFields(t, txGet(t, get, "/refunds/", "refund_id", pay.ID, false), http.StatusBadRequest), "refund_id")
	problemFields(t, txGet(t, get, "/refunds/", "refund_id", "rfd_01JZZZZZZZZZZZZZZZZZZZZZZZ", false), http.StatusNotFound)
}

func TestRefundChecksTheOriginal(t *testing.T) {
	e := testenv.New(t)
	payer := txNewPerson(t, e, "payer-1", "PAYER", "EUR")
	pay := txPayIn(t, e, payer, 5000, 0)

	// Our record FAILED: refused without asking Mangopay.
	failedPay := txPut(t, e, &records.Record{Kind: records.KindPayIn, OwnerRef: "payer-1", MangopayID: "payin_m_failed", Status: "FAILED",
		ResultCode: "101101", Transaction: &records.Transaction{AuthorID: payer.user.MangopayID}})
	problemFields(t, refundPayIn(t, e, failedPay.ID, nil), http.StatusConflict)
	problemFields(t, refundPayIn(t, e, "pay_01JZZZZZZZZZZZZZZZZZZZZZZZ", nil), http.StatusNotFound)
	if n := e.Fake.Count("refunds"); n != 0 {
		t.Fatalf("%d refunds sent", n)
	}

	// Another refund of the same pay-in whose outcome is unknown (PENDING):
	// 409 now, retried by the queue rather than dead-lettered.
	pending := &records.Record{ID: e.Deps.Service.Records.NewID(records.KindRefund), Kind: records.KindRefund, OwnerRef: "payer-1",
		ParentID: pay.ID, SyncState: records.SyncPending, Transaction: &records.Transaction{DebitedFunds: records.Money{Amount: 100, Currency: "EUR"}}}
	if err := e.Deps.Service.Records.Create(e.Ctx, pending); err != nil {
		t.Fatal(err)
	}
	problemFields(t, refundPayIn(t, e, pay.ID, partial(100, 0)), http.StatusConflict)
	out, _ := api.SQS(e.Deps.Service.RefundPayInOp(), e.Deps.API)(e.Ctx, events.SQSEvent{Records: []events.SQSMessage{
		testenv.Message("m-pending", map[string]any{"payin_id": pay.ID}, nil)}})
	if len(out.BatchItemFailures) != 1 || len(e.Messages(t, e.DLQ)) != 0 {
		t.Fatalf("want the message retried, got %+v", out)
	}
	if _, err := e.Deps.Service.Records.Update(e.Ctx, pending.ID, func(r *records.Record) error {
		r.SyncState, r.SyncError = records.SyncFailed, "refused"
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// A record behind Mangopay (still CREATED here, SUCCEEDED there) does
	// not block the refund: Mangopay is asked once.
	if _, err := e.Deps.Service.Records.Update(e.Ctx, pay.ID, func(r *records.Record) error {
		r.Status, r.ResultCode = "CREATED", ""
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	before := txCalls(e, "GET", "/payins/"+pay.MangopayID)
	rf := record(t, refundPayIn(t, e, pay.ID, nil), http.StatusCreated)
	if rf.Status != "SUCCEEDED" || rf.Transaction.DebitedFunds.Amount != 5000 || txCalls(e, "GET", "/payins/"+pay.MangopayID) != before+1 {
		t.Fatalf("refund %+v %+v", rf, rf.Transaction)
	}
	txWantBalance(t, e, payer.wallet, 0)
}

// TestRefundReadsOnlyItsOwnTransactionsRefunds: the earlier refunds of a
// transaction are read through by_parent, so a payer with many refunds of
// other transactions does not make a refund read them (by_owner read all
// of them: 1.1-1.6 s per refund with a few hundred).
func TestRefundReadsOnlyItsOwnTransactionsRefunds(t *testing.T) {
	e := testenv.New(t)
	payer := txNewPerson(t, e, "payer-1", "PAYER", "EUR")
	pay := txPayIn(t, e, payer, 10000, 500)

	// 150 refunds of 15 other pay-ins of the same payer, some of them
	// still PENDING: none concerns pay. (CREATED rather than SUCCEEDED:
	// the same for the check, without publishing 150 events.)
	const others = 150
	var parent string
	for i := range others {
		if i%10 == 0 {
			parent = e.Deps.Service.Records.NewID(records.KindPayIn)
		}
		r := &records.Record{Kind: records.KindRefund, OwnerRef: "payer-1", ParentID: parent, Status: "CREATED", SyncState: records.SyncSynced,
			Transaction: &records.Transaction{DebitedFunds: records.Money{Amount: 100, Currency: "EUR"}, Fees: records.Money{Currency: "EUR"}}}
		if i%50 == 0 {
			r.Status, r.SyncState = "", records.SyncPending
		}
		if err := e.Deps.Service.Records.Create(e.Ctx, r); err != nil {
			t.Fatal(err)
		}
	}

	// Which indexes the refunds query, as the events test records grants.
	var mu sync.Mutex
	indexes := map[string]int{}
	e.Faults.Arm("DynamoDB", "Query", awstest.FaultHook{Keep: true, Fail: func(in any) error {
		mu.Lock()
		defer mu.Unlock()
		indexes[aws.ToString(in.(*dynamodb.QueryInput).IndexName)]++
		return nil
	}})

	steps := []struct {
		name    string
		body    any
		debited int64
		// earlier refunds of pay: all that a refund may read
		earlier int
	}{
		{"first, partial", partial(2000, -100), 2000, 0},
		{"second, partial", partial(3000, 0), 3000, 1},
		{"the remainder", nil, 4500, 2}, // 9500 credited
	}
	for _, st := range steps {
		e.Calls.Reset()
		rf := record(t, refundPayIn(t, e, pay.ID, st.body), http.StatusCreated)
		if rf.Status != "SUCCEEDED" || rf.Transaction.DebitedFunds.Amount != st.debited {
			t.Fatalf("%s: refund %+v %+v, want %d refunded", st.name, rf, rf.Transaction, st.debited)
		}
		read := e.Calls.ItemsRead(dynamodb.ServiceID, "Query")
		t.Logf("%s: %d items read by %d queries (%d refunds of other pay-ins)", st.name, read, e.Calls.Calls(dynamodb.ServiceID, "Query"), others)
		if read != st.earlier {
			t.Fatalf("%s: %d items read by queries, want %d (the refunds of %s only)", st.name, read, st.earlier, pay.ID)
		}
	}
	if rf := refundPayIn(t, e, pay.ID, nil); rf.StatusCode != http.StatusConflict {
		t.Fatalf("after a full refund: %d %s, want 409", rf.StatusCode, rf.Body)
	}
	mu.Lock()
	defer mu.Unlock()
	if indexes[records.IndexByOwner] != 0 || indexes[records.IndexByParent] == 0 {
		t.Fatalf("queries by index %v, want by_parent only", indexes)
	}
}

// TestRefundsWrittenBeforeByParentNeedTheBackfill: a refund record written
// before the by_parent index (no parent attribute) is not seen by the
// refund checks until records.BackfillParent has run; then it counts.
func TestRefundsWrittenBeforeByParentNeedTheBackfill(t *testing.T) {
	e := testenv.New(t)
	payer := txNewPerson(t, e, "payer-1", "PAYER", "EUR")
	pay := txPayIn(t, e, payer, 10000, 0)
	old := record(t, refundPayIn(t, e, pay.ID, partial(4000, 0)), http.StatusCreated)
	db := dynamodb.NewFromConfig(e.AWS)
	if _, err := db.UpdateItem(e.Ctx, &dynamodb.UpdateItemInput{TableName: aws.String(e.Deps.Service.Records.Table()),
		Key:                      map[string]ddbtypes.AttributeValue{records.AttrPK: &ddbtypes.AttributeValueMemberS{Value: old.ID}},
		UpdateExpression:         aws.String("REMOVE #p"),
		ExpressionAttributeNames: map[string]string{"#p": records.AttrParent}}); err != nil {
		t.Fatal(err)
	}
	// Without the backfill our check would allow 10000 again; Mangopay's
	// own check is what would stop it. Only look, do not send.
	recs, _, err := e.Deps.Service.Records.ListByParent(e.Ctx, pay.ID, records.KindRefund, 0, "")
	if err != nil || len(recs) != 0 {
		t.Fatalf("before the backfill: %v %v, want the old refund unlisted", recs, err)
	}
	st, err := records.BackfillParent(e.Ctx, db, e.Deps.Service.Records.Table(), false)
	if err != nil || st.Updated != 1 {
		t.Fatalf("backfill: %+v %v", st, err)
	}
	fields := problemFields(t, refundPayIn(t, e, pay.ID, partial(6001, 0)), http.StatusBadRequest)
	wantFields(t, fields, "debited_funds.amount")
	rest := record(t, refundPayIn(t, e, pay.ID, nil), http.StatusCreated)
	if rest.Transaction.DebitedFunds.Amount != 6000 {
		t.Fatalf("remainder %d, want 6000", rest.Transaction.DebitedFunds.Amount)
	}
}
