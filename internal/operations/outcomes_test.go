package operations_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/outcomes"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// outcomeSeller is a seller whose set-up events (KYC level, pay-in) are
// drained from the outcomes queues.
func outcomeSeller(t *testing.T, e *testenv.Env) seller {
	t.Helper()
	s := newSeller(t, e, "seller-1")
	e.Outcomes(t)
	e.PayoutOutcomes(t)
	return s
}

// payoutCreated creates a payout over HTTP (Mangopay answers CREATED).
func payoutCreated(t *testing.T, e *testenv.Env, s seller) *records.Record {
	t.Helper()
	rec := record(t, call(t, createPayout(e), testenv.Request("POST", "/payouts", nil, payoutBody(s, 4000, 150), nil)), http.StatusCreated)
	if rec.Status != "CREATED" {
		t.Fatalf("payout %s", rec.Status)
	}
	return rec
}

func refreshPayout(t *testing.T, e *testenv.Env, id string) *records.Record {
	t.Helper()
	return record(t, txGet(t, api.HTTP(e.Deps.Service.GetPayoutOp(), e.Deps.API), "/payouts/", "payout_id", id, true), http.StatusOK)
}

// oneEvent checks that evs is exactly one event of type dt about record
// id, and returns its detail.
func oneEvent(t *testing.T, evs []testenv.Event, dt, id string) map[string]any {
	t.Helper()
	if len(evs) != 1 {
		t.Fatalf("%d events %+v, want one %s", len(evs), evs, dt)
	}
	ev := evs[0]
	d := ev.DetailMap(t)
	if ev.DetailType != dt || ev.Source != "lambda-mangopay" || d["id"] != id || !strings.HasPrefix(d["event_id"].(string), id+":"+dt+":") {
		t.Fatalf("event %+v, want %s of %s", ev, dt, id)
	}
	return d
}

func TestPayoutSucceededIsPublishedOnce(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	s := outcomeSeller(t, e)
	rec := payoutCreated(t, e, s)
	if evs := e.Outcomes(t); len(evs) != 0 {
		t.Fatalf("a CREATED payout published %+v", evs)
	}
	if err := e.Fake.SettlePayout(rec.MangopayID, true, ""); err != nil {
		t.Fatal(err)
	}
	done := refreshPayout(t, e, rec.ID)
	again := refreshPayout(t, e, rec.ID)
	if done.Status != "SUCCEEDED" || again.Status != "SUCCEEDED" || again.Version != done.Version+1 {
		t.Fatalf("refreshes: %s v%d, %s v%d", done.Status, done.Version, again.Status, again.Version)
	}
	d := oneEvent(t, e.Outcomes(t), records.PayoutSucceeded, rec.ID)
	if d["result_code"] != "000000" || d["mangopay_id"] != rec.MangopayID || d["external_user_id"] != "seller-1" ||
		d["bank_account_id"] != s.bank.MangopayID || d["debited_funds"].(map[string]any)["amount"] != 4000.0 {
		t.Fatalf("detail %+v", d)
	}
	// The optional payout queue gets the same outcome.
	q := oneEvent(t, e.PayoutOutcomes(t), records.PayoutSucceeded, rec.ID)
	if q["event_id"] != d["event_id"] || q["result_code"] != "000000" {
		t.Fatalf("payout queue detail %+v", q)
	}
	stored, err := e.Deps.Service.Records.Get(e.Ctx, rec.ID)
	if err != nil || len(stored.Outbox) != 0 || stored.NeedsPolling() || dueForRecheck(t, e, rec.ID) {
		t.Fatalf("stored %v: outbox %+v", err, stored.Outbox)
	}
}

func TestPayoutFailedIsPublishedWithItsResultCode(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	s := outcomeSeller(t, e)
	rec := payoutCreated(t, e, s)
	if err := e.Fake.SettlePayout(rec.MangopayID, false, "121999"); err != nil {
		t.Fatal(err)
	}
	if done := refreshPayout(t, e, rec.ID); done.Status != "FAILED" {
		t.Fatalf("refreshed %s", done.Status)
	}
	d := oneEvent(t, e.Outcomes(t), records.PayoutFailed, rec.ID)
	if d["result_code"] != "121999" || d["status"] != "FAILED" {
		t.Fatalf("detail %+v", d)
	}
	oneEvent(t, e.PayoutOutcomes(t), records.PayoutFailed, rec.ID)
}

func TestPublishFailureIsRetriedByALaterWrite(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	s := outcomeSeller(t, e)
	rec := payoutCreated(t, e, s)
	if err := e.Fake.SettlePayout(rec.MangopayID, true, ""); err != nil {
		t.Fatal(err)
	}
	e.Faults.FailNext("EventBridge", "PutEvents", 1)
	if done := refreshPayout(t, e, rec.ID); done.Status != "SUCCEEDED" {
		t.Fatalf("the request failed with the publish: %s", done.Status)
	}
	if evs := e.Outcomes(t); len(evs) != 0 {
		t.Fatalf("published despite the failure: %+v", evs)
	}
	if evs := e.PayoutOutcomes(t); len(evs) != 0 {
		t.Fatalf("payout queue got %+v before the bus took the event", evs)
	}
	stored, err := e.Deps.Service.Records.Get(e.Ctx, rec.ID)
	if err != nil || len(stored.Outbox) != 1 || stored.Outbox[0].DetailType != records.PayoutSucceeded || !dueForRecheck(t, e, rec.ID) {
		t.Fatalf("after a failed publish %v: outbox %+v", err, stored.Outbox)
	}
	if !strings.Contains(e.Logs(), "outcome events not published") {
		t.Fatal("the failure was not logged")
	}
	// A write within outcomes.StaleAfter leaves it to its writer (which
	// might still be publishing it)...
	refreshPayout(t, e, rec.ID)
	if evs := e.Outcomes(t); len(evs) != 0 {
		t.Fatalf("a later write published another writer's fresh event: %+v", evs)
	}
	// ...the next write after it publishes it, once.
	e.Deps.Outcomes.Now = func() time.Time { return time.Now().Add(outcomes.StaleAfter + time.Second) }
	refreshPayout(t, e, rec.ID)
	oneEvent(t, e.Outcomes(t), records.PayoutSucceeded, rec.ID)
	oneEvent(t, e.PayoutOutcomes(t), records.PayoutSucceeded, rec.ID)
	refreshPayout(t, e, rec.ID)
	if evs := e.Outcomes(t); len(evs) != 0 {
		t.Fatalf("published again: %+v", evs)
	}
	if stored, _ := e.Deps.Service.Records.Get(e.Ctx, rec.ID); len(stored.Outbox) != 0 || dueForRecheck(t, e, rec.ID) {
		t.Fatalf("outbox %+v left", stored.Outbox)
	}
}

func TestPublishFromTheOutboxDirectly(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	s := outcomeSeller(t, e)
	rec := payoutCreated(t, e, s)
	if err := e.Fake.SettlePayout(rec.MangopayID, true, ""); err != nil {
		t.Fatal(err)
	}
	e.Faults.FailNext("EventBridge", "PutEvents", 1)
	refreshPayout(t, e, rec.ID)
	// What the re-check does for a due record with an outbox.
	stored, err := e.Deps.Service.Records.Get(e.Ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Deps.Outcomes.Publish(e.Ctx, stored); err != nil || len(stored.Outbox) != 0 || stored.RecheckAt != nil {
		t.Fatalf("publish: %v, outbox %+v", err, stored.Outbox)
	}
	oneEvent(t, e.Outcomes(t), records.PayoutSucceeded, rec.ID)
	if err := e.Deps.Outcomes.Publish(e.Ctx, stored); err != nil {
		t.Fatal(err)
	}
	if evs := e.Outcomes(t); len(evs) != 0 {
		t.Fatalf("published again: %+v", evs)
	}
}

func TestDocumentRefusedIsPublishedWithItsReason(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	user := kycOwner(t, e, "ext-ref")
	doc := kycCreateDocument(t, e, user, "IDENTITY_PROOF", "refuse_unreadable")
	kycAddPage(t, e, doc, kycFile(kycPDF, 40<<10, 2))
	record(t, call(t, api.HTTP(e.Deps.Service.SubmitDocumentOp(), e.Deps.API), kycSubmitReq(doc)), http.StatusOK)
	if evs := e.Outcomes(t); len(evs) != 0 {
		t.Fatalf("events before the review: %+v", evs)
	}
	if n := e.Fake.SettleAllDocuments(); n != 1 {
		t.Fatalf("%d documents in review, want 1", n)
	}
	if fresh := kycGetDocument(t, e, doc, true); fresh.Status != "REFUSED" {
		t.Fatalf("refreshed %s", fresh.Status)
	}
	kycGetDocument(t, e, doc, true)
	d := oneEvent(t, e.Outcomes(t), records.DocumentRefused, doc.ID)
	if d["refused_reason_type"] != "DOCUMENT_UNREADABLE" || d["user_id"] != user.ID || d["external_user_id"] != "ext-ref" ||
		d["document_type"] != "IDENTITY_PROOF" {
		t.Fatalf("detail %+v", d)
	}
	if evs := e.PayoutOutcomes(t); len(evs) != 0 {
		t.Fatalf("payout queue got %+v", evs)
	}
}

func TestUserKYCLevelChangeIsPublished(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	user := record(t, call(t, createNatural(e), testenv.Request("POST", "/users/natural", nil, naturalBody("ext-1", "OWNER"), nil)), 201)
	if evs := e.Outcomes(t); len(evs) != 0 {
		t.Fatalf("creating a user published %+v", evs)
	}
	if err := e.Fake.SetKYCLevel(user.MangopayID, "REGULAR"); err != nil {
		t.Fatal(err)
	}
	get := api.HTTP(e.Deps.Service.GetUserOp(), e.Deps.API)
	req := testenv.Request("GET", "/users/"+user.ID, map[string]string{"user_id": user.ID}, nil, nil)
	req.QueryStringParameters = map[string]string{"refresh": "true"}
	for range 2 {
		if fresh := record(t, call(t, get, req), http.StatusOK); fresh.User.KYCLevel != "REGULAR" {
			t.Fatalf("level %s", fresh.User.KYCLevel)
		}
	}
	d := oneEvent(t, e.Outcomes(t), records.UserKYCLevelChanged, user.ID)
	if d["from"] != "LIGHT" || d["to"] != "REGULAR" || d["external_user_id"] != "ext-1" || d["kind"] != "USER_NATURAL" {
		t.Fatalf("detail %+v", d)
	}
}

// Two writers of one record: the first decides PayoutSucceeded and, before
// it publishes, a second writer (a hook, the re-check) writes the record.
// The event is published once, by the writer that decided it.
func TestConcurrentWritersPublishAnEventOnce(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	s := outcomeSeller(t, e)
	rec := payoutCreated(t, e, s)
	other := e.Deps.Service.Records
	interleaved := false
	deciding := records.New(dynamodb.NewFromConfig(e.AWS), e.Vars["TABLE_NAME"], records.WithAfterWrite(func(ctx context.Context, r *records.Record) {
		if !interleaved {
			interleaved = true
			if _, err := other.Update(ctx, r.ID, func(r *records.Record) error { r.Tag = "touched"; return nil }); err != nil {
				t.Errorf("second writer: %v", err)
			}
		}
		e.Deps.Outcomes.Hook(ctx, r)
	}))
	if _, err := deciding.Update(e.Ctx, rec.ID, func(r *records.Record) error { r.Status = "SUCCEEDED"; return nil }); err != nil {
		t.Fatal(err)
	}
	if !interleaved {
		t.Fatal("the second writer did not run")
	}
	oneEvent(t, e.Outcomes(t), records.PayoutSucceeded, rec.ID)
	if stored, _ := other.Get(e.Ctx, rec.ID); len(stored.Outbox) != 0 || stored.Tag != "touched" {
		t.Fatalf("outbox %+v, tag %q", stored.Outbox, stored.Tag)
	}
}
