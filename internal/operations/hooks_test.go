package operations_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

const testHookToken = "hk_0123456789abcdefghijklmnopqrstuvwxyz"

func newHooks(t *testing.T, e *testenv.Env) *operations.Hooks {
	t.Helper()
	h, err := operations.NewHooks(e.Deps.Service, testHookToken, api.Queue{Client: e.SQS, URL: e.Queue})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// hookRequest is Mangopay's GET /hooks/{token}?… as API Gateway passes it.
func hookRequest(token, eventType, ressourceID string, date int64) events.APIGatewayV2HTTPRequest {
	req := testenv.Request("GET", "/hooks/"+token, map[string]string{"token": token}, nil, nil)
	req.QueryStringParameters = map[string]string{"EventType": eventType, "RessourceId": ressourceID, "Date": strconv.FormatInt(date, 10)}
	return req
}

// hookReceiver is the receiving function behind a loopback HTTP server
// the fake Mangopay delivers to; it returns the hook URL.
func hookReceiver(t *testing.T, e *testenv.Env, h *operations.Hooks) string {
	t.Helper()
	handler := h.HTTPHandler(e.Deps.API)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, _ := strings.CutPrefix(r.URL.Path, "/hooks/")
		req := testenv.Request(r.Method, r.URL.Path, map[string]string{"token": token}, nil, nil)
		req.QueryStringParameters = map[string]string{}
		for k, v := range r.URL.Query() {
			req.QueryStringParameters[k] = v[0]
		}
		resp, err := handler(r.Context(), req)
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write([]byte(resp.Body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/hooks/" + testHookToken
}

// processQueue runs the processing function over what waits on the queue
// and returns how many notifications it got.
func processQueue(t *testing.T, e *testenv.Env, h *operations.Hooks) int {
	t.Helper()
	msgs := e.Messages(t, e.Queue)
	if len(msgs) == 0 {
		return 0
	}
	resp, err := api.SQS(h.ProcessHookOp(), e.Deps.API)(e.Ctx, testenv.SQSEvent(msgs...))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("processing: %v %+v", err, resp.BatchItemFailures)
	}
	return len(msgs)
}

// mangopayGets counts the GETs of one Mangopay object.
func mangopayGets(e *testenv.Env, path string) int {
	n := 0
	for _, r := range e.Fake.Requests() {
		if r.Method == http.MethodGet && strings.HasSuffix(r.Path, path) {
			n++
		}
	}
	return n
}

func notification(t *testing.T, e *testenv.Env, eventType, id string, date int64) records.HookNotification {
	t.Helper()
	n, err := e.Deps.Service.Records.GetHookNotification(e.Ctx, eventType, id, time.Unix(date, 0))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRegisterHooks(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	h := newHooks(t, e)
	url := "http://127.0.0.1:1/hooks/" + testHookToken
	all := operations.HookEventTypes()
	rep, err := h.RegisterHooks(e.Ctx, url)
	if err != nil || len(rep.Created) != len(all) || len(rep.Repaired) != 0 || len(rep.OK) != 0 {
		t.Fatalf("first registration %+v %v", rep, err)
	}
	if n := e.Fake.Count("hooks"); n != len(all) {
		t.Fatalf("hooks at Mangopay = %d, want %d", n, len(all))
	}
	rep, err = h.RegisterHooks(e.Ctx, url)
	if err != nil || len(rep.OK) != len(all) || len(rep.Created)+len(rep.Repaired) != 0 {
		t.Fatalf("second registration %+v %v", rep, err)
	}
	// Break two hooks: one disabled, one pointing elsewhere.
	page, err := e.Deps.Service.MP.ListHooks(e.Ctx, &mangopay.ListOptions{PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	broken := map[string]bool{}
	for _, hk := range page.Items {
		switch hk.EventType {
		case mangopay.EventPayoutNormalSucceeded:
			_, err = e.Deps.Service.MP.UpdateHook(e.Ctx, hk.ID, &mangopay.HookUpdate{Status: mangopay.HookStatusDisabled})
		case mangopay.EventKYCSucceeded:
			_, err = e.Deps.Service.MP.UpdateHook(e.Ctx, hk.ID, &mangopay.HookUpdate{URL: "http://127.0.0.1:2/old"})
		default:
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		broken[hk.EventType] = true
	}
	// And one INVALID, as after 100 failed deliveries.
	if err := e.Fake.InvalidateHook(mangopay.EventTransferNormalSucceeded); err != nil {
		t.Fatal(err)
	}
	broken[mangopay.EventTransferNormalSucceeded] = true
	rep, err = h.RegisterHooks(e.Ctx, url)
	if err != nil || len(rep.Repaired) != 3 || len(rep.OK) != len(all)-3 || len(rep.Created) != 0 {
		t.Fatalf("repair %+v %v", rep, err)
	}
	for _, r := range rep.Repaired {
		if !broken[r] {
			t.Fatalf("repaired %s, which was not broken: %+v", r, rep)
		}
	}
	page, err = e.Deps.Service.MP.ListHooks(e.Ctx, &mangopay.ListOptions{PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, hk := range page.Items {
		if hk.URL != url || hk.Status != mangopay.HookStatusEnabled || hk.Validity != mangopay.HookValidityValid {
			t.Fatalf("hook after repair %+v", hk)
		}
	}
}

// A payout settled at Mangopay: its hook is delivered (twice), processed
// once, and exactly one PayoutSucceeded is published.
func TestHookDeliveredTwiceIsProcessedOnce(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	h := newHooks(t, e)
	s := outcomeSeller(t, e)
	if _, err := h.RegisterHooks(e.Ctx, hookReceiver(t, e, h)); err != nil {
		t.Fatal(err)
	}
	rec := payoutCreated(t, e, s)
	if err := e.Fake.SettlePayout(rec.MangopayID, true, ""); err != nil {
		t.Fatal(err)
	}
	e.Fake.WaitHooks()
	var d *mangopaytest_delivery
	for _, x := range e.Fake.HookDeliveries() {
		if x.EventType == mangopay.EventPayoutNormalSucceeded && x.RessourceId == rec.MangopayID {
			d = &mangopaytest_delivery{x.EventType, x.RessourceId, x.Date, x.Status, x.Err}
		}
	}
	if d == nil || d.status != http.StatusOK {
		t.Fatalf("delivery %+v of %+v", d, e.Fake.HookDeliveries())
	}
	// Mangopay delivers the same notification again.
	resp := call(t, h.HTTPHandler(e.Deps.API), hookRequest(testHookToken, d.eventType, d.id, d.date))
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, `"queued":false`) {
		t.Fatalf("repeat delivery: %d %s", resp.StatusCode, resp.Body)
	}
	if n := processQueue(t, e, h); n != 1 {
		t.Fatalf("%d notifications queued, want 1", n)
	}
	after, err := e.Deps.Service.Records.Get(e.Ctx, rec.ID)
	if err != nil || after.Status != "SUCCEEDED" {
		t.Fatalf("record after the hook: %+v %v", after, err)
	}
	oneEvent(t, e.Outcomes(t), records.PayoutSucceeded, rec.ID)
	gets := mangopayGets(e, "/payouts/bankwire/"+rec.MangopayID)
	if gets != 1 {
		t.Fatalf("%d GETs of the payout, want 1", gets)
	}
	// The same notification processed again (a redelivered message) does nothing.
	r, err := h.ProcessHook(e.Ctx, operations.HookMessage{EventType: d.eventType, RessourceID: d.id, Date: d.date})
	if err != nil || !r.Skipped {
		t.Fatalf("second processing %+v %v", r, err)
	}
	if g := mangopayGets(e, "/payouts/bankwire/"+rec.MangopayID); g != gets {
		t.Fatalf("second processing read Mangopay (%d GETs)", g)
	}
	if evs := e.Outcomes(t); len(evs) != 0 {
		t.Fatalf("second processing published %+v", evs)
	}
	if n := notification(t, e, d.eventType, d.id, d.date); n.ProcessedAt == nil || !strings.HasPrefix(n.Outcome, "updated "+rec.ID) {
		t.Fatalf("notification %+v", n)
	}
}

type mangopaytest_delivery struct {
	eventType, id string
	date          int64
	status        int
	err           string
}

// A forged hook: the payout is still CREATED at Mangopay.
func TestForgedHookChangesNothing(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	h := newHooks(t, e)
	s := outcomeSeller(t, e)
	rec := payoutCreated(t, e, s)
	before, err := e.Deps.Service.Records.Get(e.Ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	date := e.Fake.Now().Unix()
	resp := call(t, h.HTTPHandler(e.Deps.API), hookRequest(testHookToken, mangopay.EventPayoutNormalSucceeded, rec.MangopayID, date))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("forged hook: %d %s", resp.StatusCode, resp.Body)
	}
	if n := processQueue(t, e, h); n != 1 {
		t.Fatalf("%d notifications queued, want 1", n)
	}
	after, err := e.Deps.Service.Records.Get(e.Ctx, rec.ID)
	if err != nil || after.Status != "CREATED" || after.SyncState != before.SyncState {
		t.Fatalf("record after a forged hook: %+v %v", after, err)
	}
	if evs := e.Outcomes(t); len(evs) != 0 {
		t.Fatalf("a forged hook published %+v", evs)
	}
	if evs := e.PayoutOutcomes(t); len(evs) != 0 {
		t.Fatalf("a forged hook published %+v", evs)
	}
	if n := notification(t, e, mangopay.EventPayoutNormalSucceeded, rec.MangopayID, date); !strings.HasPrefix(n.Outcome, "unchanged "+rec.ID) {
		t.Fatalf("notification %+v", n)
	}
}

func TestHookWrongTokenIs404(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	h := newHooks(t, e)
	for _, token := range []string{"", "guess", testHookToken + "x", strings.ToUpper(testHookToken)} {
		resp := call(t, h.HTTPHandler(e.Deps.API), hookRequest(token, mangopay.EventPayoutNormalSucceeded, "po_m_1", 1700000000))
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("token %q: %d %s", token, resp.StatusCode, resp.Body)
		}
	}
	// The operation itself refuses too.
	_, err := h.ReceiveHook(e.Ctx, &operations.ReceiveHookInput{Token: "guess", EventType: mangopay.EventPayoutNormalSucceeded,
		RessourceID: "po_m_1", Date: "1700000000"}, api.Call{})
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusNotFound {
		t.Fatalf("ReceiveHook with a wrong token: %v", err)
	}
	if _, err := e.Deps.Service.Records.GetHookNotification(e.Ctx, mangopay.EventPayoutNormalSucceeded, "po_m_1", time.Unix(1700000000, 0)); !errors.Is(err, records.ErrNotFound) {
		t.Fatalf("a wrong token stored a notification: %v", err)
	}
	if n := len(e.Messages(t, e.Queue)); n != 0 {
		t.Fatalf("a wrong token queued %d messages", n)
	}
}

// An object we do not know, and the dashboard's test call: kept and
// acknowledged.
func TestHookUnknownObjectIsKept(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	h := newHooks(t, e)
	handler := h.HTTPHandler(e.Deps.API)
	date := e.Fake.Now().Unix()
	for _, id := range []string{"po_m_someone_else", ""} {
		if resp := call(t, handler, hookRequest(testHookToken, mangopay.EventPayoutNormalSucceeded, id, date)); resp.StatusCode != http.StatusOK {
			t.Fatalf("%q: %d %s", id, resp.StatusCode, resp.Body)
		}
	}
	if n := processQueue(t, e, h); n != 1 {
		t.Fatalf("%d notifications queued, want 1", n)
	}
	if n := notification(t, e, mangopay.EventPayoutNormalSucceeded, "po_m_someone_else", date); n.ProcessedAt == nil || n.Outcome != operations.HookOutcomeUnknown {
		t.Fatalf("unknown object: %+v", n)
	}
	if n := notification(t, e, mangopay.EventPayoutNormalSucceeded, "", date); n.ProcessedAt == nil || n.Outcome != operations.HookOutcomeNoResource {
		t.Fatalf("test call: %+v", n)
	}
}

// No hook delivered the payout's success: reconciliation over GET /events
// catches it the same day, once.
func TestReconcileCatchesMissedHook(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	h := newHooks(t, e)
	s := outcomeSeller(t, e)
	e.Fake.Advance(time.Hour) // the set-up's events fall before the window
	rec := payoutCreated(t, e, s)
	since := e.Fake.Now()
	e.Fake.Advance(2 * time.Hour)
	if err := e.Fake.SettlePayout(rec.MangopayID, true, ""); err != nil {
		t.Fatal(err)
	}
	e.Fake.Advance(time.Hour)
	now := e.Fake.Now()
	rep, err := h.Reconcile(e.Ctx, since, now)
	if err != nil || rep.Missed != 1 || rep.Changed != 1 || rep.Failed != 0 || !rep.Next.Equal(now) {
		t.Fatalf("reconcile %+v %v", rep, err)
	}
	after, err := e.Deps.Service.Records.Get(e.Ctx, rec.ID)
	if err != nil || after.Status != "SUCCEEDED" {
		t.Fatalf("record after reconcile: %+v %v", after, err)
	}
	oneEvent(t, e.Outcomes(t), records.PayoutSucceeded, rec.ID)
	// A run over the same window finds it done.
	rep, err = h.Reconcile(e.Ctx, since, now.Add(time.Hour))
	if err != nil || rep.Missed != 0 || rep.Processed != 0 || rep.Delivered != 1 {
		t.Fatalf("second reconcile %+v %v", rep, err)
	}
	if evs := e.Outcomes(t); len(evs) != 0 {
		t.Fatalf("second reconcile published %+v", evs)
	}
}

// The scheduled reconciliation keeps its place in a cursor: the first run
// looks a day back, the next starts where it stopped.
func TestReconcileSinceLastRunMovesTheCursor(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	h := newHooks(t, e)
	s := outcomeSeller(t, e)
	rec := payoutCreated(t, e, s)
	e.Fake.Advance(2 * time.Hour)
	if err := e.Fake.SettlePayout(rec.MangopayID, true, ""); err != nil {
		t.Fatal(err)
	}
	e.Fake.Advance(time.Hour)
	now := e.Fake.Now()
	rep, err := h.ReconcileSinceLastRun(e.Ctx, now)
	// The day back also covers the set-up's own events: only the payout
	// changed.
	if err != nil || rep.Changed != 1 || !rep.Next.Equal(now) {
		t.Fatalf("first run %+v %v", rep, err)
	}
	if at, err := e.Deps.Service.Records.GetCursor(e.Ctx, operations.ReconcileCursor); err != nil || !at.Equal(now) {
		t.Fatalf("cursor %v %v, want %v", at, err, now)
	}
	e.Fake.Advance(time.Hour)
	rep, err = h.ReconcileSinceLastRun(e.Ctx, e.Fake.Now())
	if err != nil || rep.Missed != 0 || rep.Processed != 0 || rep.After > now.Unix() {
		t.Fatalf("second run %+v %v", rep, err)
	}
	oneEvent(t, e.Outcomes(t), records.PayoutSucceeded, rec.ID)
}

func TestHookFunctionsRefuseToStartMisconfigured(t *testing.T) {
	h := &operations.Hooks{Token: "short"}
	if err := h.CheckReceiver(); err == nil || !strings.Contains(err.Error(), "HOOK_TOKEN") || strings.Contains(err.Error(), "short") {
		t.Fatalf("short token: %v", err)
	}
	h = &operations.Hooks{Token: strings.Repeat("k", operations.MinHookTokenLen), Queue: api.Queue{}}
	if err := h.CheckReceiver(); err == nil || !strings.Contains(err.Error(), "HOOK_QUEUE_URL") {
		t.Fatalf("no queue: %v", err)
	}
	if _, err := h.RegisterJob(""); err == nil || !strings.Contains(err.Error(), "HOOK_URL") {
		t.Fatalf("no URL: %v", err)
	}
}
