package operations_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

func cpEUR(amount int64) map[string]any { return map[string]any{"amount": amount, "currency": "EUR"} }

// cpBrowserInfo is a whole browser_info, as a checkout page collects it.
func cpBrowserInfo() map[string]any {
	return map[string]any{"accept_header": "text/html", "java_enabled": false, "language": "fr-FR", "color_depth": 24,
		"screen_height": 1080, "screen_width": 1920, "time_zone_offset": -60,
		"user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "javascript_enabled": true}
}

// cpPayInBody is a card pay-in of amount (minor units, EUR) with fees.
func cpPayInBody(author, wallet, card *records.Record, amount, fees int64) map[string]any {
	return map[string]any{"author_id": author.ID, "credited_wallet_id": wallet.ID, "card_id": card.ID,
		"debited_funds": cpEUR(amount), "fees": cpEUR(fees), "secure_mode_return_url": "https://shop.example.com/paid",
		"browser_info": cpBrowserInfo(), "ip_address": "192.0.2.10", "statement_descriptor": "SHOP 42"}
}

func cpPayInRequest(body any, headers map[string]string) events.APIGatewayV2HTTPRequest {
	return testenv.Request("POST", "/payins/card/direct", nil, body, headers)
}

// cpAnswer decodes a pay-in or preauthorization answer.
func cpAnswer(t *testing.T, resp events.APIGatewayV2HTTPResponse, status int) *operations.PaymentAnswer {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, resp.Body)
	}
	var a operations.PaymentAnswer
	testenv.Decode(t, resp.Body, &a)
	if a.Record == nil {
		t.Fatalf("no record in %s", resp.Body)
	}
	return &a
}

func cpBalance(t *testing.T, e *testenv.Env, wallet *records.Record) int64 {
	t.Helper()
	n, _, err := e.Fake.Balance(wallet.MangopayID)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func cpGetPayIn(t *testing.T, e *testenv.Env, id string, refresh bool) *operations.PaymentAnswer {
	t.Helper()
	req := testenv.Request("GET", "/payins/"+id, map[string]string{"payin_id": id}, nil, nil)
	if refresh {
		req.QueryStringParameters = map[string]string{"refresh": "true"}
	}
	return cpAnswer(t, call(t, api.HTTP(e.Deps.Service.GetPayInOp(), e.Deps.API), req), http.StatusOK)
}

// cpBrowser is a browser that does not follow redirects, so a test sees
// where the 3-D Secure or payment page sends the payer back to.
var cpBrowser = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// cpPassPage goes through a fake 3-D Secure or payment page as a payer
// would: it opens the page, then takes the success action, and returns
// where the payer is sent back to.
func cpPassPage(t *testing.T, page string) string {
	t.Helper()
	res, err := cpBrowser.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page %s: %d %s", page, res.StatusCode, res.Header.Get("Content-Type"))
	}
	res, err = cpBrowser.Get(page + "?result=success")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("success action: %d", res.StatusCode)
	}
	return res.Header.Get("Location")
}

// cpSetup makes a payer with a EUR wallet and a registered card.
func cpSetup(t *testing.T, e *testenv.Env, ext, pan string) (user, wallet, card *records.Record) {
	t.Helper()
	user = cpUser(t, e, ext)
	return user, cpWallet(t, e, user, "EUR"), cpCard(t, e, user, pan, "EUR")
}

func TestFrictionlessCardPayInSucceeds(t *testing.T) {
	e := testenv.New(t)
	user, wallet, card := cpSetup(t, e, "buyer-1", cpFrictionlessPAN)
	fees0 := e.Fake.FeesBalance("EUR")
	ans := cpAnswer(t, call(t, api.HTTP(e.Deps.Service.CreateCardPayInOp(), e.Deps.API), cpPayInRequest(cpPayInBody(user, wallet, card, 1050, 50), nil)), http.StatusCreated)
	x := ans.Transaction
	if ans.Kind != records.KindPayIn || ans.SyncState != records.SyncSynced || ans.Status != "SUCCEEDED" || ans.ResultCode != "000000" ||
		ans.ResultMessage != "Success" || x.ExecutionDate == nil || ans.RecheckAt != nil || ans.RedirectURL != "" {
		t.Fatalf("pay-in %+v", ans.Record)
	}
	if x.PaymentType != "CARD" || x.ExecutionType != "DIRECT" || x.CardID != card.MangopayID || x.CreditedWalletID != wallet.MangopayID ||
		x.AuthorID != user.MangopayID || x.CreditedFunds != (records.Money{Amount: 1000, Currency: "EUR"}) || x.StatementDescriptor != "SHOP 42" ||
		ans.OwnerRef != "buyer-1" || ans.ParentID != card.ID {
		t.Fatalf("transaction part %+v", x)
	}
	if got := cpBalance(t, e, wallet); got != x.CreditedFunds.Amount {
		t.Fatalf("wallet balance %d, want the credited %d", got, x.CreditedFunds.Amount)
	}
	if got := e.Fake.FeesBalance("EUR") - fees0; got != 50 {
		t.Fatalf("platform fees grew by %d", got)
	}
	reqs := e.Fake.Requests()
	var key string
	for _, r := range reqs {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/payins/card/direct") {
			key = r.IdempotencyKey
		}
	}
	if key != records.IdempotencyKey(ans.ID) {
		t.Fatalf("Idempotency-Key %q, want %q derived from the record", key, records.IdempotencyKey(ans.ID))
	}
	stored := cpGetPayIn(t, e, ans.ID, false)
	if stored.Status != "SUCCEEDED" || stored.ResultCode != "000000" || stored.Transaction.ExecutionDate == nil || stored.RecheckAt != nil {
		t.Fatalf("stored pay-in %+v", stored.Record)
	}
}

func TestThreeDSCardPayInCompletesAfterTheBrowser(t *testing.T) {
	e := testenv.New(t)
	user, wallet, card := cpSetup(t, e, "buyer-1", cpChallengePAN)
	ans := cpAnswer(t, call(t, api.HTTP(e.Deps.Service.CreateCardPayInOp(), e.Deps.API), cpPayInRequest(cpPayInBody(user, wallet, card, 2500, 100), nil)), http.StatusCreated)
	if ans.Status != "CREATED" || ans.ResultCode != "" || !ans.Transaction.SecureModeNeeded || ans.Transaction.ExecutionDate != nil ||
		ans.RedirectURL == "" || ans.RedirectURL != ans.Transaction.SecureModeRedirectURL {
		t.Fatalf("3DS pay-in %+v %+v redirect %q", ans.Record, ans.Transaction, ans.RedirectURL)
	}
	stored, _ := e.Deps.Service.Records.Get(e.Ctx, ans.ID)
	if stored.RecheckAt == nil || stored.RecheckAt.After(ans.UpdatedAt) {
		t.Fatalf("a CREATED pay-in must be due for a re-check now: %v (updated %v)", stored.RecheckAt, ans.UpdatedAt)
	}
	if cpBalance(t, e, wallet) != 0 {
		t.Fatal("money credited before 3-D Secure")
	}
	back := cpPassPage(t, ans.RedirectURL)
	if !strings.HasPrefix(back, "https://shop.example.com/paid?transactionId="+ans.MangopayID) {
		t.Fatalf("sent back to %q", back)
	}
	if plain := cpGetPayIn(t, e, ans.ID, false); plain.Status != "CREATED" || plain.RedirectURL == "" {
		t.Fatalf("a plain GET answers from the record: %s %q", plain.Status, plain.RedirectURL)
	}
	fresh := cpGetPayIn(t, e, ans.ID, true)
	if fresh.Status != "SUCCEEDED" || fresh.ResultCode != "000000" || fresh.RecheckAt != nil || fresh.RedirectURL != "" || fresh.Transaction.ExecutionDate == nil {
		t.Fatalf("refreshed %+v redirect %q", fresh.Record, fresh.RedirectURL)
	}
	stored, _ = e.Deps.Service.Records.Get(e.Ctx, ans.ID)
	if stored.Status != "SUCCEEDED" || stored.RecheckAt != nil {
		t.Fatalf("stored after refresh: %s, recheck %v", stored.Status, stored.RecheckAt)
	}
	if got := cpBalance(t, e, wallet); got != 2400 {
		t.Fatalf("balance %d", got)
	}
}

func TestFailingAmountsAreStoredFailed(t *testing.T) {
	e := testenv.New(t)
	user, wallet, card := cpSetup(t, e, "buyer-1", cpFrictionlessPAN)
	h := api.HTTP(e.Deps.Service.CreateCardPayInOp(), e.Deps.API)
	for amount, want := range map[int64][2]string{
		33305: {"101101", "Transaction refused by the bank (Do not honor)"},
		33334: {"008006", "Fraud suspected by the bank"},
	} {
		ans := cpAnswer(t, call(t, h, cpPayInRequest(cpPayInBody(user, wallet, card, amount, 0), nil)), http.StatusCreated)
		stored, _ := e.Deps.Service.Records.Get(e.Ctx, ans.ID)
		for _, r := range []*records.Record{ans.Record, stored} {
			if r.Status != "FAILED" || r.ResultCode != want[0] || r.ResultMessage != want[1] || r.Transaction.ExecutionDate != nil ||
				r.RecheckAt != nil || r.SyncState != records.SyncSynced || r.MangopayID == "" {
				t.Fatalf("%d: %+v", amount, r)
			}
		}
	}
	if cpBalance(t, e, wallet) != 0 {
		t.Fatal("a refused payment credited the wallet")
	}
}

func TestCardPayInChecksComeBeforeMangopay(t *testing.T) {
	e := testenv.New(t)
	user, wallet, card := cpSetup(t, e, "buyer-1", cpFrictionlessPAN)
	other, otherWallet, otherCard := cpSetup(t, e, "buyer-2", cpFrictionlessPAN)
	gbpWallet := cpWallet(t, e, user, "GBP")
	h := api.HTTP(e.Deps.Service.CreateCardPayInOp(), e.Deps.API)
	with := func(change func(b map[string]any)) map[string]any {
		b := cpPayInBody(user, wallet, card, 1000, 100)
		change(b)
		return b
	}
	tests := []struct {
		name   string
		body   map[string]any
		fields []string
	}{
		{"currency mismatch", with(func(b map[string]any) {
			b["debited_funds"] = map[string]any{"amount": 1000, "currency": "GBP"}
			b["fees"] = map[string]any{"amount": 0, "currency": "GBP"}
		}), []string{"debited_funds.currency"}},
		{"wallet in another currency", with(func(b map[string]any) { b["credited_wallet_id"] = gbpWallet.ID }), []string{"debited_funds.currency"}},
		{"fees above debited", with(func(b map[string]any) { b["fees"] = cpEUR(1001) }), []string{"fees.amount"}},
		{"fees in another currency", with(func(b map[string]any) { b["fees"] = map[string]any{"amount": 10, "currency": "USD"} }), []string{"fees.currency"}},
		{"fees equal debited", with(func(b map[string]any) { b["fees"] = cpEUR(1000) }), []string{"fees.amount"}},
		{"no amount", with(func(b map[string]any) { b["debited_funds"] = cpEUR(0); b["fees"] = cpEUR(-1) }), []string{"debited_funds.amount", "fees.amount"}},
		{"fractional amount", with(func(b map[string]any) { b["debited_funds"] = map[string]any{"amount": 10.5, "currency": "EUR"} }), []string{"debited_funds.amount"}},
		{"unknown currency", with(func(b map[string]any) { b["debited_funds"] = map[string]any{"amount": 10, "currency": "XXX"} }), []string{"debited_funds.currency"}},
		{"card of another user", with(func(b map[string]any) { b["card_id"] = otherCard.ID }), []string{"card_id"}},
		{"wallet of another user", with(func(b map[string]any) { b["credited_wallet_id"] = otherWallet.ID }), []string{"credited_wallet_id"}},
		{"unknown wallet and card", with(func(b map[string]any) {
			b["credited_wallet_id"] = "wlt_01JZZZZZZZZZZZZZZZZZZZZZZZ"
			b["card_id"] = "crd_01JZZZZZZZZZZZZZZZZZZZZZZZ"
		}), []string{"credited_wallet_id", "card_id"}},
		{"ids of the wrong kind", with(func(b map[string]any) { b["card_id"] = wallet.ID; b["author_id"] = card.ID }), []string{"card_id", "author_id"}},
		{"3DS2 fields", with(func(b map[string]any) {
			bi := cpBrowserInfo()
			delete(bi, "java_enabled")
			delete(bi, "time_zone_offset")
			bi["language"] = "french"
			b["browser_info"], b["ip_address"] = bi, "300.1.1.1"
		}), []string{"browser_info.java_enabled", "browser_info.time_zone_offset", "browser_info.language", "ip_address"}},
		{"no browser", with(func(b map[string]any) { delete(b, "browser_info"); delete(b, "ip_address") }), []string{"browser_info", "ip_address"}},
		{"descriptor, mode, return URL", with(func(b map[string]any) {
			b["statement_descriptor"], b["secure_mode"], b["secure_mode_return_url"] = "TOO LONG 4 U", "ALWAYS", "/paid"
		}), []string{"statement_descriptor", "secure_mode", "secure_mode_return_url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantFields(t, problemFields(t, call(t, h, cpPayInRequest(tt.body, nil)), http.StatusBadRequest), tt.fields...)
		})
	}
	// The other user's own pay-in works: the refusals were about ownership.
	cpAnswer(t, call(t, h, cpPayInRequest(cpPayInBody(other, otherWallet, otherCard, 1000, 0), nil)), http.StatusCreated)
	if n := cpRequests(e, "POST", "/payins/"); n != 1 || e.Fake.Count("payins") != 1 {
		t.Fatalf("%d pay-ins sent to Mangopay, want only the valid one", n)
	}
	if n := countRecords(t, e, "buyer-1", records.KindPayIn); n != 0 {
		t.Fatalf("%d pay-in records written for refused requests", n)
	}
}

func TestCardPayInExactlyOnceUnderConcurrentDuplicates(t *testing.T) {
	e := testenv.New(t)
	user, wallet, card := cpSetup(t, e, "buyer-1", cpFrictionlessPAN)
	h := api.HTTP(e.Deps.Service.CreateCardPayInOp(), e.Deps.API)
	req := cpPayInRequest(cpPayInBody(user, wallet, card, 1000, 0), map[string]string{"idempotency-key": "order-1001-payment"})
	var wg sync.WaitGroup
	codes := make(chan int, 20)
	for range 20 {
		wg.Go(func() { codes <- call(t, h, req).StatusCode })
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusCreated && c != http.StatusConflict {
			t.Fatalf("status %d", c)
		}
	}
	if n := e.Fake.Count("payins"); n != 1 {
		t.Fatalf("pay-ins at Mangopay = %d, want 1", n)
	}
	if n := countRecords(t, e, "buyer-1", records.KindPayIn); n != 1 {
		t.Fatalf("pay-in records = %d, want 1", n)
	}
	final := cpAnswer(t, call(t, h, req), http.StatusCreated)
	if final.Status != "SUCCEEDED" || cpBalance(t, e, wallet) != 1000 {
		t.Fatalf("after the race: %s, balance %d", final.Status, cpBalance(t, e, wallet))
	}
}

func TestCardPayInMessageDeliveredThreeTimesPaysOnce(t *testing.T) {
	e := testenv.New(t)
	user, wallet, card := cpSetup(t, e, "buyer-1", cpFrictionlessPAN)
	h := api.SQS(e.Deps.Service.CreateCardPayInOp(), e.Deps.API)
	ev := testenv.SQSEvent()
	ev.Records = append(ev.Records, testenv.Message("m-pay-1", cpPayInBody(user, wallet, card, 1000, 0), nil))
	for range 3 {
		if out, err := h(e.Ctx, ev); err != nil || len(out.BatchItemFailures) != 0 {
			t.Fatalf("worker: %+v %v", out, err)
		}
	}
	if n, r := e.Fake.Count("payins"), countRecords(t, e, "buyer-1", records.KindPayIn); n != 1 || r != 1 {
		t.Fatalf("pay-ins %d, records %d, want 1 and 1", n, r)
	}
	if got := cpBalance(t, e, wallet); got != 1000 || len(e.Messages(t, e.DLQ)) != 0 {
		t.Fatalf("balance %d", got)
	}
}

func TestCardPayInLostAnswerAndFailedWriteChargeOnce(t *testing.T) {
	e := testenv.New(t)
	user, wallet, card := cpSetup(t, e, "buyer-1", cpFrictionlessPAN)
	// Mangopay charges the card but its answer is lost, and our write of
	// the answer fails once: the retry must find the first pay-in through
	// the same Idempotency-Key, not charge again.
	e.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/payins/card/direct", DropAfterCommit: true, Times: 1})
	e.Faults.Arm("DynamoDB", "PutItem", awstest.FaultHook{Fail: func(in any) error {
		item := in.(*dynamodb.PutItemInput).Item
		pk, _ := item["pk"].(*ddbtypes.AttributeValueMemberS)
		state, _ := item["sync_state"].(*ddbtypes.AttributeValueMemberS)
		if pk != nil && strings.HasPrefix(pk.Value, "pay_") && state != nil && state.Value == "SYNCED" {
			return awstest.ErrInjected
		}
		return nil
	}})
	h := api.HTTP(e.Deps.Service.CreateCardPayInOp(), e.Deps.API)
	req := cpPayInRequest(cpPayInBody(user, wallet, card, 1000, 0), map[string]string{"idempotency-key": "order-77-payment"})
	if first := call(t, h, req); first.StatusCode < 500 {
		t.Fatalf("first attempt: %d %s", first.StatusCode, first.Body)
	}
	pending, _, _ := e.Deps.Service.Records.ListByOwner(e.Ctx, "buyer-1", records.KindPayIn, 10, "")
	if len(pending) != 1 || pending[0].SyncState != records.SyncPending || pending[0].RecheckAt == nil {
		t.Fatalf("after the failed write: %+v", pending)
	}
	ans := cpAnswer(t, call(t, h, req), http.StatusCreated)
	if ans.Status != "SUCCEEDED" || ans.ID != pending[0].ID {
		t.Fatalf("retry: %+v", ans.Record)
	}
	if n, r := e.Fake.Count("payins"), countRecords(t, e, "buyer-1", records.KindPayIn); n != 1 || r != 1 {
		t.Fatalf("pay-ins %d, records %d, want 1 and 1", n, r)
	}
	if got := cpBalance(t, e, wallet); got != 1000 {
		t.Fatalf("balance %d: charged more than once", got)
	}
}

func TestCardPayInRespondAsync(t *testing.T) {
	e := testenv.New(t)
	user, wallet, card := cpSetup(t, e, "buyer-1", cpFrictionlessPAN)
	op := e.Deps.Service.CreateCardPayInOp()
	headers := map[string]string{"prefer": "respond-async", "idempotency-key": "async-payment-001"}
	pending := record(t, call(t, api.HTTP(op, e.Deps.API), cpPayInRequest(cpPayInBody(user, wallet, card, 1000, 0), headers)), http.StatusAccepted)
	if pending.SyncState != records.SyncPending || e.Fake.Count("payins") != 0 {
		t.Fatalf("202 answer %+v, %d pay-ins", pending, e.Fake.Count("payins"))
	}
	msgs := e.Messages(t, e.Queue)
	if len(msgs) != 1 {
		t.Fatalf("%d messages queued", len(msgs))
	}
	for range 2 {
		if out, err := api.SQS(op, e.Deps.API)(e.Ctx, testenv.SQSEvent(msgs...)); err != nil || len(out.BatchItemFailures) != 0 {
			t.Fatalf("worker: %+v %v", out, err)
		}
	}
	done := cpAnswer(t, call(t, api.HTTP(op, e.Deps.API), cpPayInRequest(cpPayInBody(user, wallet, card, 1000, 0), headers)), http.StatusCreated)
	if done.ID != pending.ID || done.Status != "SUCCEEDED" || e.Fake.Count("payins") != 1 {
		t.Fatalf("after the worker: %+v", done.Record)
	}
}

func TestWebPayInRedirectsThePayer(t *testing.T) {
	e := testenv.New(t)
	user := cpUser(t, e, "buyer-1")
	wallet := cpWallet(t, e, user, "EUR")
	body := map[string]any{"author_id": user.ID, "credited_wallet_id": wallet.ID, "debited_funds": cpEUR(3000), "fees": cpEUR(300),
		"return_url": "https://shop.example.com/back", "culture": "FR"}
	ans := cpAnswer(t, call(t, api.HTTP(e.Deps.Service.CreateWebPayInOp(), e.Deps.API), testenv.Request("POST", "/payins/card/web", nil, body, nil)), http.StatusCreated)
	if ans.Status != "CREATED" || ans.Transaction.ExecutionType != "WEB" || !strings.HasPrefix(ans.RedirectURL, e.Fake.URL+"/") || ans.ParentID != wallet.ID {
		t.Fatalf("web pay-in %+v redirect %q", ans.Record, ans.RedirectURL)
	}
	if stored := cpGetPayIn(t, e, ans.ID, false); stored.RedirectURL != ans.RedirectURL || stored.RecheckAt == nil {
		t.Fatalf("stored web pay-in: redirect %q, recheck %v", stored.RedirectURL, stored.RecheckAt)
	}
	if back := cpPassPage(t, ans.RedirectURL); !strings.HasPrefix(back, "https://shop.example.com/back?transactionId="+ans.MangopayID) {
		t.Fatalf("sent back to %q", back)
	}
	fresh := cpGetPayIn(t, e, ans.ID, true)
	if fresh.Status != "SUCCEEDED" || fresh.RedirectURL != "" || fresh.RecheckAt != nil || cpBalance(t, e, wallet) != 2700 {
		t.Fatalf("after the page: %+v, balance %d", fresh.Record, cpBalance(t, e, wallet))
	}
	// Through the queue too; a bad message is dead-lettered at once.
	ev := testenv.SQSEvent()
	body["idempotency_key"] = "web-payment-msg-1"
	ev.Records = append(ev.Records, testenv.Message("m-web-1", body, nil),
		testenv.Message("m-web-bad", map[string]any{"author_id": user.ID, "credited_wallet_id": wallet.ID, "debited_funds": cpEUR(100),
			"fees": cpEUR(0), "return_url": "https://shop.example.com/back", "culture": "XX"}, nil))
	if out, err := api.SQS(e.Deps.Service.CreateWebPayInOp(), e.Deps.API)(e.Ctx, ev); err != nil || len(out.BatchItemFailures) != 0 {
		t.Fatalf("queue: %+v %v", out, err)
	}
	if n := e.Fake.Count("payins"); n != 2 {
		t.Fatalf("%d pay-ins", n)
	}
	if dead := e.Messages(t, e.DLQ); len(dead) != 1 || !strings.Contains(*dead[0].MessageAttributes[api.AttrFailureReason].StringValue, "culture") {
		t.Fatalf("dead letters %+v", dead)
	}
}

func TestBankWirePayInGivesTheWireInstructions(t *testing.T) {
	e := testenv.New(t)
	user := cpUser(t, e, "buyer-1")
	wallet := cpWallet(t, e, user, "EUR")
	body := map[string]any{"author_id": user.ID, "credited_wallet_id": wallet.ID,
		"declared_debited_funds": cpEUR(10000), "declared_fees": cpEUR(200)}
	ans := cpAnswer(t, call(t, api.HTTP(e.Deps.Service.CreateBankWirePayInOp(), e.Deps.API), testenv.Request("POST", "/payins/bankwire/direct", nil, body, nil)), http.StatusCreated)
	if ans.Status != "CREATED" || ans.Transaction.PaymentType != "BANK_WIRE" || ans.WireReference == "" ||
		ans.Transaction.BankWireRef != ans.WireReference || ans.BankAccount == nil || ans.BankAccount.IBAN != "FR7630004000031234567890143" ||
		ans.BankAccount.BIC != "BNPAFRPP" || ans.DeclaredDebitedFunds == nil || ans.DeclaredDebitedFunds.Amount != 10000 || ans.DeclaredFees.Amount != 200 {
		t.Fatalf("bank-wire answer %+v %+v %+v", ans.Record, ans.Transaction, ans.BankAccount)
	}
	stored, _ := e.Deps.Service.Records.Get(e.Ctx, ans.ID)
	if stored.Transaction.BankWireRef != ans.WireReference || stored.RecheckAt == nil {
		t.Fatalf("stored %+v", stored.Transaction)
	}
	plain := cpGetPayIn(t, e, ans.ID, false)
	if plain.WireReference != ans.WireReference || plain.BankAccount == nil || plain.BankAccount.IBAN != "FR76…0143" {
		t.Fatalf("plain GET: %q %+v", plain.WireReference, plain.BankAccount)
	}
	if err := e.Fake.ReceiveBankWire(ans.MangopayID, 10000); err != nil {
		t.Fatal(err)
	}
	fresh := cpGetPayIn(t, e, ans.ID, true)
	if fresh.Status != "SUCCEEDED" || fresh.RecheckAt != nil || fresh.Transaction.CreditedFunds.Amount != 9800 || cpBalance(t, e, wallet) != 9800 ||
		fresh.BankAccount.IBAN != "FR7630004000031234567890143" {
		t.Fatalf("after the wire: %+v %+v", fresh.Record, fresh.Transaction)
	}
	// Checks first, then the queue face.
	bad := map[string]any{"author_id": user.ID, "credited_wallet_id": wallet.ID,
		"declared_debited_funds": map[string]any{"amount": 100, "currency": "USD"}, "declared_fees": map[string]any{"amount": 200, "currency": "USD"}}
	fields := problemFields(t, call(t, api.HTTP(e.Deps.Service.CreateBankWirePayInOp(), e.Deps.API), testenv.Request("POST", "/payins/bankwire/direct", nil, bad, nil)), http.StatusBadRequest)
	wantFields(t, fields, "declared_fees.amount")
	bad["declared_fees"] = map[string]any{"amount": 0, "currency": "USD"}
	fields = problemFields(t, call(t, api.HTTP(e.Deps.Service.CreateBankWirePayInOp(), e.Deps.API), testenv.Request("POST", "/payins/bankwire/direct", nil, bad, nil)), http.StatusBadRequest)
	wantFields(t, fields, "declared_debited_funds.currency")
	ev := testenv.SQSEvent()
	ev.Records = append(ev.Records, testenv.Message("m-wire-1", body, nil))
	for range 2 {
		if out, err := api.SQS(e.Deps.Service.CreateBankWirePayInOp(), e.Deps.API)(e.Ctx, ev); err != nil || len(out.BatchItemFailures) != 0 {
			t.Fatalf("queue: %+v %v", out, err)
		}
	}
	if n := e.Fake.Count("payins"); n != 2 {
		t.Fatalf("%d pay-ins, want 2", n)
	}
}
