package records

import (
	"slices"
	"testing"
)

func TestGetManyReadsRecordsInOneCall(t *testing.T) {
	f := newFixture(t)
	a := f.create(t, wallet("seller-1"))
	b := f.create(t, wallet("seller-2"))
	if _, err := f.store.BeginIdempotent(f.ctx, "op", "k1", "fp", "sub"); err != nil {
		t.Fatal(err)
	}
	f.calls.Reset()
	got, err := f.store.GetMany(f.ctx, a.ID, b.ID, a.ID, "", "wlt_missing", IdemPK("op", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	if n := f.calls.Total(); n != 1 {
		t.Fatalf("%d calls, want 1 BatchGetItem: %v", n, f.calls)
	}
	if len(got) != 2 || got[a.ID] == nil || got[b.ID] == nil || got[a.ID].OwnerRef != "seller-1" || got[b.ID].Version != 1 {
		t.Fatalf("got %v (want the two wallets only, not the missing id nor the idempotency entry)", got)
	}
	many := make([]string, 101)
	for i := range many {
		many[i] = NewIDGenerator(f.clock.Now).New(KindWallet)
	}
	if _, err := f.store.GetMany(f.ctx, many...); err == nil {
		t.Fatal("101 ids accepted")
	}
}

func TestClearOutboxFromSkipsTheReadAndReReadsWhenStale(t *testing.T) {
	f := newFixture(t)
	p := f.create(t, payout("seller-1", "CREATED"))
	p, err := f.store.Update(f.ctx, p.ID, func(r *Record) error { r.Status = "FAILED"; r.ResultCode = "002999"; return nil })
	if err != nil || len(p.Outbox) != 1 {
		t.Fatalf("%v %v", err, p.Outbox)
	}
	first := outboxIDs(p)
	// Current: one write, no read.
	f.calls.Reset()
	if err := f.store.ClearOutboxFrom(f.ctx, p, first); err != nil {
		t.Fatal(err)
	}
	if f.calls.Total() != 1 || f.calls.Calls("DynamoDB", "UpdateItem") != 1 {
		t.Fatalf("calls %v, want one UpdateItem", f.calls)
	}
	if stored, _ := f.store.Get(f.ctx, p.ID); len(stored.Outbox) != 0 {
		t.Fatalf("outbox %v", outboxIDs(stored))
	}

	// Stale: a newer write added an entry; clearing from the old copy
	// re-reads, removes only the published entry and keeps the newer one.
	d := f.create(t, &Record{Kind: KindDocument, OwnerRef: "seller-1", ParentID: "usn_1", SyncState: SyncSynced,
		Status: "VALIDATED", Document: &Document{Type: "IDENTITY_PROOF"}})
	stale := d
	d, err = f.store.Update(f.ctx, d.ID, func(r *Record) error { r.Status = "OUT_OF_DATE"; return nil })
	if err != nil || len(d.Outbox) != 2 {
		t.Fatalf("%v %v", err, outboxIDs(d))
	}
	if err := f.store.ClearOutboxFrom(f.ctx, stale, outboxIDs(stale)); err != nil {
		t.Fatal(err)
	}
	stored, err := f.store.Get(f.ctx, d.ID)
	if err != nil || !slices.Equal(outboxIDs(stored), outboxIDs(d)[1:]) || stored.RecheckAt == nil {
		t.Fatalf("after a stale clear: %v %v", err, outboxIDs(stored))
	}
}
