package records

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestIdempotencyAnswers(t *testing.T) {
	f := newFixture(t)
	fp := Fingerprint([]byte("POST"), []byte("/payouts"), []byte(`{"amount":1260}`))
	other := Fingerprint([]byte("POST"), []byte("/payouts"), []byte(`{"amount":9999}`))

	first := f.beginFor(t, "payouts", "key-1", fp, "pyo_first", IdemNew)
	f.calls.Reset()
	busy := f.beginFor(t, "payouts", "key-1", fp, "pyo_second", IdemInProgress)
	f.beginFor(t, "payouts", "key-1", other, "pyo_third", IdemConflict)
	if n := f.calls.Total(); n != 2 {
		t.Fatalf("two answers took %d requests (%s), want one conditional write each", n, f.calls)
	}
	if first.Subject != "pyo_first" || busy.Subject != "pyo_first" {
		t.Fatalf("subjects %q and %q, want the first caller's", first.Subject, busy.Subject)
	}

	item := f.rawItem(t, IdemPK("payouts", "key-1"))
	wantExp := f.clock.Now().Add(24 * time.Hour).Unix()
	if got := item[AttrExpiresAt].(*types.AttributeValueMemberN).Value; got != strconv.FormatInt(wantExp, 10) {
		t.Fatalf("%s = %s, want now+24h = %d", AttrExpiresAt, got, wantExp)
	}

	if err := f.store.CompleteIdempotent(f.ctx, "payouts", "key-1", first.Token, []byte(`{"id":"pyo_1"}`), 201); err != nil {
		t.Fatal(err)
	}
	done := f.begin(t, "payouts", "key-1", fp, IdemDone)
	if string(done.Response) != `{"id":"pyo_1"}` || done.Status != 201 || done.Subject != "pyo_first" {
		t.Fatalf("stored response %q %d", done.Response, done.Status)
	}
	f.begin(t, "payouts", "key-1", other, IdemConflict)
	f.begin(t, "transfers", "key-1", other, IdemNew) // scopes are separate
}

func (f *fixture) begin(t *testing.T, scope, key, fp string, want IdemState) IdemAnswer {
	t.Helper()
	return f.beginFor(t, scope, key, fp, "", want)
}

// beginFor is begin with a subject (the record the request would create).
func (f *fixture) beginFor(t *testing.T, scope, key, fp, subject string, want IdemState) IdemAnswer {
	t.Helper()
	a, err := f.store.BeginIdempotent(f.ctx, scope, key, fp, subject)
	if err != nil {
		t.Fatal(err)
	}
	if a.State != want {
		t.Fatalf("BeginIdempotent(%s, %s): %s, want %s", scope, key, a.State, want)
	}
	return a
}

// TestIdempotencyOneWinner: many callers at once, one runs the request;
// and once its lease has run out, one of many takes it over.
func TestIdempotencyOneWinner(t *testing.T) {
	f := newFixture(t, WithIdempotencyLease(time.Minute))
	if got := f.race(t, 10); got[IdemNew] != 1 || got[IdemInProgress] != 9 {
		t.Fatalf("answers %v, want exactly one NEW and 9 IN_PROGRESS", got)
	}
	f.clock.Advance(time.Minute)
	if got := f.race(t, 10); got[IdemNew] != 1 || got[IdemInProgress] != 9 {
		t.Fatalf("takeover: answers %v, want exactly one NEW and 9 IN_PROGRESS", got)
	}
}

// race has n callers begin the same request at once and counts answers.
func (f *fixture) race(t *testing.T, n int) map[IdemState]int {
	t.Helper()
	states := make(chan IdemState, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			a, err := f.store.BeginIdempotent(f.ctx, "payins", "same-key", "fp", "")
			if err != nil {
				t.Error(err)
			}
			states <- a.State
		})
	}
	wg.Wait()
	close(states)
	count := map[IdemState]int{}
	for s := range states {
		count[s]++
	}
	return count
}

func TestIdempotencyExpiryLeaseAndRelease(t *testing.T) {
	f := newFixture(t, WithIdempotencyLease(time.Minute))
	first := f.beginFor(t, "s", "k", "fp", "pay_first", IdemNew)

	f.clock.Advance(59 * time.Second)
	f.begin(t, "s", "k", "fp", IdemInProgress)
	f.clock.Advance(time.Second)
	f.begin(t, "s", "k", "other-request", IdemConflict)
	taken := f.beginFor(t, "s", "k", "fp", "pay_second", IdemNew)
	if !taken.Resumed || taken.Subject != "pay_first" {
		t.Fatalf("takeover after the lease: %+v, want Resumed with the first caller's subject", taken)
	}
	f.begin(t, "s", "k", "fp", IdemInProgress) // the new lease holds
	err := f.store.CompleteIdempotent(f.ctx, "s", "k", first.Token, []byte("late"), 200)
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("completion by the caller who lost the lease: got %v, want ErrConflict", err)
	}
	if err := f.store.ReleaseIdempotent(f.ctx, "s", "k", taken.Token); err != nil {
		t.Fatal(err)
	}
	f.begin(t, "s", "k", "other-request", IdemConflict)
	again := f.beginFor(t, "s", "k", "fp", "pay_third", IdemNew)
	if !again.Resumed || again.Subject != "pay_first" {
		t.Fatalf("a claim after a release: %+v, want it resumed with the first subject (same record, same Mangopay key)", again)
	}
	if err := f.store.CompleteIdempotent(f.ctx, "s", "k", again.Token, nil, 204); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(24*time.Hour - time.Second)
	f.begin(t, "s", "k", "other", IdemConflict)
	f.clock.Advance(time.Second)
	// Expired: DynamoDB's TTL may not have deleted it yet, the Store
	// treats it as gone.
	f.begin(t, "s", "k", "other", IdemNew)
}

func TestIdempotencyRejectsBadKeys(t *testing.T) {
	f := newFixture(t)
	for _, c := range [][2]string{{"", "k"}, {"a#b", "k"}, {"s", ""}} {
		if _, err := f.store.BeginIdempotent(f.ctx, c[0], c[1], "fp", ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("scope %q key %q: got %v, want ErrInvalid", c[0], c[1], err)
		}
	}
}

func TestHookNotificationsDeduplicate(t *testing.T) {
	f := newFixture(t)
	date := time.Unix(1740581497, 0)
	n, isNew, err := f.store.SaveHookNotification(f.ctx, "PAYOUT_NORMAL_SUCCEEDED", "po_m_42", date)
	if err != nil || !isNew || n.ProcessedAt != nil {
		t.Fatalf("first delivery: %+v new=%v err=%v", n, isNew, err)
	}
	n, isNew, err = f.store.SaveHookNotification(f.ctx, "PAYOUT_NORMAL_SUCCEEDED", "po_m_42", date)
	if err != nil || isNew || n.ProcessedAt != nil {
		t.Fatalf("retry before processing: %+v new=%v err=%v, want a repeat not yet processed", n, isNew, err)
	}
	if err := f.store.MarkHookProcessed(f.ctx, "PAYOUT_NORMAL_SUCCEEDED", "po_m_42", date, "updated pyo_1"); err != nil {
		t.Fatal(err)
	}
	n, isNew, err = f.store.SaveHookNotification(f.ctx, "PAYOUT_NORMAL_SUCCEEDED", "po_m_42", date)
	if err != nil || isNew || n.ProcessedAt == nil || n.Outcome != "updated pyo_1" {
		t.Fatalf("retry after processing: %+v new=%v err=%v", n, isNew, err)
	}
	if _, isNew, _ := f.store.SaveHookNotification(f.ctx, "PAYOUT_NORMAL_FAILED", "po_m_42", date); !isNew {
		t.Fatal("another event type on the same object is a new notification")
	}
	item := f.rawItem(t, HookPK("PAYOUT_NORMAL_SUCCEEDED", "po_m_42", date))
	if _, ok := item[AttrExpiresAt]; !ok {
		t.Fatalf("hook notification has no %s", AttrExpiresAt)
	}
	err = f.store.MarkHookProcessed(f.ctx, "KYC_SUCCEEDED", "kyc_1", date, "")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("marking an unknown notification: got %v, want ErrNotFound", err)
	}
}

// The SDK retries a PutItem whose answer was lost; if the first attempt
// had written the claim, the retry fails its condition on our own entry,
// which must still count as ours (seen under load: a request answered
// "in progress" to itself).
func TestRetriedClaimWriteIsStillOurs(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	e := idemEntry{PK: IdemPK("s", "k"), Kind: idemKind, Scope: "s", Key: "k", Fingerprint: "fp",
		State: IdemInProgress, Token: "tok-1", Subject: "pay_x", CreatedAt: now,
		LeaseUntil: now.Add(time.Minute).Unix(), ExpiresAt: now.Add(time.Hour).Unix()}
	if _, err := f.store.claim(f.ctx, e, now); err != nil {
		t.Fatal(err)
	}
	if held, err := f.store.claim(f.ctx, e, now); err != nil || held != nil {
		t.Fatalf("the same write again: %+v %v, want it taken as ours", held, err)
	}
	other := e
	other.Token = "tok-2"
	if _, err := f.store.claim(f.ctx, other, now); !errors.Is(err, ErrExists) {
		t.Fatalf("another caller's claim: got %v, want ErrExists", err)
	}
}

// A claim taken by an invocation that then dies or times out (Lambda
// stops it at its deadline) is taken over once that invocation's deadline
// is past, not after the Store's whole lease: else every redelivery of the
// SQS message within the lease (5 receptions, one per 60 s visibility
// timeout) is answered "in progress" and SQS redrives it to the DLQ
// without a reason (found by the chaos suite, scenario 1).
func TestIdempotencyLeaseEndsWithTheInvocation(t *testing.T) {
	f := newFixture(t) // the default lease: 15 min
	ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
	defer cancel()
	first, err := f.store.BeginIdempotent(ctx, "s", "k", "fp", "pay_first")
	if err != nil || first.State != IdemNew {
		t.Fatalf("first claim %+v %v", first, err)
	}
	f.begin(t, "s", "k", "fp", IdemInProgress) // while the invocation may still run
	f.clock.Advance(10*time.Second + IdemLeaseMargin + time.Second)
	taken := f.beginFor(t, "s", "k", "fp", "pay_second", IdemNew)
	if !taken.Resumed || taken.Subject != "pay_first" {
		t.Fatalf("after the first invocation's deadline: %+v, want it resumed", taken)
	}
	// Without a deadline, the Store's lease applies.
	f.clock.Advance(time.Minute)
	f.begin(t, "s", "k", "fp", IdemInProgress)
}
