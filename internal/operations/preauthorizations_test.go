package operations_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

func cpPreauthBody(author, card *records.Record, amount int64) map[string]any {
	return map[string]any{"author_id": author.ID, "card_id": card.ID, "debited_funds": cpEUR(amount),
		"secure_mode_return_url": "https://shop.example.com/held", "browser_info": cpBrowserInfo(), "ip_address": "2001:db8::1"}
}

func cpCreatePreauth(t *testing.T, e *testenv.Env, body any) events.APIGatewayV2HTTPResponse {
	t.Helper()
	return call(t, api.HTTP(e.Deps.Service.CreatePreauthorizationOp(), e.Deps.API), testenv.Request("POST", "/preauthorizations", nil, body, nil))
}

func cpCapture(t *testing.T, e *testenv.Env, pre *records.Record, body map[string]any) events.APIGatewayV2HTTPResponse {
	t.Helper()
	return call(t, api.HTTP(e.Deps.Service.CapturePreauthorizationOp(), e.Deps.API),
		testenv.Request("POST", "/preauthorizations/"+pre.ID+"/captures", map[string]string{"preauthorization_id": pre.ID}, body, nil))
}

func cpCancel(t *testing.T, e *testenv.Env, pre *records.Record) events.APIGatewayV2HTTPResponse {
	t.Helper()
	return call(t, api.HTTP(e.Deps.Service.CancelPreauthorizationOp(), e.Deps.API),
		testenv.Request("POST", "/preauthorizations/"+pre.ID+"/cancel", map[string]string{"preauthorization_id": pre.ID}, nil, nil))
}

func cpGetPreauth(t *testing.T, e *testenv.Env, pre *records.Record, refresh bool) events.APIGatewayV2HTTPResponse {
	t.Helper()
	req := testenv.Request("GET", "/preauthorizations/"+pre.ID, map[string]string{"preauthorization_id": pre.ID}, nil, nil)
	if refresh {
		req.QueryStringParameters = map[string]string{"refresh": "true"}
	}
	return call(t, api.HTTP(e.Deps.Service.GetPreauthorizationOp(), e.Deps.API), req)
}

func cpCaptureBody(wallet *records.Record, amount, fees int64) map[string]any {
	return map[string]any{"credited_wallet_id": wallet.ID, "debited_funds": cpEUR(amount), "fees": cpEUR(fees)}
}

func TestPreauthorizationPartialCapturesOverCaptureAndCancelRules(t *testing.T) {
	e := testenv.New(t)
	user, wallet, card := cpSetup(t, e, "buyer-1", cpFrictionlessPAN)
	pre := cpAnswer(t, cpCreatePreauth(t, e, cpPreauthBody(user, card, 10000)), http.StatusCreated)
	x := pre.Transaction
	if pre.Kind != records.KindPreauthorization || pre.Status != "SUCCEEDED" || pre.ResultCode != "000000" || x.PaymentStatus != "WAITING" ||
		x.RemainingFunds == nil || x.RemainingFunds.Amount != 10000 || x.HoldExpiresAt == nil || x.AuthorizationDate == nil ||
		pre.RecheckAt != nil || pre.RedirectURL != "" || x.CardID != card.MangopayID || pre.ParentID != card.ID {
		t.Fatalf("preauthorization %+v %+v", pre.Record, x)
	}
	if cpBalance(t, e, wallet) != 0 {
		t.Fatal("a hold moved money")
	}

	// First partial capture, over HTTP.
	c1 := cpAnswer(t, cpCapture(t, e, pre.Record, cpCaptureBody(wallet, 4000, 400)), http.StatusCreated)
	if c1.Kind != records.KindPayIn || c1.Status != "SUCCEEDED" || c1.Transaction.PaymentType != "PREAUTHORIZED" ||
		c1.Transaction.PreauthorizationID != pre.MangopayID || c1.ParentID != pre.ID || c1.Transaction.CreditedFunds.Amount != 3600 {
		t.Fatalf("capture %+v %+v", c1.Record, c1.Transaction)
	}
	if got := cpBalance(t, e, wallet); got != 3600 {
		t.Fatalf("balance %d", got)
	}
	stored, _ := e.Deps.Service.Records.Get(e.Ctx, pre.ID)
	if stored.Transaction.RemainingFunds.Amount != 6000 {
		t.Fatalf("remaining after a capture %+v", stored.Transaction.RemainingFunds)
	}

	// Second partial capture, through the queue (delivered twice).
	ev := testenv.SQSEvent()
	msg := cpCaptureBody(wallet, 3000, 0)
	msg["preauthorization_id"] = pre.ID
	ev.Records = append(ev.Records, testenv.Message("m-capture-2", msg, nil))
	for range 2 {
		if out, err := api.SQS(e.Deps.Service.CapturePreauthorizationOp(), e.Deps.API)(e.Ctx, ev); err != nil || len(out.BatchItemFailures) != 0 {
			t.Fatalf("queue: %+v %v", out, err)
		}
	}
	if got := cpBalance(t, e, wallet); got != 6600 || e.Fake.Count("payins") != 2 {
		t.Fatalf("balance %d, %d pay-ins", got, e.Fake.Count("payins"))
	}

	// More than what remains (3000) is refused before Mangopay.
	before := cpRequests(e, "POST", "/payins/preauthorized/direct")
	fields := problemFields(t, cpCapture(t, e, pre.Record, cpCaptureBody(wallet, 5000, 0)), http.StatusBadRequest)
	wantFields(t, fields, "debited_funds.amount")
	if cpRequests(e, "POST", "/payins/preauthorized/direct") != before {
		t.Fatal("an over-capture was sent to Mangopay")
	}

	// Another capture of 1000 lands at Mangopay between our check and our
	// call (another system, or a race): Mangopay fails ours with 001505,
	// and that answer is stored and returned.
	direct, err := mangopay.New(mangopay.Config{BaseURL: e.Fake.URL,
		Credentials: mangopay.StaticCredentials{ClientID: e.Fake.ClientID, APIKey: e.Fake.APIKey}})
	if err != nil {
		t.Fatal(err)
	}
	var raced atomic.Bool
	e.Faults.Arm("DynamoDB", "PutItem", awstest.FaultHook{Keep: true, Fail: func(in any) error {
		item := in.(*dynamodb.PutItemInput).Item
		pk, _ := item["pk"].(*ddbtypes.AttributeValueMemberS)
		state, _ := item["sync_state"].(*ddbtypes.AttributeValueMemberS)
		if pk != nil && strings.HasPrefix(pk.Value, "pay_") && state != nil && state.Value == "PENDING" && raced.CompareAndSwap(false, true) {
			if _, err := direct.CapturePreAuthorization(e.Ctx, &mangopay.PreAuthorizationCapture{PreauthorizationID: pre.MangopayID,
				CreditedWalletID: wallet.MangopayID, DebitedFunds: mangopay.Money{Currency: "EUR", Amount: 1000},
				Fees: mangopay.Money{Currency: "EUR"}}); err != nil {
				t.Errorf("capture elsewhere: %v", err)
			}
		}
		return nil
	}})
	over := cpAnswer(t, cpCapture(t, e, pre.Record, cpCaptureBody(wallet, 3000, 0)), http.StatusCreated)
	e.Faults.Clear()
	if !raced.Load() || over.Status != "FAILED" || over.ResultCode != "001505" || over.ResultMessage == "" || over.RecheckAt != nil {
		t.Fatalf("over-capture: raced %v, %+v", raced.Load(), over.Record)
	}
	if s, _ := e.Deps.Service.Records.Get(e.Ctx, over.ID); s.Status != "FAILED" || s.ResultCode != "001505" {
		t.Fatalf("stored over-capture %+v", s)
	}
	if got := cpBalance(t, e, wallet); got != 7600 {
		t.Fatalf("balance %d, want 6600 + the 1000 captured elsewhere", got)
	}
	if got := cpGetPayIn(t, e, over.ID, false); got.ResultCode != "001505" {
		t.Fatalf("get-payin of the over-capture: %+v", got.Record)
	}

	// Cancel rules: not after a capture; a fresh hold cancels once.
	problemFields(t, cpCancel(t, e, pre.Record), http.StatusConflict)
	pre2 := cpAnswer(t, cpCreatePreauth(t, e, cpPreauthBody(user, card, 2000)), http.StatusCreated)
	cancelled := cpAnswer(t, cpCancel(t, e, pre2.Record), http.StatusOK)
	if cancelled.Transaction.PaymentStatus != "CANCELED" {
		t.Fatalf("cancel %+v", cancelled.Transaction)
	}
	puts := cpRequests(e, "PUT", "/preauthorizations/")
	ev = testenv.SQSEvent()
	ev.Records = append(ev.Records, testenv.Message("m-cancel-1", map[string]any{"preauthorization_id": pre2.ID}, nil))
	if out, err := api.SQS(e.Deps.Service.CancelPreauthorizationOp(), e.Deps.API)(e.Ctx, ev); err != nil || len(out.BatchItemFailures) != 0 {
		t.Fatalf("cancel again through the queue: %+v %v", out, err)
	}
	if cpRequests(e, "PUT", "/preauthorizations/") != puts {
		t.Fatal("cancelled twice at Mangopay")
	}
	problemFields(t, cpCapture(t, e, pre2.Record, cpCaptureBody(wallet, 100, 0)), http.StatusConflict)
	got := cpAnswer(t, cpGetPreauth(t, e, pre2.Record, false), http.StatusOK)
	if got.Transaction.PaymentStatus != "CANCELED" || got.Transaction.RemainingFunds.Amount != 2000 {
		t.Fatalf("get %+v", got.Transaction)
	}
	if len(e.Messages(t, e.DLQ)) != 0 {
		t.Fatal("dead letters")
	}
}

func TestPreauthorizationWith3DSAndItsChecks(t *testing.T) {
	e := testenv.New(t)
	user, wallet, card := cpSetup(t, e, "buyer-1", cpChallengePAN)
	_, otherWallet, otherCard := cpSetup(t, e, "buyer-2", cpFrictionlessPAN)

	body := cpPreauthBody(user, otherCard, 5000)
	wantFields(t, problemFields(t, cpCreatePreauth(t, e, body), http.StatusBadRequest), "card_id")
	body = cpPreauthBody(user, card, 5000)
	body["debited_funds"] = map[string]any{"amount": 5000, "currency": "GBP"}
	delete(body, "browser_info")
	wantFields(t, problemFields(t, cpCreatePreauth(t, e, body), http.StatusBadRequest), "browser_info")
	body["browser_info"] = cpBrowserInfo()
	wantFields(t, problemFields(t, cpCreatePreauth(t, e, body), http.StatusBadRequest), "debited_funds.currency")
	if e.Fake.Count("preauthorizations") != 0 {
		t.Fatal("a refused preauthorization reached Mangopay")
	}

	pre := cpAnswer(t, cpCreatePreauth(t, e, cpPreauthBody(user, card, 5000)), http.StatusCreated)
	if pre.Status != "CREATED" || pre.RedirectURL == "" || !pre.Transaction.SecureModeNeeded || pre.RecheckAt == nil {
		t.Fatalf("3DS preauthorization %+v redirect %q", pre.Record, pre.RedirectURL)
	}
	// Not capturable yet: a 409 a queue would retry.
	problemFields(t, cpCapture(t, e, pre.Record, cpCaptureBody(wallet, 1000, 0)), http.StatusConflict)
	if back := cpPassPage(t, pre.RedirectURL); !strings.HasPrefix(back, "https://shop.example.com/held?preAuthorizationId="+pre.MangopayID) {
		t.Fatalf("sent back to %q", back)
	}
	fresh := cpAnswer(t, cpGetPreauth(t, e, pre.Record, true), http.StatusOK)
	if fresh.Status != "SUCCEEDED" || fresh.RecheckAt != nil || fresh.RedirectURL != "" || fresh.Transaction.PaymentStatus != "WAITING" {
		t.Fatalf("after 3DS %+v", fresh.Record)
	}
	// A capture into someone else's wallet, or in another currency, is refused.
	wantFields(t, problemFields(t, cpCapture(t, e, pre.Record, cpCaptureBody(otherWallet, 1000, 0)), http.StatusBadRequest), "credited_wallet_id")
	gbp := map[string]any{"credited_wallet_id": wallet.ID, "debited_funds": map[string]any{"amount": 1000, "currency": "GBP"},
		"fees": map[string]any{"amount": 0, "currency": "GBP"}}
	wantFields(t, problemFields(t, cpCapture(t, e, pre.Record, gbp), http.StatusBadRequest), "debited_funds.currency")
	all := cpAnswer(t, cpCapture(t, e, pre.Record, cpCaptureBody(wallet, 5000, 500)), http.StatusCreated)
	if all.Status != "SUCCEEDED" || cpBalance(t, e, wallet) != 4500 {
		t.Fatalf("capture %+v", all.Record)
	}
	after := cpAnswer(t, cpGetPreauth(t, e, pre.Record, false), http.StatusOK)
	if after.Transaction.PaymentStatus != "VALIDATED" || after.Transaction.RemainingFunds.Amount != 0 {
		t.Fatalf("hold after a full capture %+v", after.Transaction)
	}
	problemFields(t, cpCapture(t, e, pre.Record, cpCaptureBody(wallet, 10, 0)), http.StatusConflict)
}

func TestPreauthorizationThroughTheQueueHoldsOnce(t *testing.T) {
	e := testenv.New(t)
	user, _, card := cpSetup(t, e, "buyer-1", cpFrictionlessPAN)
	ev := testenv.SQSEvent()
	ev.Records = append(ev.Records, testenv.Message("m-hold-1", cpPreauthBody(user, card, 7000), nil))
	for range 3 {
		if out, err := api.SQS(e.Deps.Service.CreatePreauthorizationOp(), e.Deps.API)(e.Ctx, ev); err != nil || len(out.BatchItemFailures) != 0 {
			t.Fatalf("queue: %+v %v", out, err)
		}
	}
	recs, _, _ := e.Deps.Service.Records.ListByOwner(e.Ctx, "buyer-1", records.KindPreauthorization, 10, "")
	if e.Fake.Count("preauthorizations") != 1 || len(recs) != 1 || recs[0].Status != "SUCCEEDED" {
		t.Fatalf("%d preauthorizations at Mangopay, records %+v", e.Fake.Count("preauthorizations"), recs)
	}
}

func TestCaptureLostAnswerAndFailedWriteCaptureOnce(t *testing.T) {
	e := testenv.New(t)
	user, wallet, card := cpSetup(t, e, "buyer-1", cpFrictionlessPAN)
	pre := cpAnswer(t, cpCreatePreauth(t, e, cpPreauthBody(user, card, 8000)), http.StatusCreated)
	// Mangopay captures everything but its answer is lost, and our write of
	// the answer fails once. On the retry nothing remains to capture: a
	// check of the remaining funds must not refuse the request whose money
	// already moved; the retry must find that capture.
	e.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/payins/preauthorized/direct", DropAfterCommit: true, Times: 1})
	e.Faults.Arm("DynamoDB", "PutItem", awstest.FaultHook{Fail: func(in any) error {
		item := in.(*dynamodb.PutItemInput).Item
		pk, _ := item["pk"].(*ddbtypes.AttributeValueMemberS)
		state, _ := item["sync_state"].(*ddbtypes.AttributeValueMemberS)
		if pk != nil && strings.HasPrefix(pk.Value, "pay_") && state != nil && state.Value == "SYNCED" {
			return awstest.ErrInjected
		}
		return nil
	}})
	req := testenv.Request("POST", "/preauthorizations/"+pre.ID+"/captures", map[string]string{"preauthorization_id": pre.ID},
		cpCaptureBody(wallet, 8000, 0), map[string]string{"idempotency-key": "order-9-capture"})
	h := api.HTTP(e.Deps.Service.CapturePreauthorizationOp(), e.Deps.API)
	if first := call(t, h, req); first.StatusCode < 500 {
		t.Fatalf("first attempt: %d %s", first.StatusCode, first.Body)
	}
	got := cpAnswer(t, call(t, h, req), http.StatusCreated)
	if got.Status != "SUCCEEDED" || e.Fake.Count("payins") != 1 || countRecords(t, e, "buyer-1", records.KindPayIn) != 1 || cpBalance(t, e, wallet) != 8000 {
		t.Fatalf("retry: %+v; %d pay-ins, balance %d", got.Record, e.Fake.Count("payins"), cpBalance(t, e, wallet))
	}
}
