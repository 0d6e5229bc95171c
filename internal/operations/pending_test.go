package operations_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lambda-mangopay/lambda-mangopay/internal/api"
	"github.com/lambda-mangopay/lambda-mangopay/internal/operations"
	"github.com/lambda-mangopay/lambda-mangopay/internal/testenv"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/mangopay/mangopaytest"
	"github.com/lambda-mangopay/lambda-mangopay/pkg/records"
)

// testClock is a clock the test moves by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// clockedService is e's Service on clk: its records are stamped, and its
// decisions taken, at the test's time (the table and Mangopay are e's).
func clockedService(e *testenv.Env, clk *testClock) *operations.Service {
	svc := *e.Deps.Service
	svc.Now = clk.Now
	svc.Records = records.New(dynamodb.NewFromConfig(e.AWS), e.Vars["TABLE_NAME"], records.WithClock(clk.Now))
	return &svc
}

// A create cut short on a Friday evening must be settled while Mangopay
// still remembers its Idempotency-Key (24 h), weekend or not: the PENDING
// sweep runs every hour of every day. Once the key is forgotten, nothing
// is sent again under it.
func TestPendingTransactionsAreSettledBeforeMangopayForgetsTheirKey(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	s := newSeller(t, e, "seller-weekend")
	friday := rcAt(t, "2026-11-27 18:00")
	clk := &testClock{now: friday}
	svc := clockedService(e, clk)
	create := api.HTTP(svc.CreatePayoutOp(), e.Deps.API)
	sweep, err := operations.NewRecheckHandler(svc, records.BucketTransaction, nil, e.Deps.Log, "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	sweep.Now = clk.Now
	advance := func(d time.Duration) { clk.Set(clk.Now().Add(d)); e.Fake.Advance(d) } // both clocks, in step
	run := func(bucket string) operations.RecheckReport {
		t.Helper()
		rep, err := sweep.HandleScheduled(e.Ctx, operations.RecheckEvent{Bucket: bucket})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}

	// Mangopay made the first payout but its answer was lost; it never got
	// the second.
	e.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/payouts", DropAfterCommit: true})
	problemFields(t, call(t, create, testenv.Request("POST", "/payouts", nil, payoutBody(s, 1000, 0), nil)), http.StatusServiceUnavailable)
	e.Fake.ClearFaults()
	e.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/payouts", Status: 503})
	problemFields(t, call(t, create, testenv.Request("POST", "/payouts", nil, payoutBody(s, 2000, 0), nil)), http.StatusServiceUnavailable)
	e.Fake.ClearFaults()
	made, never := pendingPayout(t, e, s, 1000), pendingPayout(t, e, s, 2000)
	if made.RecheckBucket() != records.BucketPending || e.Fake.Count("payouts") != 1 {
		t.Fatalf("setup: %+v in bucket %s, %d payouts at Mangopay", made, made.RecheckBucket(), e.Fake.Count("payouts"))
	}

	// Saturday 02:00: the weekday run does nothing; the PENDING sweep finds
	// the lost answer at GET /responses/{key}.
	advance(8 * time.Hour)
	if rep := run(records.BucketTransaction); rep.Rechecked != 0 || rep.Stopped == "" {
		t.Fatalf("the weekday run worked on a Saturday: %+v", rep)
	}
	if rep := run(records.BucketPending); rep.Changed != 1 {
		t.Fatalf("Saturday 02:00 sweep: %+v", rep)
	}
	if got := rcGet(t, e, made.ID); got.SyncState != records.SyncSynced || got.MangopayID == "" {
		t.Fatalf("the lost answer was not recovered on Saturday: %+v", got)
	}
	left := rcGet(t, e, never.ID)
	if left.SyncState != records.SyncPending || left.RecheckAt == nil || left.RecheckAt.After(never.CreatedAt.Add(operations.PendingGiveUp)) {
		t.Fatalf("not found, young: %+v", left)
	}

	// Saturday 16:30, 22.5 h on: still within Mangopay's memory, so "not
	// found" proves the second payout never reached it.
	advance(14*time.Hour + 30*time.Minute)
	run(records.BucketPending)
	if got := rcGet(t, e, never.ID); got.SyncState != records.SyncFailed || !strings.Contains(got.SyncError, "never reached Mangopay") || got.RecheckAt != nil {
		t.Fatalf("Saturday 16:30: %+v", got)
	}

	// A third payout is cut short with its answer lost, and nothing sweeps
	// for 25 h (an outage): Mangopay forgets the key. The sweep can no
	// longer prove anything, and the client's retry with its own key must
	// not send the payout again.
	key := map[string]string{"Idempotency-Key": "weekend-payout-3"}
	e.Fake.InjectFault(mangopaytest.Fault{Method: "POST", Path: "/payouts", DropAfterCommit: true})
	problemFields(t, call(t, create, testenv.Request("POST", "/payouts", nil, payoutBody(s, 3000, 0), key)), http.StatusServiceUnavailable)
	e.Fake.ClearFaults()
	lost := pendingPayout(t, e, s, 3000)
	advance(25 * time.Hour)
	run(records.BucketPending)
	got := rcGet(t, e, lost.ID)
	if got.SyncState != records.SyncPending || !strings.Contains(got.SyncError, "outcome unknown") || got.RecheckAt != nil {
		t.Fatalf("past Mangopay's memory: %+v", got)
	}
	problemFields(t, call(t, create, testenv.Request("POST", "/payouts", nil, payoutBody(s, 3000, 0), key)), http.StatusConflict)
	if n := e.Fake.Count("payouts"); n != 2 {
		t.Fatalf("payouts at Mangopay = %d, want 2: a retry was sent again under a forgotten key", n)
	}
}

// pendingPayout finds the seller's only payout record of amount, PENDING.
func pendingPayout(t *testing.T, e *testenv.Env, s seller, amount int64) *records.Record {
	t.Helper()
	for _, r := range txRecords(t, e, s.user.OwnerRef, records.KindPayout) {
		if r.Transaction.DebitedFunds.Amount == amount {
			if r.SyncState != records.SyncPending {
				t.Fatalf("payout of %d is %s, want PENDING", amount, r.SyncState)
			}
			return &r
		}
	}
	t.Fatalf("no payout record of %d", amount)
	return nil
}
