package operations_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/internal/pacing"
	"github.com/lambda-mangopay/lambda-mangopay/internal/schedule"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// The re-check tests run on a week after the records are written (real
// time), in Paris: Monday 30 November 2026 is a weekday run.
func rcParis(t *testing.T) *time.Location {
	t.Helper()
	loc, err := operations.RecheckLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func rcAt(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, rcParis(t))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// rcRun runs the re-check of bucket at now (the service's clock set too).
func rcRun(t *testing.T, e *testenv.Env, bucket string, now time.Time, b operations.RecheckBudget) operations.RecheckReport {
	t.Helper()
	e.Deps.Service.Now = func() time.Time { return now }
	if b.Location == nil {
		b.Location = rcParis(t)
	}
	rep, err := e.Deps.Service.RecheckDue(e.Ctx, bucket, now, b)
	if err != nil {
		t.Fatalf("RecheckDue(%s, %s): %v", bucket, now, err)
	}
	return rep
}

func rcGet(t *testing.T, e *testenv.Env, id string) *records.Record {
	t.Helper()
	r, err := e.Deps.Service.Records.Get(e.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func rcWantRecheckAt(t *testing.T, r *records.Record, want time.Time) {
	t.Helper()
	if r.RecheckAt == nil || !r.RecheckAt.Equal(want) {
		t.Fatalf("%s RecheckAt = %v, want %s", r.ID, r.RecheckAt, want.In(want.Location()))
	}
}

func rcPayoutGETs(e *testenv.Env, mpID string) int {
	n := 0
	for _, r := range e.Fake.Requests() {
		if r.Method == "GET" && strings.Contains(r.Path, "/payouts/") && strings.HasSuffix(r.Path, mpID) {
			n++
		}
	}
	return n
}

func TestRecheckPayoutEachWeekdayUntilSettled(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	s := newSeller(t, e, "seller-rc")
	rec := record(t, call(t, createPayout(e), testenv.Request("POST", "/payouts", nil, payoutBody(s, 1000, 0), nil)), http.StatusCreated)

	mon := rcRun(t, e, records.BucketTransaction, rcAt(t, "2026-11-30 08:00"), operations.RecheckBudget{})
	if mon.Rechecked < 1 || mon.Changed != 0 || mon.ItemsRead != mon.Due {
		t.Fatalf("Monday: %+v", mon)
	}
	rcWantRecheckAt(t, rcGet(t, e, rec.ID), rcAt(t, "2026-12-01 08:00"))
	// Later on Monday it is not due: once a weekday.
	if again := rcRun(t, e, records.BucketTransaction, rcAt(t, "2026-11-30 15:00"), operations.RecheckBudget{}); again.Due != 0 || again.ItemsRead != 0 {
		t.Fatalf("Monday afternoon: %+v", again)
	}
	tue := rcRun(t, e, records.BucketTransaction, rcAt(t, "2026-12-01 08:00"), operations.RecheckBudget{})
	if tue.Unchanged < 1 || rcGet(t, e, rec.ID).Status != "CREATED" {
		t.Fatalf("Tuesday: %+v", tue)
	}
	rcWantRecheckAt(t, rcGet(t, e, rec.ID), rcAt(t, "2026-12-02 08:00"))

	if err := e.Fake.SettlePayout(rec.MangopayID, true, ""); err != nil {
		t.Fatal(err)
	}
	wed := rcRun(t, e, records.BucketTransaction, rcAt(t, "2026-12-02 08:00"), operations.RecheckBudget{})
	done := rcGet(t, e, rec.ID)
	if wed.Changed != 1 || done.Status != "SUCCEEDED" || done.ResultCode != "000000" || done.RecheckAt != nil || done.Transaction.ExecutionDate == nil {
		t.Fatalf("Wednesday: %+v; record %+v", wed, done)
	}
	if dueForRecheck(t, e, rec.ID) {
		t.Fatal("a SUCCEEDED payout is still in the re-check index")
	}
	if n := rcPayoutGETs(e, rec.MangopayID); n != 3 {
		t.Fatalf("GET of the payout at Mangopay = %d, want 3 (Mon, Tue, Wed)", n)
	}
	if thu := rcRun(t, e, records.BucketTransaction, rcAt(t, "2026-12-03 08:00"), operations.RecheckBudget{}); thu.Due != 0 {
		t.Fatalf("Thursday: %+v", thu)
	}
	// The success was published once, to the bus (read back through the
	// queue a rule on the bus feeds) and to the payout outcome queue.
	var payouts []testenv.Event
	for _, ev := range e.Outcomes(t) { // the set-up published its own (KYC level, pay-in)
		if ev.DetailType == records.PayoutSucceeded || ev.DetailType == records.PayoutFailed {
			payouts = append(payouts, ev)
		}
	}
	ev := oneEvent(t, payouts, records.PayoutSucceeded, rec.ID)
	if ev["result_code"] != "000000" {
		t.Fatalf("PayoutSucceeded detail %v", ev)
	}
	if n := len(e.PayoutOutcomes(t)); n != 1 {
		t.Fatalf("payout outcome queue got %d messages, want 1", n)
	}
}

func TestRecheckDocumentsFridayEveningGoesToMonday(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	svc := e.Deps.Service
	user := kycOwner(t, e, "ext-friday")
	submit := api.HTTP(svc.SubmitDocumentOp(), e.Deps.API)
	newDoc := func() *records.Record {
		doc := kycCreateDocument(t, e, user, "IDENTITY_PROOF", "")
		kycAddPage(t, e, doc, kycFile(kycPDF, 40<<10, 1))
		return doc
	}
	docA, docB := newDoc(), newDoc()
	_ = kycCreateDocument(t, e, user, "ADDRESS_PROOF", "") // created, never submitted: not in the index
	svc.Now = func() time.Time { return rcAt(t, "2026-11-27 15:00") }
	record(t, call(t, submit, kycSubmitReq(docA)), http.StatusOK)

	// The Friday 17:00 run reads only the due document and moves it to
	// Monday 08:00, not Saturday.
	fri := rcRun(t, e, records.BucketDocument, rcAt(t, "2026-11-27 17:00"), operations.RecheckBudget{})
	if fri.ItemsRead != 1 || fri.Rechecked != 1 || fri.Unchanged != 1 {
		t.Fatalf("Friday 17:00: %+v", fri)
	}
	rcWantRecheckAt(t, rcGet(t, e, docA.ID), rcAt(t, "2026-11-30 08:00"))

	// Submitted on Friday evening: due at 19:00, but no run until Monday.
	svc.Now = func() time.Time { return rcAt(t, "2026-11-27 18:00") }
	record(t, call(t, submit, kycSubmitReq(docB)), http.StatusOK)
	for _, at := range []string{"2026-11-27 19:00", "2026-11-28 10:00", "2026-11-29 16:00", "2026-11-30 07:00"} {
		if rep := rcRun(t, e, records.BucketDocument, rcAt(t, at), operations.RecheckBudget{}); rep.ItemsRead != 0 || rep.Stopped == "" {
			t.Fatalf("%s: %+v", at, rep)
		}
	}
	docGETs := func() int {
		n := 0
		for _, r := range e.Fake.Requests() {
			if r.Method == "GET" && strings.Contains(r.Path, "/kyc/documents/") {
				n++
			}
		}
		return n
	}
	before := docGETs()
	mon := rcRun(t, e, records.BucketDocument, rcAt(t, "2026-11-30 08:00"), operations.RecheckBudget{})
	if mon.ItemsRead != 2 || mon.Rechecked != 2 || docGETs()-before != 2 {
		t.Fatalf("Monday 08:00: %+v, %d GETs", mon, docGETs()-before)
	}
	rcWantRecheckAt(t, rcGet(t, e, docB.ID), rcAt(t, "2026-11-30 09:00"))

	e.Fake.SettleAllDocuments()
	nine := rcRun(t, e, records.BucketDocument, rcAt(t, "2026-11-30 09:00"), operations.RecheckBudget{})
	a, b := rcGet(t, e, docA.ID), rcGet(t, e, docB.ID)
	if nine.Changed != 2 || a.Status != "VALIDATED" || b.Status != "VALIDATED" || a.RecheckAt != nil || b.RecheckAt != nil {
		t.Fatalf("Monday 09:00: %+v; %s %s", nine, a.Status, b.Status)
	}
	if ten := rcRun(t, e, records.BucketDocument, rcAt(t, "2026-11-30 10:00"), operations.RecheckBudget{}); ten.ItemsRead != 0 {
		t.Fatalf("decided documents are still read: %+v", ten)
	}
}

func TestRecheckPendingPayoutThroughResponses(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	s := newSeller(t, e, "seller-pending")
	h := createPayout(e)

	// Mangopay made the payout but its answer was lost.
	e.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/payouts", DropAfterCommit: true})
	problemFields(t, call(t, h, testenv.Request("POST", "/payouts", nil, payoutBody(s, 1000, 0), nil)), http.StatusServiceUnavailable)
	e.Fake.ClearFaults()
	// Mangopay never got this one.
	e.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/payouts", Status: 503})
	problemFields(t, call(t, h, testenv.Request("POST", "/payouts", nil, payoutBody(s, 2000, 0), nil)), http.StatusServiceUnavailable)
	e.Fake.ClearFaults()
	var made, never *records.Record
	for _, r := range txRecords(t, e, s.user.OwnerRef, records.KindPayout) {
		switch r.Transaction.DebitedFunds.Amount {
		case 1000:
			made = &r
		case 2000:
			never = &r
		}
	}
	if made == nil || never == nil || made.SyncState != records.SyncPending || never.SyncState != records.SyncPending || e.Fake.Count("payouts") != 1 {
		t.Fatalf("setup: %+v %+v, %d at Mangopay", made, never, e.Fake.Count("payouts"))
	}

	now := made.CreatedAt.Add(15 * time.Minute)
	rep := rcRun(t, e, records.BucketPending, now, operations.RecheckBudget{Force: true})
	got := rcGet(t, e, made.ID)
	if rep.Changed != 1 || got.SyncState != records.SyncSynced || got.Status != "CREATED" || got.MangopayID == "" || e.Fake.Count("payouts") != 1 {
		t.Fatalf("found at /responses: %+v; %+v", rep, got)
	}
	rcWantRecheckAt(t, got, schedule.NextWeekday(now, rcParis(t), schedule.OpenHour))
	left := rcGet(t, e, never.ID)
	if left.SyncState != records.SyncPending || left.RecheckAt == nil || !left.RecheckAt.After(now) || left.RecheckAt.After(never.CreatedAt.Add(operations.PendingGiveUp)) {
		t.Fatalf("not found, young: %+v", left)
	}

	later := never.CreatedAt.Add(operations.PendingGiveUp + time.Minute)
	rcRun(t, e, records.BucketPending, later, operations.RecheckBudget{Force: true})
	failed := rcGet(t, e, never.ID)
	if failed.SyncState != records.SyncFailed || !strings.Contains(failed.SyncError, "never reached Mangopay") || failed.RecheckAt != nil {
		t.Fatalf("not found after 23 h: %+v", failed)
	}
	// The caller's retry of that request is now refused, never sent.
	if e.Fake.Count("payouts") != 1 {
		t.Fatalf("payouts at Mangopay = %d", e.Fake.Count("payouts"))
	}
}

func TestRecheckFansOutThroughTheQueue(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	s := newSeller(t, e, "seller-fan")
	var ids []string
	for i := 0; i < 7; i++ {
		r := record(t, call(t, createPayout(e), testenv.Request("POST", "/payouts", nil, payoutBody(s, 100, 0), nil)), http.StatusCreated)
		ids = append(ids, r.ID)
	}
	h, err := operations.NewRecheckHandler(e.Deps.Service, records.BucketTransaction, e.Deps.API.Queue, e.Deps.Log, "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	mon := rcAt(t, "2026-11-30 08:00")
	h.Now = func() time.Time { return mon }
	e.Deps.Service.Now = h.Now
	h.Budget.MaxItems, h.Budget.BatchSize, h.Budget.PageSize = 2, 2, 3

	raw, err := os.ReadFile("../../events/recheck-transactions.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Handle(e.Ctx, raw)
	rep, _ := out.(operations.RecheckReport)
	if err != nil || rep.Rechecked != 2 || rep.Queued != 5 || rep.Due != 7 {
		t.Fatalf("scheduled: %+v %v", rep, err)
	}
	msgs := e.Messages(t, e.Queue)
	if len(msgs) != 3 {
		t.Fatalf("%d messages, want 3 batches of at most 2 ids", len(msgs))
	}
	ev, _ := json.Marshal(testenv.SQSEvent(msgs...))
	res, err := h.Handle(e.Ctx, ev)
	if resp, ok := res.(events.SQSEventResponse); err != nil || !ok || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("queue: %+v %v", res, err)
	}
	for _, id := range ids {
		rcWantRecheckAt(t, rcGet(t, e, id), rcAt(t, "2026-12-01 08:00"))
	}
	// Redelivered: nothing is due any more, nothing is called.
	before := len(e.Fake.Requests())
	if _, err := h.HandleSQS(e.Ctx, testenv.SQSEvent(msgs...)); err != nil || len(e.Fake.Requests()) != before {
		t.Fatalf("redelivery called Mangopay: %v", err)
	}
	if _, err := h.Handle(e.Ctx, json.RawMessage(`{"bucket":"DOCUMENT"}`)); err == nil {
		t.Fatal("the transactions function accepted the documents bucket")
	}

	// Tuesday: Mangopay answers 429 to the first re-check. The handler
	// stops there: that message and the rest are batch item failures, for
	// SQS to deliver again later, and nothing more is sent to Mangopay.
	tue := rcAt(t, "2026-12-01 08:00")
	h.Now = func() time.Time { return tue }
	e.Fake.InjectFault(mangopaytest.Fault{Method: "GET", Path: "/payouts/", Status: http.StatusTooManyRequests})
	var batch []events.SQSMessage
	for i, id := range ids[:3] {
		body, _ := json.Marshal(operations.RecheckMessage{Bucket: records.BucketTransaction, IDs: []string{id}})
		batch = append(batch, testenv.Message(strings.Repeat("m", i+1), string(body), nil))
	}
	before = len(e.Fake.Requests())
	resp, err := h.HandleSQS(e.Ctx, events.SQSEvent{Records: batch})
	if err != nil || len(resp.BatchItemFailures) != 3 {
		t.Fatalf("after a 429: %+v %v", resp, err)
	}
	for _, r := range e.Fake.Requests()[before:] {
		if !strings.HasSuffix(r.Path, rcGet(t, e, ids[0]).MangopayID) && r.Path != "/oauth/token" && !strings.HasSuffix(r.Path, "/oauth/token") {
			t.Fatalf("called %s %s after the 429", r.Method, r.Path)
		}
	}
	e.Fake.ClearFaults()
	if resp, err := h.HandleSQS(e.Ctx, events.SQSEvent{Records: batch}); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("redelivered after the 429: %+v %v", resp, err)
	}
	rcWantRecheckAt(t, rcGet(t, e, ids[2]), rcAt(t, "2026-12-02 08:00"))
}

// TestRecheckManyPayoutsUnderEnforcedRateLimits: N payouts still CREATED,
// a fake answering 429 past small limits (2/5 N calls per 15 min), runs
// every 15 fake minutes on a Monday: every payout is re-checked across the
// runs, each run stops at the pacer's reserve, and Mangopay never answers
// 429. N is 1000, or 200 with -short.
func TestRecheckManyPayoutsUnderEnforcedRateLimits(t *testing.T) {
	t.Parallel()
	n := 1000
	if testing.Short() {
		n = 200
	}
	// 400 calls per 15 min for 1000 payouts (80 for 200): every run
	// meets the limit.
	limits := [4]int{n * 2 / 5, n * 4 / 5, n * 8 / 5, 100000}
	chunk := limits[0] * 3 / 4
	e := testenv.New(t, mangopaytest.WithRateLimits(limits, true))
	svc := e.Deps.Service
	s := newSeller(t, e, "seller-many")
	due := rcAt(t, "2026-11-30 07:00")
	ids := make(map[string]bool, n)
	setupStart := time.Now()
	for i := 0; i < n; i++ {
		if i > 0 && i%chunk == 0 {
			e.Fake.Advance(15 * time.Minute) // setup stays under the limits too
		}
		p, err := svc.MP.CreatePayout(e.Ctx, &mangopay.PayoutCreate{AuthorID: s.user.MangopayID, DebitedWalletID: s.wallet.MangopayID,
			DebitedFunds: mangopay.Money{Amount: 1, Currency: "EUR"}, Fees: mangopay.Money{Currency: "EUR"}, BankAccountID: s.bank.MangopayID})
		if err != nil {
			t.Fatalf("payout %d: %v", i, err)
		}
		r := txPut(t, e, &records.Record{Kind: records.KindPayout, OwnerRef: s.user.OwnerRef, ParentID: s.wallet.ID, MangopayID: p.ID,
			Status: p.Status, RecheckAt: &due, Transaction: &records.Transaction{Type: p.Type, Nature: p.Nature}})
		ids[r.ID] = true
	}
	e.Fake.Advance(2 * time.Hour) // the 15 min, 30 min and 1 h windows are empty again
	t.Logf("setup of %d payouts: %v", n, time.Since(setupStart))
	setupCalls := len(e.Fake.Requests())

	start := time.Now()
	total, runs, stops := 0, 0, 0
	for run := 0; total < n && run < 20; run++ {
		now := rcAt(t, "2026-11-30 08:00").Add(time.Duration(run) * 15 * time.Minute)
		rep := rcRun(t, e, records.BucketTransaction, now, operations.RecheckBudget{
			Pacing: pacing.Config{Concurrency: 8, CallsPerItem: 1, Reserve: 20, SlowBelow: 60,
				Sleep: func(context.Context, time.Duration) error { return nil }}})
		if rep.Failed != 0 || rep.Retry != 0 {
			t.Fatalf("run %d: %+v", run, rep)
		}
		total += rep.Rechecked
		runs++
		if rep.Stopped != "" {
			stops++
			if !strings.Contains(rep.Stopped, "allowance") {
				t.Fatalf("run %d stopped: %s", run, rep.Stopped)
			}
		}
		t.Logf("run %d at %s: read %d, re-checked %d, left %d, pauses %d, stopped %q", run, now.Format("15:04"), rep.ItemsRead, rep.Rechecked, rep.Left, rep.Pacer.Delays, rep.Stopped)
		e.Fake.Advance(15 * time.Minute)
	}
	elapsed := time.Since(start)
	if total != n {
		t.Fatalf("re-checked %d of %d in %d runs", total, n, runs)
	}
	tue := rcAt(t, "2026-12-01 08:00")
	page, err := svc.Records.DueForRecheck(e.Ctx, records.BucketTransaction, rcAt(t, "2026-11-30 23:00"), 10, "")
	if err != nil || len(page.Records) != 0 {
		t.Fatalf("still due on Monday: %d %v", len(page.Records), err)
	}
	for token := ""; ; {
		page, err := svc.Records.DueForRecheck(e.Ctx, records.BucketTransaction, tue, 1000, token)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Records {
			if ids[r.ID] && r.RecheckAt.Equal(tue) {
				delete(ids, r.ID)
			}
		}
		if token = page.Next; token == "" {
			break
		}
	}
	if len(ids) != 0 {
		t.Fatalf("%d payouts not scheduled for Tuesday", len(ids))
	}
	reqs := e.Fake.Requests()
	tooMany, gets := 0, 0
	for _, r := range reqs {
		if r.Status == http.StatusTooManyRequests {
			tooMany++
		}
		if r.Method == "GET" && strings.Contains(r.Path, "/payouts/") && r.Status == http.StatusOK {
			gets++
		}
	}
	retries := strings.Count(e.Logs(), "mangopay retry")
	if tooMany != 0 || retries != 0 || stops == 0 || gets != n {
		t.Fatalf("429 answers %d, client retries %d, pacer stops %d, payout GETs %d (want 0, 0, >0, %d)", tooMany, retries, stops, gets, n)
	}
	t.Logf("%d payouts re-checked in %d runs (%d stopped at the reserve), %d calls, 0 answers 429, %v", n, runs, stops, len(reqs)-setupCalls, elapsed)
}
