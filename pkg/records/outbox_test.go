package records

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"
)

func withStatus(r *Record, status string) *Record {
	c := *r
	c.Status = status
	if r.Transaction != nil {
		x := *r.Transaction
		c.Transaction = &x
	}
	return &c
}

func TestOutcomes(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	base := func(k Kind, status string) *Record {
		r := &Record{ID: "x_1", Kind: k, OwnerRef: "seller-1", MangopayID: "mp_1", Status: status,
			SyncState: SyncSynced, Version: 7, UpdatedAt: at}
		switch {
		case k.IsTransaction():
			r.ResultCode, r.ResultMessage = "000000", "Success"
			r.Transaction = &Transaction{DebitedFunds: Money{Amount: 1260, Currency: "EUR"},
				CreditedFunds: Money{Amount: 1200, Currency: "EUR"}, Fees: Money{Amount: 60, Currency: "EUR"},
				BankAccountID: "bank_mp_1", DebitedWalletID: "wallet_mp_1"}
		case k == KindDocument:
			r.ParentID = "usn_1"
			r.Document = &Document{Type: "IDENTITY_PROOF", RefusedReasonType: "DOCUMENT_UNREADABLE", RefusedReasonMessage: "blurred"}
		case k == KindUserNatural || k == KindUserLegal:
			r.User = &User{KYCLevel: status}
			r.Status = ""
		}
		return r
	}
	pending := &Record{ID: "x_1", Kind: KindPayout, OwnerRef: "seller-1", SyncState: SyncPending, Version: 6}
	cases := []struct {
		name     string
		old, new *Record
		want     string // detail type, "" for none
	}{
		{"payout created→succeeded", base(KindPayout, "CREATED"), base(KindPayout, "SUCCEEDED"), PayoutSucceeded},
		{"payout created→failed", base(KindPayout, "CREATED"), base(KindPayout, "FAILED"), PayoutFailed},
		{"payout pending→created", pending, base(KindPayout, "CREATED"), ""},
		{"payout pending→succeeded", pending, base(KindPayout, "SUCCEEDED"), PayoutSucceeded},
		{"payout created directly succeeded", nil, base(KindPayout, "SUCCEEDED"), PayoutSucceeded},
		{"payout created pending", nil, pending, ""},
		{"payout created in CREATED", nil, base(KindPayout, "CREATED"), ""},
		{"payout succeeded, unchanged", base(KindPayout, "SUCCEEDED"), base(KindPayout, "SUCCEEDED"), ""},
		{"payin succeeded", base(KindPayIn, "CREATED"), base(KindPayIn, "SUCCEEDED"), PayInSucceeded},
		{"payin failed", base(KindPayIn, "CREATED"), base(KindPayIn, "FAILED"), PayInFailed},
		{"transfer succeeded", nil, base(KindTransfer, "SUCCEEDED"), TransferSucceeded},
		{"transfer failed", base(KindTransfer, "CREATED"), base(KindTransfer, "FAILED"), TransferFailed},
		{"refund succeeded", base(KindRefund, "CREATED"), base(KindRefund, "SUCCEEDED"), RefundSucceeded},
		{"refund failed", base(KindRefund, "CREATED"), base(KindRefund, "FAILED"), RefundFailed},
		{"preauthorization succeeded: no event", base(KindPreauthorization, "CREATED"), base(KindPreauthorization, "SUCCEEDED"), ""},
		{"document validated", base(KindDocument, "VALIDATION_ASKED"), base(KindDocument, "VALIDATED"), DocumentValidated},
		{"document refused", base(KindDocument, "VALIDATION_ASKED"), base(KindDocument, "REFUSED"), DocumentRefused},
		{"document out of date", base(KindDocument, "VALIDATED"), base(KindDocument, "OUT_OF_DATE"), DocumentOutOfDate},
		{"document asked", base(KindDocument, "CREATED"), base(KindDocument, "VALIDATION_ASKED"), ""},
		{"document refused, unchanged", base(KindDocument, "REFUSED"), base(KindDocument, "REFUSED"), ""},
		{"user light→regular", base(KindUserNatural, "LIGHT"), base(KindUserNatural, "REGULAR"), UserKYCLevelChanged},
		{"legal user regular→light", base(KindUserLegal, "REGULAR"), base(KindUserLegal, "LIGHT"), UserKYCLevelChanged},
		{"user unchanged", base(KindUserNatural, "LIGHT"), base(KindUserNatural, "LIGHT"), ""},
		{"user first level (create synced)", &Record{ID: "x_1", Kind: KindUserNatural, SyncState: SyncPending}, base(KindUserNatural, "LIGHT"), ""},
		{"user created", nil, base(KindUserNatural, "REGULAR"), ""},
		{"wallet", nil, base(KindWallet, ""), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Outcomes(c.old, c.new)
			if c.want == "" {
				if len(got) != 0 {
					t.Fatalf("got %+v, want no event", got)
				}
				return
			}
			if len(got) != 1 || got[0].DetailType != c.want || got[0].ID != "x_1:"+c.want+":7" || !got[0].At.Equal(at) {
				t.Fatalf("got %+v, want one %s", got, c.want)
			}
			var d map[string]any
			if err := json.Unmarshal(got[0].Detail, &d); err != nil {
				t.Fatal(err)
			}
			if d["id"] != "x_1" || d["event_id"] != got[0].ID || d["external_user_id"] != "seller-1" || d["mangopay_id"] != "mp_1" {
				t.Fatalf("detail %s", got[0].Detail)
			}
			switch c.want {
			case PayoutSucceeded, PayoutFailed, PayInSucceeded, TransferFailed, RefundSucceeded:
				if d["result_code"] != "000000" || d["status"] != c.new.Status || d["bank_account_id"] != "bank_mp_1" ||
					d["debited_funds"].(map[string]any)["amount"] != 1260.0 {
					t.Fatalf("detail %s", got[0].Detail)
				}
			case DocumentRefused:
				if d["refused_reason_type"] != "DOCUMENT_UNREADABLE" || d["refused_reason_message"] != "blurred" || d["user_id"] != "usn_1" {
					t.Fatalf("detail %s", got[0].Detail)
				}
			case DocumentValidated:
				if _, ok := d["refused_reason_type"]; ok {
					t.Fatalf("validated document with a refusal reason: %s", got[0].Detail)
				}
			case UserKYCLevelChanged:
				if d["from"] != c.old.User.KYCLevel || d["to"] != c.new.User.KYCLevel {
					t.Fatalf("detail %s", got[0].Detail)
				}
			}
		})
	}
}

// outboxIDs is the ids in a record's stored outbox.
func outboxIDs(r *Record) []string {
	var ids []string
	for _, o := range r.Outbox {
		ids = append(ids, o.ID)
	}
	return ids
}

func TestStoreStagesOutcomesAndClearsThem(t *testing.T) {
	var mu sync.Mutex
	var hooked []string
	f := newFixture(t, WithAfterWrite(func(_ context.Context, r *Record) {
		mu.Lock()
		defer mu.Unlock()
		hooked = append(hooked, outboxIDs(r)...)
	}))
	p := f.create(t, payout("seller-1", "CREATED"))
	if len(p.Outbox) != 0 || len(hooked) != 0 {
		t.Fatalf("created CREATED: outbox %v, hooked %v", p.Outbox, hooked)
	}
	// An unrelated change decides nothing.
	p, err := f.store.Update(f.ctx, p.ID, func(r *Record) error { r.Tag = "t1"; return nil })
	if err != nil || len(p.Outbox) != 0 || p.RecheckAt != nil {
		t.Fatalf("tag change: %v, outbox %v", err, p.Outbox)
	}
	f.clock.Advance(time.Minute)
	p, err = f.store.Update(f.ctx, p.ID, func(r *Record) error { r.Status, r.ResultCode = "SUCCEEDED", "000000"; return nil })
	want := []string{OutcomeID(p.ID, PayoutSucceeded, 3)}
	if err != nil || !slices.Equal(outboxIDs(p), want) || !slices.Equal(hooked, want) {
		t.Fatalf("succeeded: %v, outbox %v, hooked %v", err, outboxIDs(p), hooked)
	}
	stored, err := f.store.Get(f.ctx, p.ID)
	if err != nil || !slices.Equal(outboxIDs(stored), want) || !stored.NeedsPolling() || stored.RecheckAt == nil {
		t.Fatalf("stored %v: outbox %v, recheck %v", err, outboxIDs(stored), stored.RecheckAt)
	}
	due, err := f.store.DueForRecheck(f.ctx, BucketTransaction, f.clock.Now(), 10, "")
	if err != nil || len(due.Records) != 1 || due.Records[0].ID != p.ID {
		t.Fatalf("due for re-check: %v %v", due, err)
	}
	// A later write keeps the entry (and calls the hook again) without
	// deciding the event twice.
	p, err = f.store.UpdateFrom(f.ctx, stored, func(r *Record) error { r.Tag = "t2"; return nil })
	if err != nil || !slices.Equal(outboxIDs(p), want) || len(hooked) != 2 {
		t.Fatalf("second write: %v, outbox %v, hooked %v", err, outboxIDs(p), hooked)
	}

	if err := f.store.ClearOutbox(f.ctx, p.ID, want); err != nil {
		t.Fatal(err)
	}
	stored, err = f.store.Get(f.ctx, p.ID)
	if err != nil || len(stored.Outbox) != 0 || stored.RecheckAt != nil || stored.Version != p.Version || stored.NeedsPolling() {
		t.Fatalf("after clear %v: %+v", err, stored)
	}
	if _, ok := f.rawItem(t, p.ID)[AttrOutbox]; ok {
		t.Fatal("empty outbox still stored")
	}
	// Clearing again is a no-op.
	if err := f.store.ClearOutbox(f.ctx, p.ID, want); err != nil {
		t.Fatal(err)
	}
}

func TestStaleWriterDoesNotWriteBackAClearedOutbox(t *testing.T) {
	f := newFixture(t)
	p := f.create(t, payout("seller-1", "CREATED"))
	p, err := f.store.Update(f.ctx, p.ID, func(r *Record) error { r.Status = "FAILED"; r.ResultCode = "002999"; return nil })
	if err != nil || len(p.Outbox) != 1 {
		t.Fatalf("%v %v", err, p.Outbox)
	}
	stale := p // a writer that read the record before it was published
	if err := f.store.ClearOutbox(f.ctx, p.ID, outboxIDs(p)); err != nil {
		t.Fatal(err)
	}
	got, err := f.store.UpdateFrom(f.ctx, stale, func(r *Record) error { r.Tag = "late"; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Outbox) != 0 || got.Tag != "late" || got.Version != p.Version+1 {
		t.Fatalf("stale write: %v, outbox %v, %+v", err, got.Outbox, got)
	}
	if stored, _ := f.store.Get(f.ctx, p.ID); len(stored.Outbox) != 0 || stored.RecheckAt != nil {
		t.Fatalf("stored outbox %v, recheck %v", stored.Outbox, stored.RecheckAt)
	}
}

func TestClearOutboxKeepsNewerEntries(t *testing.T) {
	f := newFixture(t)
	doc := f.create(t, &Record{Kind: KindDocument, OwnerRef: "seller-1", ParentID: "usn_1", SyncState: SyncSynced,
		Status: "VALIDATED", Document: &Document{Type: "IDENTITY_PROOF"}})
	if len(doc.Outbox) != 1 || doc.Outbox[0].DetailType != DocumentValidated {
		t.Fatalf("created VALIDATED: outbox %+v", doc.Outbox)
	}
	first := outboxIDs(doc)
	doc, err := f.store.Update(f.ctx, doc.ID, func(r *Record) error { r.Status = "OUT_OF_DATE"; return nil })
	if err != nil || len(doc.Outbox) != 2 || doc.Outbox[1].DetailType != DocumentOutOfDate {
		t.Fatalf("%v %+v", err, doc.Outbox)
	}
	if err := f.store.ClearOutbox(f.ctx, doc.ID, first); err != nil {
		t.Fatal(err)
	}
	stored, err := f.store.Get(f.ctx, doc.ID)
	if err != nil || !slices.Equal(outboxIDs(stored), outboxIDs(doc)[1:]) || stored.RecheckAt == nil {
		t.Fatalf("after clearing the first: %v %v", err, outboxIDs(stored))
	}
	if err := f.store.ClearOutbox(f.ctx, doc.ID, outboxIDs(stored)); err != nil {
		t.Fatal(err)
	}
	if stored, _ = f.store.Get(f.ctx, doc.ID); len(stored.Outbox) != 0 || stored.RecheckAt != nil {
		t.Fatalf("after clearing all: %v %v", outboxIDs(stored), stored.RecheckAt)
	}
}

// A write that decides events brings a later re-check time (a pending
// record's next poll) forward to OutboxRetryAfter, so a failed publish is
// retried within minutes, not at the next poll.
func TestStagedEventsAreDueSoonDespiteALaterRecheck(t *testing.T) {
	f := newFixture(t)
	p := f.create(t, payout("seller-1", "CREATED"))
	later := f.clock.Now().Add(10 * time.Minute)
	p, err := f.store.Update(f.ctx, p.ID, func(r *Record) error { r.RecheckAt = &later; return nil })
	if err != nil || p.RecheckAt == nil || !p.RecheckAt.Equal(later) {
		t.Fatalf("scheduling the poll: %v, %v", err, p.RecheckAt)
	}
	f.clock.Advance(time.Second)
	p, err = f.store.Update(f.ctx, p.ID, func(r *Record) error { r.Status, r.ResultCode = "FAILED", "002999"; return nil })
	if err != nil || len(p.Outbox) != 1 {
		t.Fatalf("failing the payout: %v, outbox %v", err, p.Outbox)
	}
	want := p.UpdatedAt.Add(OutboxRetryAfter)
	stored, err := f.store.Get(f.ctx, p.ID)
	if err != nil || stored.RecheckAt == nil || !stored.RecheckAt.Equal(want) {
		t.Fatalf("stored re-check time %v (%v), want %v", stored.RecheckAt, err, want)
	}
	due, err := f.store.DueForRecheck(f.ctx, BucketTransaction, want, 10, "")
	if err != nil || len(due.Records) != 1 || due.Records[0].ID != p.ID {
		t.Fatalf("due at %v: %+v %v", want, due, err)
	}
	// An earlier re-check time stays.
	soon := f.clock.Now().Add(time.Second)
	p, err = f.store.Update(f.ctx, p.ID, func(r *Record) error { r.RecheckAt = &soon; r.Tag = "t"; return nil })
	if err != nil || p.RecheckAt == nil || !p.RecheckAt.Equal(soon) {
		t.Fatalf("earlier re-check time: %v, %v", err, p.RecheckAt)
	}
}
